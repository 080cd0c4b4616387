// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";

/// @notice Our DstackKms and DstackApp expose upstream dstack v0.5.11's ABI: every entry of
///         upstream's compiled ABI (fixtures/upstream/dstack-v0.5.11-*.abi.json, compiled
///         from kms/auth-eth/contracts at commit 40eaf35e) appears in ours with the same
///         kind, name, parameter types, internal types, names, indexing and mutability;
///         and ours adds nothing beyond a short, named list of extras.
/// @dev Each entry becomes one canonical line, built from the JSON by forge's JSON
///      cheatcodes, so a failure names the entry.
contract AbiCompatTest is TestBase {
    string internal constant FIXTURES = "../fixtures/upstream/dstack-v0.5.11-";

    function _has(string memory json, string memory key) internal view returns (bool) {
        return vm.keyExistsJson(json, key);
    }

    function _str(string memory json, string memory key) internal pure returns (string memory) {
        return vm.parseJsonString(json, key);
    }

    /// `type[(components)] internalType name[ indexed]` for the parameter at `key`.
    function _param(string memory json, string memory key) internal view returns (string memory p) {
        p = _str(json, string.concat(key, ".type"));
        if (_has(json, string.concat(key, ".components"))) {
            p = string.concat(p, " ", _params(json, string.concat(key, ".components")));
        }
        if (_has(json, string.concat(key, ".internalType"))) {
            p = string.concat(p, " {", _str(json, string.concat(key, ".internalType")), "}");
        }
        p = string.concat(p, " ", _str(json, string.concat(key, ".name")));
        if (_has(json, string.concat(key, ".indexed")) && vm.parseJsonBool(json, string.concat(key, ".indexed"))) {
            p = string.concat(p, " indexed");
        }
    }

    /// `(p0, p1, ...)` for the parameter list at `key` ("()" when absent or empty).
    function _params(string memory json, string memory key) internal view returns (string memory out) {
        out = "(";
        for (uint256 i = 0;; ++i) {
            string memory k = string.concat(key, "[", vm.toString(i), "]");
            if (!_has(json, k)) break;
            out = string.concat(out, i == 0 ? "" : ", ", _param(json, k));
        }
        out = string.concat(out, ")");
    }

    /// One canonical line for the ABI entry at `key`.
    function _entry(string memory json, string memory key) internal view returns (string memory e) {
        e = _str(json, string.concat(key, ".type"));
        if (_has(json, string.concat(key, ".name"))) e = string.concat(e, " ", _str(json, string.concat(key, ".name")));
        e = string.concat(e, _params(json, string.concat(key, ".inputs")));
        if (_has(json, string.concat(key, ".stateMutability"))) {
            e = string.concat(e, " ", _str(json, string.concat(key, ".stateMutability")));
        }
        if (_has(json, string.concat(key, ".outputs"))) {
            e = string.concat(e, " returns ", _params(json, string.concat(key, ".outputs")));
        }
        if (_has(json, string.concat(key, ".anonymous")) && vm.parseJsonBool(json, string.concat(key, ".anonymous"))) {
            e = string.concat(e, " anonymous");
        }
    }

    function _entries(string memory json, string memory root) internal view returns (string[] memory out) {
        uint256 n;
        while (_has(json, string.concat(root, "[", vm.toString(n), "]"))) ++n;
        out = new string[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = _entry(json, string.concat(root, "[", vm.toString(i), "]"));
    }

    function _contains(string[] memory list, string memory e) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (keccak256(bytes(list[i])) == keccak256(bytes(e))) return true;
        }
        return false;
    }

    function _compare(string memory name, string[] memory extras) internal view {
        string[] memory up = _entries(vm.readFile(string.concat(FIXTURES, name, ".abi.json")), "$");
        string[] memory ours =
            _entries(vm.readFile(string.concat("out/", name, ".sol/", name, ".json")), ".abi");
        assertTrue(up.length > 30, "upstream fixture parsed");
        for (uint256 i = 0; i < up.length; ++i) {
            if (!_contains(ours, up[i])) fail(string.concat(name, ": missing upstream entry: ", up[i]));
        }
        for (uint256 i = 0; i < ours.length; ++i) {
            if (!_contains(up, ours[i]) && !_contains(extras, ours[i])) {
                fail(string.concat(name, ": entry not in upstream's ABI: ", ours[i]));
            }
        }
        assertEq(ours.length, up.length + extras.length, string.concat(name, ": entry count"));
    }

    function test_dstackKms_abiMatchesUpstream() public view {
        string[] memory extras = new string[](2);
        extras[0] = "function kmsRootAddress() view returns (address {address} )";
        extras[1] = "error PublicKeyInvalid(uint256 {uint256} length)";
        _compare("DstackKms", extras);
    }

    function test_dstackApp_abiMatchesUpstream() public view {
        _compare("DstackApp", new string[](0));
    }

    /// The comparison is not vacuous: a one-character change in a parameter name is caught.
    function test_canonicalLine_isExact() public view {
        string memory json = vm.readFile(string.concat(FIXTURES, "DstackKms.abi.json"));
        string[] memory up = _entries(json, "$");
        assertTrue(
            _contains(
                up,
                "function deployAndRegisterApp(address {address} initialOwner, bool {bool} disableUpgrades, bool {bool} allowAnyDevice, bytes32 {bytes32} initialDeviceId, bytes32 {bytes32} initialComposeHash) nonpayable returns (address {address} appId)"
            ),
            "5-argument factory line"
        );
        assertTrue(
            _contains(up, "event AppDeployedViaFactory(address {address} appId indexed, address {address} deployer indexed)"),
            "factory event line"
        );
        assertFalse(
            _contains(
                up,
                "function deployAndRegisterApp(address {address} initialOwner, bool {bool} disableUpgrades, bool {bool} allowAnyDevice, bytes32 {bytes32} initialDeviceId, bytes32 {bytes32} initialComposehash) nonpayable returns (address {address} appId)"
            ),
            "a wrong name does not match"
        );
    }
}
