// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAppAuth} from "./IAppAuth.sol";
import {DstackChainVerifier} from "./DstackChainVerifier.sol";

/// @title DstackKms
/// @notice The on-chain KMS anchor in the shape of dstack's kms/auth-eth DstackKms: the
///         KMS root key (`kmsInfo().k256Pubkey`, compressed SEC1), registered apps, allowed
///         OS images, and the boot decision that delegates to each app's contract.
/// @dev Not upgradeable (upstream is a UUPS proxy). Unlike upstream, `registerApp` is
///      owner-only here. `kmsRootAddress()` derives the root's Ethereum address from the
///      stored key, the value a DstackMembershipNFT should trust.
contract DstackKms is Ownable, IERC165, IAppAuth {
    /// @notice What the KMS publishes about itself.
    /// @param k256Pubkey 33-byte compressed secp256k1 root public key (or empty)
    /// @param caPubkey the KMS CA public key (DER), opaque here
    /// @param quote the KMS TDX quote, opaque here
    /// @param eventlog the KMS event log, opaque here
    struct KmsInfo {
        bytes k256Pubkey;
        bytes caPubkey;
        bytes quote;
        bytes eventlog;
    }

    /// @notice The KMS information: (k256Pubkey, caPubkey, quote, eventlog).
    KmsInfo public kmsInfo;
    /// @notice Apps (DstackApp addresses) known to this KMS.
    mapping(address => bool) public registeredApps;
    /// @notice OS image hashes allowed to boot.
    mapping(bytes32 => bool) public allowedOsImages;

    error InvalidAppId();

    event KmsInfoSet(bytes k256Pubkey);
    event AppRegistered(address appId);
    event OsImageHashAdded(bytes32 osImageHash);
    event OsImageHashRemoved(bytes32 osImageHash);

    /// @param initialOwner owner (non-zero)
    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice ERC-165: IAppAuth (0x1e079198) and IERC165.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IAppAuth).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    /// @notice Set the KMS information (owner only). A non-empty k256Pubkey must be a valid
    ///         33-byte compressed key (reverts `PublicKeyInvalid`).
    function setKmsInfo(KmsInfo calldata info) external onlyOwner {
        if (info.k256Pubkey.length != 0) DstackChainVerifier.decompress(info.k256Pubkey);
        kmsInfo = info;
        emit KmsInfoSet(info.k256Pubkey);
    }

    /// @notice Ethereum address of `kmsInfo().k256Pubkey` (zero when unset): the KMS root
    ///         that signature chains of this KMS recover to.
    function kmsRootAddress() external view returns (address) {
        bytes memory pub = kmsInfo.k256Pubkey;
        if (pub.length == 0) return address(0);
        (uint256 x, uint256 y) = DstackChainVerifier.decompress(pub);
        return DstackChainVerifier.toAddress(x, y);
    }

    /// @notice Register an app contract (owner only).
    function registerApp(address appId) external onlyOwner {
        if (appId == address(0)) revert InvalidAppId();
        registeredApps[appId] = true;
        emit AppRegistered(appId);
    }

    /// @notice Allow an OS image hash (owner only).
    function addOsImageHash(bytes32 osImageHash) external onlyOwner {
        allowedOsImages[osImageHash] = true;
        emit OsImageHashAdded(osImageHash);
    }

    /// @notice Disallow an OS image hash (owner only).
    function removeOsImageHash(bytes32 osImageHash) external onlyOwner {
        allowedOsImages[osImageHash] = false;
        emit OsImageHashRemoved(osImageHash);
    }

    /// @notice Boot decision, upstream order: app registered ("App not registered") → OS
    ///         image allowed ("OS image is not allowed") → app id has code ("App not
    ///         deployed or invalid address") → the app contract's own `isAppAllowed`.
    function isAppAllowed(AppBootInfo calldata bootInfo) external view returns (bool isAllowed, string memory reason) {
        if (!registeredApps[bootInfo.appId]) return (false, "App not registered");
        if (!allowedOsImages[bootInfo.osImageHash]) return (false, "OS image is not allowed");
        if (bootInfo.appId.code.length == 0) return (false, "App not deployed or invalid address");
        return IAppAuth(bootInfo.appId).isAppAllowed(bootInfo);
    }
}
