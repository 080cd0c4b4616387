// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DstackChainVerifier} from "./DstackChainVerifier.sol";
import {KmsRootRegistry} from "./KmsRootRegistry.sol";

/// @title DstackChainViews
/// @notice Read-only checks of dstack signature chains against the trusted KMS roots, for
///         both key APIs: v0 (GetKey: purpose, 33-byte derived key) and v1 (/v1/GetKey:
///         algorithm, domain, public key). The version is the function's: `…V1` checks the
///         v1 claim, the others the v0 claim; a chain of one version fails the other's check.
///         `verify…` answers true/false and never reverts; `explain…` reverts with the error
///         naming the failing link and returns what it recovered.
/// @dev Inherited by DstackMembershipNFT; the functions are the NFT's ABI.
abstract contract DstackChainViews is KmsRootRegistry {
    // ================================================================ v0

    /// @notice The seeds' chain check: true iff the chain is canonical and its KMS link
    ///         recovers to a trusted root. The app key is recovered from `appSignature`
    ///         (no app key argument is needed: see `explainSignatureChain`). Never reverts.
    function verifySignatureChain(
        bytes32 appId,
        bytes memory derivedPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature,
        string memory purpose
    ) public view returns (bool) {
        try this.explainSignatureChain(appId, derivedPublicKey, appSignature, kmsSignature, purpose) {
            return true;
        } catch {
            return false;
        }
    }

    /// @notice Like `verifySignatureChain` but reverts with the error naming the failing
    ///         link, and returns the recovered app key and root on success.
    /// @return appPublicKey the app key recovered from `appSignature`, compressed
    /// @return kmsRoot the trusted root the KMS link recovered to
    function explainSignatureChain(
        bytes32 appId,
        bytes memory derivedPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature,
        string memory purpose
    ) external view returns (bytes memory appPublicKey, address kmsRoot) {
        (, appPublicKey, kmsRoot) = DstackChainVerifier.recoverChain(
            appId, purpose, derivedPublicKey, appSignature, kmsSignature
        );
        _requireTrustedRoot(kmsRoot);
    }

    /// @notice Chain check with a supplied app key; reverts with the failing link.
    /// @return derivedKey address of the derived key
    /// @return appKey address of the app key (the app signature's signer)
    /// @return kmsRoot the trusted root the KMS link recovered to
    function explainSignatureChainWithAppKey(
        bytes32 appId,
        bytes memory derivedPublicKey,
        bytes memory appPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature,
        string memory purpose
    ) external view returns (address derivedKey, address appKey, address kmsRoot) {
        (derivedKey, appKey, kmsRoot) = DstackChainVerifier.verifyChainWithAppKey(
                appId, purpose, derivedPublicKey, appPublicKey, appSignature, kmsSignature
            );
        _requireTrustedRoot(kmsRoot);
    }

    // ================================================================ v1

    /// @notice v1 chain check: true iff (algorithm, domain, publicKey, link0, link1) is a
    ///         canonical /v1/GetKey chain of `appId` whose KMS link recovers to a trusted
    ///         root. The app root key is recovered from `appSignature`. Never reverts.
    /// @param appId 20-byte app id right-padded in a bytes32
    /// @param algorithm exactly "secp256k1" or "ed25519"
    /// @param domain the /v1/GetKey domain
    /// @param publicKey 33-byte compressed secp256k1 or 32-byte ed25519 public key
    /// @param appSignature signature_chain[0] (link0)
    /// @param kmsSignature signature_chain[1] (link1)
    function verifySignatureChainV1(
        bytes32 appId,
        string memory algorithm,
        string memory domain,
        bytes memory publicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) public view returns (bool) {
        try this.explainSignatureChainV1(appId, algorithm, domain, publicKey, appSignature, kmsSignature) {
            return true;
        } catch {
            return false;
        }
    }

    /// @notice Like `verifySignatureChainV1` but reverts with the error naming the failing
    ///         link, and returns the recovered app root key and KMS root on success.
    /// @return appPublicKey the app root key recovered from `appSignature`, compressed
    /// @return kmsRoot the trusted root the KMS link recovered to
    function explainSignatureChainV1(
        bytes32 appId,
        string memory algorithm,
        string memory domain,
        bytes memory publicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) external view returns (bytes memory appPublicKey, address kmsRoot) {
        (, appPublicKey, kmsRoot) = DstackChainVerifier.recoverChainV1(
            appId, algorithm, domain, publicKey, appSignature, kmsSignature
        );
        _requireTrustedRoot(kmsRoot);
    }

    /// @notice v1 chain check with a supplied app root key (no point recovery: far cheaper);
    ///         reverts with the failing link.
    /// @param appPublicKey 33-byte compressed or 64-byte x‖y app root key
    /// @return derivedKey address of the secp256k1 derived key; 0 for ed25519
    /// @return appKey address of the app root key (link0's signer)
    /// @return kmsRoot the trusted root the KMS link recovered to
    function explainSignatureChainV1WithAppKey(
        bytes32 appId,
        string memory algorithm,
        string memory domain,
        bytes memory publicKey,
        bytes memory appPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature
    ) external view returns (address derivedKey, address appKey, address kmsRoot) {
        (derivedKey, appKey, kmsRoot) = DstackChainVerifier.verifyChainV1WithAppKey(
                appId, algorithm, domain, publicKey, appPublicKey, appSignature, kmsSignature
            );
        _requireTrustedRoot(kmsRoot);
    }
}
