// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ERC165Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/introspection/ERC165Upgradeable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAppAuth} from "./IAppAuth.sol";
import {IAppAuthBasicManagement} from "./IAppAuthBasicManagement.sol";

/// @title DstackApp
/// @notice Per-app governance, ABI-compatible with dstack v0.5.11's kms/auth-eth DstackApp:
///         which compose hashes may boot, on which devices, and whether Intel's TCB status
///         must be "UpToDate". Deployed as the implementation behind a UUPS (ERC-1967)
///         proxy; on chain the app id IS the proxy's address (DstackKms's factory creates
///         it). Check order, refusal reasons and revert texts are upstream's.
contract DstackApp is
    Initializable,
    OwnableUpgradeable,
    UUPSUpgradeable,
    ERC165Upgradeable,
    IAppAuth,
    IAppAuthBasicManagement
{
    /// @notice Compose hashes allowed to boot.
    mapping(bytes32 => bool) public allowedComposeHashes;
    /// @dev Set once by `disableUpgrades` (or at initialisation); blocks every upgrade.
    bool private _upgradesDisabled;
    /// @notice Whether any device may boot the app.
    bool public allowAnyDevice;
    /// @notice Device ids allowed to boot (ignored when `allowAnyDevice`).
    mapping(bytes32 => bool) public allowedDeviceIds;
    /// @notice Whether the TCB status must be exactly "UpToDate".
    bool public requireTcbUpToDate;

    event UpgradesDisabled();
    event AllowAnyDeviceSet(bool allowAny);
    event RequireTcbUpToDateSet(bool requireUpToDate);

    /// @dev The implementation itself is never initialised; only proxies are.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise a proxy (the pre-TCB-flag form; `requireTcbUpToDate` stays false).
    ///         Reverts "invalid owner address" for a zero owner, `InvalidInitialization`
    ///         when already initialised.
    function initialize(
        address initialOwner,
        bool _disableUpgrades,
        bool _allowAnyDevice,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) public initializer {
        _init(initialOwner, _disableUpgrades, _allowAnyDevice, initialDeviceId, initialComposeHash);
    }

    /// @notice Initialise a proxy. A non-zero initial device / compose hash is allowed at
    ///         once (emitting DeviceAdded / ComposeHashAdded). Reverts as the 5-argument form.
    function initialize(
        address initialOwner,
        bool _disableUpgrades,
        bool _requireTcbUpToDate,
        bool _allowAnyDevice,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) public initializer {
        requireTcbUpToDate = _requireTcbUpToDate;
        _init(initialOwner, _disableUpgrades, _allowAnyDevice, initialDeviceId, initialComposeHash);
    }

    function _init(
        address initialOwner,
        bool disableUpgrades_,
        bool allowAnyDevice_,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) private {
        require(initialOwner != address(0), "invalid owner address");
        _upgradesDisabled = disableUpgrades_;
        allowAnyDevice = allowAnyDevice_;
        if (initialDeviceId != bytes32(0)) {
            allowedDeviceIds[initialDeviceId] = true;
            emit DeviceAdded(initialDeviceId);
        }
        if (initialComposeHash != bytes32(0)) {
            allowedComposeHashes[initialComposeHash] = true;
            emit ComposeHashAdded(initialComposeHash);
        }
        __Ownable_init(initialOwner);
        __UUPSUpgradeable_init();
        __ERC165_init();
    }

    /// @notice The contract generation (2: with the TCB flag), as upstream reports it.
    function version() public pure returns (uint256) {
        return 2;
    }

    /// @notice ERC-165: IAppAuth (0x1e079198), IAppAuthBasicManagement (0x8fd37527), IERC165.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override(ERC165Upgradeable, IERC165)
        returns (bool)
    {
        return interfaceId == type(IAppAuth).interfaceId || interfaceId == type(IAppAuthBasicManagement).interfaceId
            || super.supportsInterface(interfaceId);
    }

    /// @dev Owner only, and never once upgrades are disabled ("Upgrades are permanently disabled").
    function _authorizeUpgrade(address) internal view override onlyOwner {
        require(!_upgradesDisabled, "Upgrades are permanently disabled");
    }

    /// @notice Allow a compose hash (owner only).
    function addComposeHash(bytes32 composeHash) external onlyOwner {
        allowedComposeHashes[composeHash] = true;
        emit ComposeHashAdded(composeHash);
    }

    /// @notice Disallow a compose hash (owner only). A running CVM keeps its keys; its next
    ///         boot is refused.
    function removeComposeHash(bytes32 composeHash) external onlyOwner {
        allowedComposeHashes[composeHash] = false;
        emit ComposeHashRemoved(composeHash);
    }

    /// @notice Allow any device, or only listed ones (owner only).
    function setAllowAnyDevice(bool _allowAnyDevice) external onlyOwner {
        allowAnyDevice = _allowAnyDevice;
        emit AllowAnyDeviceSet(_allowAnyDevice);
    }

    /// @notice Require TCB status "UpToDate" or not (owner only).
    function setRequireTcbUpToDate(bool _requireUpToDate) external onlyOwner {
        requireTcbUpToDate = _requireUpToDate;
        emit RequireTcbUpToDateSet(_requireUpToDate);
    }

    /// @notice Allow a device id (owner only).
    function addDevice(bytes32 deviceId) external onlyOwner {
        allowedDeviceIds[deviceId] = true;
        emit DeviceAdded(deviceId);
    }

    /// @notice Disallow a device id (owner only).
    function removeDevice(bytes32 deviceId) external onlyOwner {
        allowedDeviceIds[deviceId] = false;
        emit DeviceRemoved(deviceId);
    }

    /// @notice Boot decision, upstream order: TCB status (when required) → compose hash →
    ///         device. Reasons: "TCB status is not up to date", "Compose hash not allowed",
    ///         "Device not allowed"; "" when allowed.
    function isAppAllowed(AppBootInfo calldata bootInfo)
        external
        view
        override
        returns (bool isAllowed, string memory reason)
    {
        if (requireTcbUpToDate && keccak256(bytes(bootInfo.tcbStatus)) != keccak256("UpToDate")) {
            return (false, "TCB status is not up to date");
        }
        if (!allowedComposeHashes[bootInfo.composeHash]) return (false, "Compose hash not allowed");
        if (!allowAnyDevice && !allowedDeviceIds[bootInfo.deviceId]) return (false, "Device not allowed");
        return (true, "");
    }

    /// @notice Permanently forbid upgrading this app contract (owner only).
    function disableUpgrades() external onlyOwner {
        _upgradesDisabled = true;
        emit UpgradesDisabled();
    }

    /// @dev Reserved storage for later versions (upstream's size).
    uint256[49] private __gap;
}
