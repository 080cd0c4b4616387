// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Secp256k1} from "./Secp256k1.sol";

/// @title DstackChainVerifier
/// @notice Pure verification of a dstack GetKey signature chain (dstack v0 key API):
///
///         app link:  app key signs keccak256(purpose ‖ ":" ‖ lowercasehex(derivedPub33))
///         KMS link:  KMS root signs keccak256("dstack-kms-issued:" ‖ appId20 ‖ appPub33)
///
///         Signatures are dstack's 65-byte blobs r ‖ s ‖ v with v ∈ {0, 1} (the recovery
///         id). This library adds 27 itself before `ecrecover`, and REJECTS v = 27/28 in
///         the blob: the canonical dstack blob never carries them, so such a blob came
///         from a different signer convention (usually an EIP-191 signer) and is refused
///         rather than silently accepted. High-s signatures are refused (dstack signs
///         low-s).
///
///         The app id travels in a bytes32 (the seeds' ABI): a 20-byte id right-padded,
///         i.e. `bytes20(appId)` keeps the first 20 bytes. The 12 padding bytes must be 0.
///
///         Deciding which KMS roots are trusted is the caller's business: the chain
///         functions return the recovered root address.
/// @dev Every function is internal, so the library is inlined into its users. Errors name
///      the link that failed.
library DstackChainVerifier {
    /// @notice The KMS link's domain prefix.
    bytes internal constant KMS_PREFIX = "dstack-kms-issued:";

    /// @notice A signature blob is not exactly 65 bytes.
    error SignatureLengthInvalid(uint256 length);
    /// @notice The blob's v byte is not 0 or 1 (27/28 included: see the contract notice).
    error RecoveryIdInvalid(uint8 v);
    /// @notice r or s is 0 or not below the group order, or s is in the high half.
    error SignatureScalarInvalid();
    /// @notice A public key has a wrong length, a wrong SEC1 prefix, or is not on the curve.
    error PublicKeyInvalid(uint256 length);
    /// @notice The bytes32 app id has non-zero bytes after its first 20.
    error AppIdPaddingInvalid(bytes32 appId);
    /// @notice The app signature recovers to no key at all.
    error AppLinkInvalid();
    /// @notice The KMS signature recovers to no key at all.
    error KmsLinkInvalid();
    /// @notice The app signature was made by another key than the supplied app public key.
    error AppKeyMismatch(address recovered, address expected);

    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    // ------------------------------------------------------------------ encodings

    /// @notice The 20-byte app id inside a right-padded bytes32; reverts on non-zero padding.
    function appIdFromBytes32(bytes32 appId) internal pure returns (bytes20) {
        if (uint256(appId) & type(uint96).max != 0) revert AppIdPaddingInvalid(appId);
        // The truncation is the point: the 12 dropped bytes were just checked to be zero.
        // forge-lint: disable-next-line(unsafe-typecast)
        return bytes20(appId);
    }

    /// @notice Lowercase hex of `data`, no `0x` prefix.
    function toLowerHex(bytes memory data) internal pure returns (string memory out) {
        uint256 n = data.length;
        out = new string(2 * n);
        assembly ("memory-safe") {
            let src := add(data, 32)
            let dst := add(out, 32)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let b := byte(0, mload(add(src, i)))
                let hi := shr(4, b)
                let lo := and(b, 0x0f)
                // digit d -> '0' + d, or 'a' + d - 10 for d >= 10
                mstore8(add(dst, shl(1, i)), add(add(hi, 48), mul(gt(hi, 9), 39)))
                mstore8(add(dst, add(shl(1, i), 1)), add(add(lo, 48), mul(gt(lo, 9), 39)))
            }
        }
    }

    /// @notice The app link's signed claim: bytes(purpose ‖ ":" ‖ lowercasehex(derivedPub)).
    function appLinkMessage(string memory purpose, bytes memory derivedPublicKey) internal pure returns (bytes memory) {
        return abi.encodePacked(purpose, ":", toLowerHex(derivedPublicKey));
    }

    /// @notice keccak256 of the app link's claim (raw keccak, no EIP-191 prefix).
    function appLinkDigest(string memory purpose, bytes memory derivedPublicKey) internal pure returns (bytes32) {
        return keccak256(appLinkMessage(purpose, derivedPublicKey));
    }

    /// @notice keccak256("dstack-kms-issued:" ‖ appId20 ‖ appPub33).
    function kmsLinkDigest(bytes20 appId, bytes memory appPublicKeyCompressed) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(KMS_PREFIX, appId, appPublicKeyCompressed));
    }

    // ------------------------------------------------------------------ keys

    /// @notice Parse a 33-byte compressed SEC1 key or a 64-byte raw x ‖ y key.
    /// @return x affine x coordinate
    /// @return y affine y coordinate
    function parsePublicKey(bytes memory pub) internal pure returns (uint256 x, uint256 y) {
        if (pub.length == 33) return decompress(pub);
        if (pub.length == 64) {
            assembly ("memory-safe") {
                x := mload(add(pub, 32))
                y := mload(add(pub, 64))
            }
            if (!Secp256k1.isOnCurve(x, y)) revert PublicKeyInvalid(64);
            return (x, y);
        }
        revert PublicKeyInvalid(pub.length);
    }

    /// @notice Decompress a 33-byte SEC1 key (prefix 0x02 even y, 0x03 odd y).
    function decompress(bytes memory pub) internal pure returns (uint256 x, uint256 y) {
        if (pub.length != 33) revert PublicKeyInvalid(pub.length);
        uint8 prefix = uint8(pub[0]);
        if (prefix != 2 && prefix != 3) revert PublicKeyInvalid(33);
        assembly ("memory-safe") {
            x := mload(add(pub, 33))
        }
        bool ok;
        (ok, y) = Secp256k1.deriveY(x, prefix == 3);
        if (!ok) revert PublicKeyInvalid(33);
    }

    /// @notice 33-byte compressed SEC1 encoding of (x, y).
    function compress(uint256 x, uint256 y) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes1(y & 1 == 1 ? 0x03 : 0x02), bytes32(x));
    }

    /// @notice Ethereum address of (x, y): keccak256(x ‖ y)[12:].
    function toAddress(uint256 x, uint256 y) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(x, y)))));
    }

    // ------------------------------------------------------------------ signatures

    /// @notice Split a dstack signature blob r ‖ s ‖ v (v ∈ {0,1}) and return v + 27.
    function splitSignature(bytes memory sig) internal pure returns (uint8 v, bytes32 r, bytes32 s) {
        if (sig.length != 65) revert SignatureLengthInvalid(sig.length);
        assembly ("memory-safe") {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        if (v > 1) revert RecoveryIdInvalid(v);
        if (uint256(r) == 0 || uint256(r) >= Secp256k1.N || uint256(s) == 0 || uint256(s) > HALF_N) {
            revert SignatureScalarInvalid();
        }
        v += 27;
    }

    /// @notice Address that signed `digest` with a dstack blob (0 when no key recovers).
    function recoverSigner(bytes32 digest, bytes memory sig) internal pure returns (address) {
        (uint8 v, bytes32 r, bytes32 s) = splitSignature(sig);
        return ecrecover(digest, v, r, s);
    }

    /// @notice Full public key that signed `digest` with a dstack blob, compressed, and its
    ///         address. `ok` is false when no key recovers.
    /// @dev The point is computed in Solidity and then checked against `ecrecover`.
    function recoverPublicKey(bytes32 digest, bytes memory sig)
        internal
        pure
        returns (bool ok, bytes memory compressed, address signer)
    {
        (uint8 v, bytes32 r, bytes32 s) = splitSignature(sig);
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) return (false, "", address(0));
        (bool okPoint, uint256 x, uint256 y) = Secp256k1.recoverPoint(digest, v - 27, uint256(r), uint256(s));
        if (!okPoint || toAddress(x, y) != signer) return (false, "", address(0));
        return (true, compress(x, y), signer);
    }

    // ------------------------------------------------------------------ chains

    /// @notice Verify a chain whose app public key is supplied: the app signature must be
    ///         by exactly that key, and the KMS signature is checked over its compressed form.
    /// @param appId 20-byte app id right-padded in a bytes32
    /// @param purpose the GetKey purpose string
    /// @param derivedPublicKey 33-byte compressed derived key
    /// @param appPublicKey 33-byte compressed or 64-byte raw x‖y app key
    /// @param appSignature chain[0], 65 bytes, v ∈ {0,1}
    /// @param kmsSignature chain[1], 65 bytes, v ∈ {0,1}
    /// @return derivedKey address of the derived key
    /// @return appKey address of the app key
    /// @return kmsRoot address that made the KMS signature (trust is the caller's decision)
    function verifyChainWithAppKey(
        bytes32 appId,
        string memory purpose,
        bytes memory derivedPublicKey,
        bytes memory appPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) internal pure returns (address derivedKey, address appKey, address kmsRoot) {
        bytes20 id = appIdFromBytes32(appId);
        (uint256 dx, uint256 dy) = decompress(derivedPublicKey); // must be a valid compressed key
        derivedKey = toAddress(dx, dy);
        (uint256 ax, uint256 ay) = parsePublicKey(appPublicKey);
        appKey = toAddress(ax, ay);
        address recoveredApp = recoverSigner(appLinkDigest(purpose, derivedPublicKey), appSignature);
        if (recoveredApp == address(0)) revert AppLinkInvalid();
        if (recoveredApp != appKey) revert AppKeyMismatch(recoveredApp, appKey);
        kmsRoot = recoverSigner(kmsLinkDigest(id, compress(ax, ay)), kmsSignature);
        if (kmsRoot == address(0)) revert KmsLinkInvalid();
    }

    /// @notice Verify a chain from its signatures alone (the seeds' ABI): the app public key
    ///         is recovered in full from the app signature, then the KMS link is checked over
    ///         its compressed form. This is exactly dstack's own verification order.
    /// @return derivedKey address of the derived key
    /// @return appPublicKey recovered compressed app key
    /// @return kmsRoot address that made the KMS signature (trust is the caller's decision)
    function recoverChain(
        bytes32 appId,
        string memory purpose,
        bytes memory derivedPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) internal pure returns (address derivedKey, bytes memory appPublicKey, address kmsRoot) {
        bytes20 id = appIdFromBytes32(appId);
        (uint256 dx, uint256 dy) = decompress(derivedPublicKey);
        derivedKey = toAddress(dx, dy);
        bool ok;
        (ok, appPublicKey,) = recoverPublicKey(appLinkDigest(purpose, derivedPublicKey), appSignature);
        if (!ok) revert AppLinkInvalid();
        kmsRoot = recoverSigner(kmsLinkDigest(id, appPublicKey), kmsSignature);
        if (kmsRoot == address(0)) revert KmsLinkInvalid();
    }
}
