// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @notice Minimal test base: the cheatcode handle, assertions that revert with the
///         values on failure, and signing helpers producing dstack-form signature blobs.
abstract contract TestBase {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @dev forge treats a contract with IS_TEST = true as a test suite.
    bool public IS_TEST = true;

    // ------------------------------------------------------------------ assertions

    function fail(string memory message) internal pure {
        revert(string.concat("assertion failed: ", message));
    }

    function assertTrue(bool ok, string memory what) internal pure {
        if (!ok) fail(what);
    }

    function assertFalse(bool ok, string memory what) internal pure {
        if (ok) fail(what);
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) fail(string.concat(what, ": ", Strings.toString(a), " != ", Strings.toString(b)));
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) fail(string.concat(what, ": ", Strings.toHexString(a), " != ", Strings.toHexString(b)));
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) {
            fail(
                string.concat(
                    what, ": ", Strings.toHexString(uint256(a), 32), " != ", Strings.toHexString(uint256(b), 32)
                )
            );
        }
    }

    function assertEq(bool a, bool b, string memory what) internal pure {
        if (a != b) fail(string.concat(what, ": bool mismatch"));
    }

    function assertEq(bytes memory a, bytes memory b, string memory what) internal pure {
        if (keccak256(a) != keccak256(b)) fail(string.concat(what, ": bytes mismatch"));
    }

    function assertEq(string memory a, string memory b, string memory what) internal pure {
        if (keccak256(bytes(a)) != keccak256(bytes(b))) fail(string.concat(what, ": \"", a, "\" != \"", b, "\""));
    }

    // ------------------------------------------------------------------ helpers

    /// @notice Clamp x into [lo, hi] (inclusive), for fuzz inputs.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }

    /// @notice A valid secp256k1 private key from any fuzz input.
    function toPrivateKey(uint256 seed) internal pure returns (uint256) {
        return bound(seed, 1, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140);
    }

    /// @notice Sign like dstack: raw digest, RFC 6979, low-s, blob r ‖ s ‖ v with v ∈ {0,1}.
    /// @dev vm.sign returns v = 27/28 (and low-s); subtract 27 for the blob.
    function signDstack(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, uint8(v - 27));
    }

    /// @notice Sign like an Ethereum wallet: blob r ‖ s ‖ v with v = 27/28.
    function signEth(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @notice The high-s twin of a dstack blob: (r, n − s, v flipped) is a valid ECDSA
    ///         signature by the same key, which dstack never emits.
    function highSTwin(bytes memory sig) internal pure returns (bytes memory) {
        bytes32 r;
        uint256 s;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
        }
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        return abi.encodePacked(r, bytes32(n - s), uint8(sig[64]) ^ 1);
    }

    /// @notice 33-byte compressed SEC1 public key of a private key.
    function pub33(uint256 privateKey) internal returns (bytes memory) {
        Vm.Wallet memory w = vm.createWallet(privateKey);
        return abi.encodePacked(bytes1(w.publicKeyY & 1 == 1 ? 0x03 : 0x02), bytes32(w.publicKeyX));
    }

    /// @notice 64-byte x ‖ y public key of a private key.
    function pub64(uint256 privateKey) internal returns (bytes memory) {
        Vm.Wallet memory w = vm.createWallet(privateKey);
        return abi.encodePacked(w.publicKeyX, w.publicKeyY);
    }

    /// @notice The 20-byte app id right-padded in a bytes32, as the seeds pass it.
    function padAppId(bytes20 appId) internal pure returns (bytes32) {
        return bytes32(appId);
    }

    /// @notice Copy of `b` with byte `i` xor-ed with `mask` (mask != 0).
    function flipByte(bytes memory b, uint256 i, uint8 mask) internal pure returns (bytes memory out) {
        out = bytes.concat(b);
        out[i] = bytes1(uint8(out[i]) ^ mask);
    }

    /// @notice Hex without 0x, lower- or uppercase (test-side, to build wrong variants).
    function hexOf(bytes memory data, bool upper) internal pure returns (string memory) {
        bytes memory alphabet = upper ? bytes("0123456789ABCDEF") : bytes("0123456789abcdef");
        bytes memory out = new bytes(data.length * 2);
        for (uint256 i = 0; i < data.length; ++i) {
            out[2 * i] = alphabet[uint8(data[i]) >> 4];
            out[2 * i + 1] = alphabet[uint8(data[i]) & 15];
        }
        return string(out);
    }
}
