// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DstackChainVerifier as V} from "../../src/DstackChainVerifier.sol";
import {Secp256k1} from "../../src/Secp256k1.sol";

/// @notice Exposes the library's internal functions as external calls, so tests can
///         expect reverts and measure gas.
contract VerifierHarness {
    function appIdFromBytes32(bytes32 appId) external pure returns (bytes20) {
        return V.appIdFromBytes32(appId);
    }

    function toLowerHex(bytes memory data) external pure returns (string memory) {
        return V.toLowerHex(data);
    }

    function appLinkMessage(string memory purpose, bytes memory pub) external pure returns (bytes memory) {
        return V.appLinkMessage(purpose, pub);
    }

    function appLinkDigest(string memory purpose, bytes memory pub) external pure returns (bytes32) {
        return V.appLinkDigest(purpose, pub);
    }

    function kmsLinkDigest(bytes20 appId, bytes memory appPub) external pure returns (bytes32) {
        return V.kmsLinkDigest(appId, appPub);
    }

    function parsePublicKey(bytes memory pub) external pure returns (uint256, uint256) {
        return V.parsePublicKey(pub);
    }

    function decompress(bytes memory pub) external pure returns (uint256, uint256) {
        return V.decompress(pub);
    }

    function pubToAddress(bytes memory pub) external pure returns (address) {
        (uint256 x, uint256 y) = V.parsePublicKey(pub);
        return V.toAddress(x, y);
    }

    function compressKey(bytes memory pub) external pure returns (bytes memory) {
        (uint256 x, uint256 y) = V.parsePublicKey(pub);
        return V.compress(x, y);
    }

    function recoverSigner(bytes32 digest, bytes memory sig) external pure returns (address) {
        return V.recoverSigner(digest, sig);
    }

    function recoverPublicKey(bytes32 digest, bytes memory sig) external pure returns (bool, bytes memory, address) {
        return V.recoverPublicKey(digest, sig);
    }

    function recoverPoint(bytes32 digest, uint8 recId, uint256 r, uint256 s)
        external
        pure
        returns (bool, uint256, uint256)
    {
        return Secp256k1.recoverPoint(digest, recId, r, s);
    }

    function verifyChainWithAppKey(
        bytes32 appId,
        string memory purpose,
        bytes memory derivedPub,
        bytes memory appPub,
        bytes memory appSig,
        bytes memory kmsSig
    ) external pure returns (address, address, address) {
        return V.verifyChainWithAppKey(appId, purpose, derivedPub, appPub, appSig, kmsSig);
    }

    function recoverChain(
        bytes32 appId,
        string memory purpose,
        bytes memory derivedPub,
        bytes memory appSig,
        bytes memory kmsSig
    ) external pure returns (address, bytes memory, address) {
        return V.recoverChain(appId, purpose, derivedPub, appSig, kmsSig);
    }

    function v1ClaimMessage(string memory alg, string memory domain, bytes memory pub)
        external
        pure
        returns (bytes memory)
    {
        return V.v1ClaimMessage(alg, domain, pub);
    }

    function v1ClaimDigest(string memory alg, string memory domain, bytes memory pub) external pure returns (bytes32) {
        return V.v1ClaimDigest(alg, domain, pub);
    }

    function v1DerivedKey(string memory alg, bytes memory pub) external pure returns (address) {
        return V.v1DerivedKey(alg, pub);
    }

    function verifyChainV1WithAppKey(
        bytes32 appId,
        string memory alg,
        string memory domain,
        bytes memory pub,
        bytes memory appPub,
        bytes memory appSig,
        bytes memory kmsSig
    ) external pure returns (address, address, address) {
        return V.verifyChainV1WithAppKey(appId, alg, domain, pub, appPub, appSig, kmsSig);
    }

    function recoverChainV1(
        bytes32 appId,
        string memory alg,
        string memory domain,
        bytes memory pub,
        bytes memory appSig,
        bytes memory kmsSig
    ) external pure returns (address, bytes memory, address) {
        return V.recoverChainV1(appId, alg, domain, pub, appSig, kmsSig);
    }

    /// @notice What a verifier that forgets the +27 does: ecrecover with the blob's v.
    function rawEcrecover(bytes32 digest, bytes memory sig) external pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        return ecrecover(digest, v, r, s);
    }
}
