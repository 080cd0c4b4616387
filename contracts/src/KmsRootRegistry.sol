// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// @title KmsRootRegistry
/// @notice A set of trusted dstack KMS root addresses with one primary, owner-rotated.
///         `kmsRootAddress()` / `setKmsRootAddress()` keep the seeds' single-root ABI;
///         `addKmsRoot` / `removeKmsRoot` allow overlap during a rotation (old and new root
///         both trusted) and several KMS providers at once.
/// @dev A KMS root address is the Ethereum address of the KMS k256 root key
///      (keccak256(x ‖ y)[12:]), i.e. what the KMS link of a signature chain recovers to.
abstract contract KmsRootRegistry is Ownable {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice A zero address was given where a KMS root is needed.
    error ZeroAddress();
    /// @notice The recovered KMS root is not in the trusted set.
    error KmsRootUntrusted(address recovered);
    /// @notice `addKmsRoot` for a root that is already trusted.
    error KmsRootAlreadyTrusted(address root);
    /// @notice The primary root cannot be removed; set another primary first.
    error KmsRootIsPrimary(address root);

    /// @notice The primary root changed (the old one is no longer trusted unless re-added).
    event KmsRootAddressUpdated(address indexed oldAddress, address indexed newAddress);
    /// @notice A root joined the trusted set.
    event KmsRootAdded(address indexed root);
    /// @notice A root left the trusted set.
    event KmsRootRemoved(address indexed root);

    address private _primaryRoot;
    EnumerableSet.AddressSet private _roots;

    /// @param initialRoot the first trusted (and primary) KMS root; must be non-zero
    constructor(address initialRoot) {
        if (initialRoot == address(0)) revert ZeroAddress();
        _primaryRoot = initialRoot;
        _roots.add(initialRoot);
        emit KmsRootAddressUpdated(address(0), initialRoot);
        emit KmsRootAdded(initialRoot);
    }

    /// @notice The primary trusted KMS root (the seeds' single root).
    function kmsRootAddress() public view returns (address) {
        return _primaryRoot;
    }

    /// @notice Whether `root` is one of the trusted KMS roots.
    function isTrustedKmsRoot(address root) public view returns (bool) {
        return _roots.contains(root);
    }

    /// @notice All trusted KMS roots (order not significant).
    function getKmsRoots() external view returns (address[] memory) {
        return _roots.values();
    }

    /// @notice Replace the primary root (owner only). The new root becomes trusted and the
    ///         previous primary stops being trusted (the seeds' replace semantics); add it
    ///         back with `addKmsRoot` to keep both during an overlap.
    function setKmsRootAddress(address newRoot) external onlyOwner {
        if (newRoot == address(0)) revert ZeroAddress();
        address old = _primaryRoot;
        if (old != newRoot) {
            _roots.remove(old);
            if (_roots.add(newRoot)) emit KmsRootAdded(newRoot);
            emit KmsRootRemoved(old);
            _primaryRoot = newRoot;
        }
        emit KmsRootAddressUpdated(old, newRoot);
    }

    /// @notice Trust one more KMS root (owner only).
    function addKmsRoot(address root) external onlyOwner {
        if (root == address(0)) revert ZeroAddress();
        if (!_roots.add(root)) revert KmsRootAlreadyTrusted(root);
        emit KmsRootAdded(root);
    }

    /// @notice Stop trusting a non-primary KMS root (owner only).
    function removeKmsRoot(address root) external onlyOwner {
        if (root == _primaryRoot) revert KmsRootIsPrimary(root);
        if (!_roots.remove(root)) revert KmsRootUntrusted(root);
        emit KmsRootRemoved(root);
    }

    /// @dev Revert with `KmsRootUntrusted(root)` unless `root` is trusted.
    function _requireTrustedRoot(address root) internal view {
        if (!_roots.contains(root)) revert KmsRootUntrusted(root);
    }
}
