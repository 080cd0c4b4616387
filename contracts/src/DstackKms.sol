// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ERC165Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/introspection/ERC165Upgradeable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IAppAuth} from "./IAppAuth.sol";
import {DstackChainVerifier} from "./DstackChainVerifier.sol";

/// @title DstackKms
/// @notice The on-chain KMS, ABI-compatible with dstack v0.5.11's kms/auth-eth DstackKms:
///         the KMS's published info (root key, CA key, quote, event log), the gateway's app
///         id, which apps are registered, which OS images and KMS measurements/devices may
///         boot, and the factory that creates each app's DstackApp proxy (whose address is
///         the app id). Deployed behind a UUPS (ERC-1967) proxy, as upstream deploys it.
/// @dev One extra over upstream: `kmsRootAddress()`, the Ethereum address of the stored
///      root key (what a DstackMembershipNFT trusts); `setKmsInfo` therefore refuses a
///      non-empty k256Pubkey that is not a 33-byte compressed key (`PublicKeyInvalid`).
///      Storage layout is upstream's.
contract DstackKms is Initializable, OwnableUpgradeable, UUPSUpgradeable, ERC165Upgradeable, IAppAuth {
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
    /// @notice The dstack-gateway's app id (a string, as upstream stores it).
    string public gatewayAppId;
    /// @notice Apps (DstackApp addresses) known to this KMS.
    mapping(address => bool) public registeredApps;
    /// @notice Aggregated measurements a KMS instance may boot with.
    mapping(bytes32 => bool) public kmsAllowedAggregatedMrs;
    /// @notice Devices a KMS instance may boot on.
    mapping(bytes32 => bool) public kmsAllowedDeviceIds;
    /// @notice OS image hashes allowed to boot.
    mapping(bytes32 => bool) public allowedOsImages;
    /// @notice The DstackApp implementation the factory puts behind new app proxies.
    address public appImplementation;

    event AppRegistered(address appId);
    event KmsInfoSet(bytes k256Pubkey);
    event KmsAggregatedMrAdded(bytes32 mrAggregated);
    event KmsAggregatedMrRemoved(bytes32 mrAggregated);
    event KmsDeviceAdded(bytes32 deviceId);
    event KmsDeviceRemoved(bytes32 deviceId);
    event OsImageHashAdded(bytes32 osImageHash);
    event OsImageHashRemoved(bytes32 osImageHash);
    event GatewayAppIdSet(string gatewayAppId);
    event AppImplementationSet(address implementation);
    event AppDeployedViaFactory(address indexed appId, address indexed deployer);

    /// @dev The implementation itself is never initialised; only the proxy is.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the proxy: owner (non-zero, else `OwnableInvalidOwner`) and,
    ///         when non-zero, the DstackApp implementation for the factory.
    function initialize(address initialOwner, address _appImplementation) public initializer {
        __Ownable_init(initialOwner);
        __UUPSUpgradeable_init();
        __ERC165_init();
        if (_appImplementation != address(0)) {
            appImplementation = _appImplementation;
            emit AppImplementationSet(_appImplementation);
        }
    }

    /// @notice ERC-165: IAppAuth (0x1e079198) and IERC165.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override(ERC165Upgradeable, IERC165)
        returns (bool)
    {
        return interfaceId == type(IAppAuth).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Upgrades: owner only.
    function _authorizeUpgrade(address) internal override onlyOwner {}

    /// @notice Set the KMS information (owner only). A non-empty k256Pubkey must be a valid
    ///         33-byte compressed key (reverts `PublicKeyInvalid`).
    function setKmsInfo(KmsInfo memory info) external onlyOwner {
        if (info.k256Pubkey.length != 0) DstackChainVerifier.decompress(info.k256Pubkey);
        kmsInfo = info;
        emit KmsInfoSet(info.k256Pubkey);
    }

    /// @notice Replace the KMS quote only (owner only).
    function setKmsQuote(bytes memory quote) external onlyOwner {
        kmsInfo.quote = quote;
    }

    /// @notice Replace the KMS event log only (owner only).
    function setKmsEventlog(bytes memory eventlog) external onlyOwner {
        kmsInfo.eventlog = eventlog;
    }

    /// @notice Ethereum address of `kmsInfo().k256Pubkey` (zero when unset): the KMS root
    ///         that signature chains of this KMS recover to.
    function kmsRootAddress() external view returns (address) {
        bytes memory pub = kmsInfo.k256Pubkey;
        if (pub.length == 0) return address(0);
        (uint256 x, uint256 y) = DstackChainVerifier.decompress(pub);
        return DstackChainVerifier.toAddress(x, y);
    }

    /// @notice Set the gateway's app id (owner only).
    function setGatewayAppId(string memory appId) external onlyOwner {
        gatewayAppId = appId;
        emit GatewayAppIdSet(appId);
    }

    /// @notice Register an app contract; open to anyone, as upstream. Reverts "Invalid app
    ///         ID" for the zero address.
    function registerApp(address appId) public {
        require(appId != address(0), "Invalid app ID");
        registeredApps[appId] = true;
        emit AppRegistered(appId);
    }

    /// @notice Set the factory's DstackApp implementation (owner only; reverts "Invalid
    ///         implementation address" for zero).
    function setAppImplementation(address _implementation) external onlyOwner {
        require(_implementation != address(0), "Invalid implementation address");
        appImplementation = _implementation;
        emit AppImplementationSet(_implementation);
    }

    /// @notice Factory (anyone): create a DstackApp proxy of `appImplementation`, initialise
    ///         it with these values, register it; returns its address, the app id. Reverts
    ///         "DstackApp implementation not set" / "Invalid owner address".
    function deployAndRegisterApp(
        address initialOwner,
        bool disableUpgrades,
        bool requireTcbUpToDate,
        bool allowAnyDevice,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) public returns (address appId) {
        require(appImplementation != address(0), "DstackApp implementation not set");
        require(initialOwner != address(0), "Invalid owner address");
        bytes memory init = abi.encodeWithSignature(
            "initialize(address,bool,bool,bool,bytes32,bytes32)",
            initialOwner,
            disableUpgrades,
            requireTcbUpToDate,
            allowAnyDevice,
            initialDeviceId,
            initialComposeHash
        );
        appId = address(new ERC1967Proxy(appImplementation, init));
        registerApp(appId);
        emit AppDeployedViaFactory(appId, msg.sender);
    }

    /// @notice The factory's pre-TCB-flag form (`requireTcbUpToDate` = false).
    function deployAndRegisterApp(
        address initialOwner,
        bool disableUpgrades,
        bool allowAnyDevice,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) external returns (address appId) {
        return deployAndRegisterApp(
            initialOwner, disableUpgrades, false, allowAnyDevice, initialDeviceId, initialComposeHash
        );
    }

    /// @notice Allow a KMS aggregated measurement (owner only).
    function addKmsAggregatedMr(bytes32 mrAggregated) external onlyOwner {
        kmsAllowedAggregatedMrs[mrAggregated] = true;
        emit KmsAggregatedMrAdded(mrAggregated);
    }

    /// @notice Disallow a KMS aggregated measurement (owner only).
    function removeKmsAggregatedMr(bytes32 mrAggregated) external onlyOwner {
        kmsAllowedAggregatedMrs[mrAggregated] = false;
        emit KmsAggregatedMrRemoved(mrAggregated);
    }

    /// @notice Allow a KMS device (owner only).
    function addKmsDevice(bytes32 deviceId) external onlyOwner {
        kmsAllowedDeviceIds[deviceId] = true;
        emit KmsDeviceAdded(deviceId);
    }

    /// @notice Disallow a KMS device (owner only).
    function removeKmsDevice(bytes32 deviceId) external onlyOwner {
        kmsAllowedDeviceIds[deviceId] = false;
        emit KmsDeviceRemoved(deviceId);
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

    /// @notice May a KMS instance boot? Upstream order: TCB status "UpToDate" → OS image →
    ///         aggregated MR → device; reasons "TCB status is not up to date", "OS image is
    ///         not allowed", "Aggregated MR not allowed", "KMS is not allowed to boot on this
    ///         device"; "" when allowed.
    function isKmsAllowed(AppBootInfo calldata bootInfo) external view returns (bool isAllowed, string memory reason) {
        if (keccak256(bytes(bootInfo.tcbStatus)) != keccak256("UpToDate")) {
            return (false, "TCB status is not up to date");
        }
        if (!allowedOsImages[bootInfo.osImageHash]) return (false, "OS image is not allowed");
        if (!kmsAllowedAggregatedMrs[bootInfo.mrAggregated]) return (false, "Aggregated MR not allowed");
        if (!kmsAllowedDeviceIds[bootInfo.deviceId]) return (false, "KMS is not allowed to boot on this device");
        return (true, "");
    }

    /// @notice May an app boot? Upstream order: app registered ("App not registered") → OS
    ///         image allowed ("OS image is not allowed") → app id has code ("App not
    ///         deployed or invalid address") → the app contract's own `isAppAllowed`.
    function isAppAllowed(AppBootInfo calldata bootInfo)
        external
        view
        override
        returns (bool isAllowed, string memory reason)
    {
        if (!registeredApps[bootInfo.appId]) return (false, "App not registered");
        if (!allowedOsImages[bootInfo.osImageHash]) return (false, "OS image is not allowed");
        if (bootInfo.appId.code.length == 0) return (false, "App not deployed or invalid address");
        return IAppAuth(bootInfo.appId).isAppAllowed(bootInfo);
    }

    /// @dev Reserved storage for later versions (upstream's size).
    uint256[50] private __gap;
}
