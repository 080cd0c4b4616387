// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IAppAuth
/// @notice dstack's app-authorisation interface (kms/auth-eth), ERC-165 id 0x1e079198.
///         The KMS asks `isAppAllowed` before releasing an app's keys.
interface IAppAuth is IERC165 {
    /// @notice Boot facts the KMS gathered from the app's attestation.
    /// @param appId the app id; on chain it is the DstackApp contract address
    /// @param composeHash sha256 of app-compose.json
    /// @param instanceId the instance id (20 bytes)
    /// @param deviceId the device (platform) id
    /// @param mrAggregated aggregated measurement
    /// @param mrSystem system measurement
    /// @param osImageHash hash of the OS image
    /// @param tcbStatus Intel TCB status string, e.g. "UpToDate"
    /// @param advisoryIds Intel security advisory ids
    struct AppBootInfo {
        address appId;
        bytes32 composeHash;
        address instanceId;
        bytes32 deviceId;
        bytes32 mrAggregated;
        bytes32 mrSystem;
        bytes32 osImageHash;
        string tcbStatus;
        string[] advisoryIds;
    }

    /// @notice Whether an app may boot; `reason` explains a refusal ("" when allowed).
    function isAppAllowed(AppBootInfo calldata bootInfo) external view returns (bool isAllowed, string memory reason);
}
