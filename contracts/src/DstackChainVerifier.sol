// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Secp256k1} from "./Secp256k1.sol";

/// @title DstackChainVerifier
/// @notice Pure verification of a dstack GetKey signature chain, in both key APIs. The
///         caller chooses the version by the function it calls (`…V1` for v1); nothing is
///         guessed from the input's shape.
///
///         v0 (GetKey, dstack ≤ 0.5 and the 0.6 v0 surface):
///           app link:  app key signs keccak256(purpose ‖ ":" ‖ lowercasehex(derivedPub33))
///         v1 (/v1/GetKey, dstack 0.6), LP(x) = u32_be(len(x)) ‖ x:
///           app link:  app key signs keccak256(LP("dstack-guest-v1-key-claim") ‖ LP(alg)
///                      ‖ LP(domain) ‖ LP(pub)), alg "secp256k1" (pub 33-byte compressed)
///                      or "ed25519" (pub 32 bytes)
///         both:
///           KMS link:  KMS root signs keccak256("dstack-kms-issued:" ‖ appId20 ‖ appPub33)
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
    /// @notice A v1 algorithm other than exactly "secp256k1" or "ed25519" (e.g. v0's "k256").
    error AlgorithmUnsupported(string algorithm);
    /// @notice A v1 claim field longer than its u32 length prefix can say.
    error ClaimFieldTooLong(uint256 length);

    /// @notice The v1 claim's label (guest-api-0.6 §2.5).
    bytes internal constant V1_CLAIM_LABEL = "dstack-guest-v1-key-claim";
    /// @notice The v1 algorithm names, exactly as they enter the claim.
    string internal constant ALG_SECP256K1 = "secp256k1";
    string internal constant ALG_ED25519 = "ed25519";

    bytes32 private constant ALG_SECP256K1_HASH = keccak256(bytes(ALG_SECP256K1));
    bytes32 private constant ALG_ED25519_HASH = keccak256(bytes(ALG_ED25519));
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

    /// @notice The v1 app link's signed claim:
    ///         LP("dstack-guest-v1-key-claim") ‖ LP(algorithm) ‖ LP(domain) ‖ LP(publicKey),
    ///         LP(x) = u32_be(len(x)) ‖ x. Fields are encoded as given (not checked here).
    function v1ClaimMessage(string memory algorithm, string memory domain, bytes memory publicKey)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            _lp(V1_CLAIM_LABEL.length),
            V1_CLAIM_LABEL,
            _lp(bytes(algorithm).length),
            algorithm,
            _lp(bytes(domain).length),
            domain,
            _lp(publicKey.length),
            publicKey
        );
    }

    /// @notice keccak256 of the v1 claim (raw keccak, no EIP-191 prefix).
    function v1ClaimDigest(string memory algorithm, string memory domain, bytes memory publicKey)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(v1ClaimMessage(algorithm, domain, publicKey));
    }

    /// @notice Check a v1 (algorithm, public key) pair: "secp256k1" needs a valid 33-byte
    ///         compressed key, "ed25519" a 32-byte key; anything else reverts.
    /// @return derivedKey the secp256k1 key's address; 0 for ed25519 (no Ethereum address)
    function v1DerivedKey(string memory algorithm, bytes memory publicKey) internal pure returns (address derivedKey) {
        bytes32 alg = keccak256(bytes(algorithm));
        if (alg == ALG_SECP256K1_HASH) {
            (uint256 x, uint256 y) = decompress(publicKey);
            return toAddress(x, y);
        }
        if (alg != ALG_ED25519_HASH) revert AlgorithmUnsupported(algorithm);
        if (publicKey.length != 32) revert PublicKeyInvalid(publicKey.length);
        return address(0);
    }

    /// @dev The 4-byte big-endian length prefix of a v1 claim field.
    function _lp(uint256 length) private pure returns (bytes4) {
        if (length > type(uint32).max) revert ClaimFieldTooLong(length);
        // Checked just above: the length fits in 32 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        return bytes4(uint32(length));
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

    /// @notice Verify a v0 chain whose app public key is supplied: the app signature must be
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
        (appKey, kmsRoot) =
            _linksWithAppKey(id, appLinkDigest(purpose, derivedPublicKey), appPublicKey, appSignature, kmsSignature);
    }

    /// @notice Verify a v0 chain from its signatures alone (the seeds' ABI): the app public
    ///         key is recovered in full from the app signature, then the KMS link is checked
    ///         over its compressed form. This is exactly dstack's own verification order.
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
        (appPublicKey, kmsRoot) =
            _recoveredLinks(id, appLinkDigest(purpose, derivedPublicKey), appSignature, kmsSignature);
    }

    /// @notice Verify a v1 chain whose app public key is supplied (the cheap form: no point
    ///         recovery): link0 must be by exactly that key over the v1 claim, link1 is
    ///         checked over its compressed form.
    /// @param appId 20-byte app id right-padded in a bytes32
    /// @param algorithm exactly "secp256k1" or "ed25519"
    /// @param domain the /v1/GetKey domain (any bytes, may be empty)
    /// @param publicKey the /v1/GetKey public_key: 33-byte compressed secp256k1 or 32-byte ed25519
    /// @param appPublicKey 33-byte compressed or 64-byte raw x‖y app root key
    /// @param appSignature signature_chain[0] (link0), 65 bytes, v ∈ {0,1}
    /// @param kmsSignature signature_chain[1] (link1), 65 bytes, v ∈ {0,1}
    /// @return derivedKey address of the secp256k1 derived key; 0 for ed25519
    /// @return appKey address of the app root key
    /// @return kmsRoot address that made the KMS signature (trust is the caller's decision)
    function verifyChainV1WithAppKey(
        bytes32 appId,
        string memory algorithm,
        string memory domain,
        bytes memory publicKey,
        bytes memory appPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) internal pure returns (address derivedKey, address appKey, address kmsRoot) {
        bytes20 id = appIdFromBytes32(appId);
        derivedKey = v1DerivedKey(algorithm, publicKey);
        (appKey, kmsRoot) =
            _linksWithAppKey(id, v1ClaimDigest(algorithm, domain, publicKey), appPublicKey, appSignature, kmsSignature);
    }

    /// @notice Verify a v1 chain from its signatures alone, in the order the v1 spec gives:
    ///         rebuild the claim, recover the app root key from link0 (high-S refused),
    ///         rebuild the KMS message over it and recover link1's signer.
    /// @return derivedKey address of the secp256k1 derived key; 0 for ed25519
    /// @return appPublicKey recovered compressed app root key
    /// @return kmsRoot address that made the KMS signature (trust is the caller's decision)
    function recoverChainV1(
        bytes32 appId,
        string memory algorithm,
        string memory domain,
        bytes memory publicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) internal pure returns (address derivedKey, bytes memory appPublicKey, address kmsRoot) {
        bytes20 id = appIdFromBytes32(appId);
        derivedKey = v1DerivedKey(algorithm, publicKey);
        (appPublicKey, kmsRoot) =
            _recoveredLinks(id, v1ClaimDigest(algorithm, domain, publicKey), appSignature, kmsSignature);
    }

    /// @dev Both links with a supplied app key: the app link over `appDigest` must recover
    ///      to that key; the KMS link is recovered over its compressed form.
    function _linksWithAppKey(
        bytes20 id,
        bytes32 appDigest,
        bytes memory appPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) private pure returns (address appKey, address kmsRoot) {
        (uint256 ax, uint256 ay) = parsePublicKey(appPublicKey);
        appKey = toAddress(ax, ay);
        address recoveredApp = recoverSigner(appDigest, appSignature);
        if (recoveredApp == address(0)) revert AppLinkInvalid();
        if (recoveredApp != appKey) revert AppKeyMismatch(recoveredApp, appKey);
        kmsRoot = recoverSigner(kmsLinkDigest(id, compress(ax, ay)), kmsSignature);
        if (kmsRoot == address(0)) revert KmsLinkInvalid();
    }

    /// @dev Both links from signatures alone: the app key is recovered in full from the app
    ///      link over `appDigest`, then the KMS link is recovered over it.
    function _recoveredLinks(bytes20 id, bytes32 appDigest, bytes memory appSignature, bytes memory kmsSignature)
        private
        pure
        returns (bytes memory appPublicKey, address kmsRoot)
    {
        bool ok;
        (ok, appPublicKey,) = recoverPublicKey(appDigest, appSignature);
        if (!ok) revert AppLinkInvalid();
        kmsRoot = recoverSigner(kmsLinkDigest(id, appPublicKey), kmsSignature);
        if (kmsRoot == address(0)) revert KmsLinkInvalid();
    }
}
