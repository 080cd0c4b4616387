// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IAppAuthBasicManagement
/// @notice dstack's allow-list management interface (kms/auth-eth), ERC-165 id 0x8fd37527:
///         what UI tools call on an app contract to change which compose hashes and
///         devices may boot.
interface IAppAuthBasicManagement is IERC165 {
    event ComposeHashAdded(bytes32 composeHash);
    event ComposeHashRemoved(bytes32 composeHash);
    event DeviceAdded(bytes32 deviceId);
    event DeviceRemoved(bytes32 deviceId);

    /// @notice Allow a compose hash (reverts for an unauthorised caller).
    function addComposeHash(bytes32 composeHash) external;
    /// @notice Disallow a compose hash (reverts for an unauthorised caller).
    function removeComposeHash(bytes32 composeHash) external;
    /// @notice Allow a device id (reverts for an unauthorised caller).
    function addDevice(bytes32 deviceId) external;
    /// @notice Disallow a device id (reverts for an unauthorised caller).
    function removeDevice(bytes32 deviceId) external;
}
