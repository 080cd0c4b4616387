// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAppAuth} from "./IAppAuth.sol";

/// @title IAppAuthBasicManagement
/// @notice dstack's allow-list management interface, ERC-165 id 0x8fd37527.
interface IAppAuthBasicManagement {
    event ComposeHashAdded(bytes32 composeHash);
    event ComposeHashRemoved(bytes32 composeHash);
    event DeviceAdded(bytes32 deviceId);
    event DeviceRemoved(bytes32 deviceId);

    function addComposeHash(bytes32 composeHash) external;
    function removeComposeHash(bytes32 composeHash) external;
    function addDevice(bytes32 deviceId) external;
    function removeDevice(bytes32 deviceId) external;
}

/// @title DstackApp
/// @notice Per-app governance in the shape of dstack's kms/auth-eth DstackApp: which
///         compose hashes may boot, on which devices, and whether Intel's TCB status must
///         be "UpToDate". On chain the app id IS this contract's address.
/// @dev Not upgradeable (upstream is a UUPS proxy); constructor instead of `initialize`.
///      Check order and refusal reasons are upstream's.
contract DstackApp is Ownable, IERC165, IAppAuth, IAppAuthBasicManagement {
    /// @notice Compose hashes allowed to boot.
    mapping(bytes32 => bool) public allowedComposeHashes;
    /// @notice Device ids allowed to boot (ignored when `allowAnyDevice`).
    mapping(bytes32 => bool) public allowedDeviceIds;
    /// @notice Whether any device may boot the app.
    bool public allowAnyDevice;
    /// @notice Whether the TCB status must be exactly "UpToDate".
    bool public requireTcbUpToDate;

    event AllowAnyDeviceSet(bool allowAny);
    event RequireTcbUpToDateSet(bool requireUpToDate);

    /// @param initialOwner owner (non-zero; OZ reverts with OwnableInvalidOwner otherwise)
    /// @param allowAnyDevice_ initial `allowAnyDevice`
    /// @param requireTcbUpToDate_ initial `requireTcbUpToDate`
    /// @param initialDeviceId a device to allow at once (zero = none)
    /// @param initialComposeHash a compose hash to allow at once (zero = none)
    constructor(
        address initialOwner,
        bool allowAnyDevice_,
        bool requireTcbUpToDate_,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) Ownable(initialOwner) {
        allowAnyDevice = allowAnyDevice_;
        requireTcbUpToDate = requireTcbUpToDate_;
        if (initialDeviceId != bytes32(0)) {
            allowedDeviceIds[initialDeviceId] = true;
            emit DeviceAdded(initialDeviceId);
        }
        if (initialComposeHash != bytes32(0)) {
            allowedComposeHashes[initialComposeHash] = true;
            emit ComposeHashAdded(initialComposeHash);
        }
    }

    /// @notice ERC-165: IAppAuth (0x1e079198), IAppAuthBasicManagement (0x8fd37527), IERC165.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IAppAuth).interfaceId || interfaceId == type(IAppAuthBasicManagement).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }

    /// @notice Allow a compose hash (owner only).
    function addComposeHash(bytes32 composeHash) external onlyOwner {
        allowedComposeHashes[composeHash] = true;
        emit ComposeHashAdded(composeHash);
    }

    /// @notice Disallow a compose hash (owner only).
    function removeComposeHash(bytes32 composeHash) external onlyOwner {
        allowedComposeHashes[composeHash] = false;
        emit ComposeHashRemoved(composeHash);
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

    /// @notice Allow any device, or only listed ones (owner only).
    function setAllowAnyDevice(bool allowAny) external onlyOwner {
        allowAnyDevice = allowAny;
        emit AllowAnyDeviceSet(allowAny);
    }

    /// @notice Require TCB status "UpToDate" or not (owner only).
    function setRequireTcbUpToDate(bool requireUpToDate) external onlyOwner {
        requireTcbUpToDate = requireUpToDate;
        emit RequireTcbUpToDateSet(requireUpToDate);
    }

    /// @notice Boot decision, upstream order: TCB status (when required) → compose hash →
    ///         device. Reasons: "TCB status is not up to date", "Compose hash not allowed",
    ///         "Device not allowed"; "" when allowed.
    function isAppAllowed(AppBootInfo calldata bootInfo) external view returns (bool isAllowed, string memory reason) {
        if (requireTcbUpToDate && keccak256(bytes(bootInfo.tcbStatus)) != keccak256("UpToDate")) {
            return (false, "TCB status is not up to date");
        }
        if (!allowedComposeHashes[bootInfo.composeHash]) return (false, "Compose hash not allowed");
        if (!allowAnyDevice && !allowedDeviceIds[bootInfo.deviceId]) return (false, "Device not allowed");
        return (true, "");
    }
}
