// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ChainFormats — a test fixture for `dstack-harness matrix --target`: a dstack
///        signature-chain verifier whose message format is chosen by constructor flags, so
///        the end-to-end test can deploy verifiers that deviate from dstack's format in
///        known ways (one axis each, three at once, v0 only, v1 only, unsound) and check
///        that the harness names exactly those deviations. The harness is never told the
///        flags: it sees only the deployed contract and a call signature.
/// @dev Not a contract to copy: it exists to be wrong on purpose. The app public key is
///      taken as 64-byte x ‖ y (so the contract can derive both its address and its
///      compressed form without decompressing on chain).
contract ChainFormats {
    uint256 public constant EIP191 = 1;       // both links: EIP-191 personal-message digests
    uint256 public constant NO_V_FIX = 2;     // ecrecover gets the blob's v as is (no +27)
    uint256 public constant APPID32 = 4;      // KMS message holds all 32 bytes of the app id
    uint256 public constant UNCOMPRESSED = 8; // KMS message holds 0x04 ‖ x ‖ y
    uint256 public constant CLAIM_0X = 16;    // v0 claim hex carries "0x"
    uint256 public constant SEPARATOR = 32;   // KMS message has ":" between app id and key
    uint256 public constant ANY_APP_SIG = 64; // never checks who made the app signature
    uint256 public constant V1_K256 = 128;    // v1 claim names the algorithm "k256"

    address public immutable root;
    uint256 public immutable flags;

    constructor(address root_, uint256 flags_) {
        root = root_;
        flags = flags_;
    }

    function has(uint256 f) internal view returns (bool) {
        return flags & f != 0;
    }

    function hexOf(bytes memory data) internal pure returns (bytes memory out) {
        bytes16 digits = "0123456789abcdef";
        out = new bytes(2 * data.length);
        for (uint256 i = 0; i < data.length; i++) {
            out[2 * i] = digits[uint8(data[i]) >> 4];
            out[2 * i + 1] = digits[uint8(data[i]) & 15];
        }
    }

    function digest(bytes memory m) internal view returns (bytes32) {
        if (has(EIP191)) return keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n", decimal(m.length), m));
        return keccak256(m);
    }

    function decimal(uint256 n) internal pure returns (bytes memory s) {
        if (n == 0) return "0";
        uint256 k = n;
        uint256 len;
        while (k != 0) { len++; k /= 10; }
        s = new bytes(len);
        while (n != 0) { s[--len] = bytes1(uint8(48 + (n % 10))); n /= 10; }
    }

    function signer(bytes32 d, bytes memory sig) internal view returns (address) {
        require(sig.length == 65, "signature length");
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        if (!has(NO_V_FIX)) {
            require(v < 2, "v must be 0 or 1");
            v += 27;
        }
        return ecrecover(d, v, r, s);
    }

    function lp(bytes memory x) internal pure returns (bytes memory) {
        return abi.encodePacked(uint32(x.length), x);
    }

    /// The KMS link over (app id, app key x ‖ y); returns the app key's address.
    function kmsLink(bytes32 appId, bytes memory appPub, bytes memory kmsSig) internal view returns (address) {
        require(appPub.length == 64, "app key must be 64 bytes x||y");
        bytes32 x;
        bytes32 y;
        assembly ("memory-safe") {
            x := mload(add(appPub, 32))
            y := mload(add(appPub, 64))
        }
        bytes memory key = has(UNCOMPRESSED)
            ? abi.encodePacked(bytes1(0x04), x, y)
            : abi.encodePacked(bytes1(uint256(y) & 1 == 1 ? 0x03 : 0x02), x);
        bytes memory id = has(APPID32) ? abi.encodePacked(appId) : abi.encodePacked(bytes20(appId));
        bytes memory m = abi.encodePacked("dstack-kms-issued:", id, has(SEPARATOR) ? bytes(":") : bytes(""), key);
        require(signer(digest(m), kmsSig) == root, "KMS root untrusted");
        return address(uint160(uint256(keccak256(appPub))));
    }

    function appLink(bytes memory claim, bytes memory appSig, address appKey) internal view {
        address got = signer(digest(claim), appSig);
        require(got != address(0), "app link recovers nothing");
        if (!has(ANY_APP_SIG)) require(got == appKey, "app key mismatch");
    }

    /// v0: claim = purpose ‖ ":" ‖ hex(derived_pub).
    function verify(bytes32 app_id, bytes memory derived_pub, bytes memory app_sig, bytes memory kms_sig,
        string memory purpose, bytes memory app_pub) external view returns (bool) {
        address appKey = kmsLink(app_id, app_pub, kms_sig);
        bytes memory claim = abi.encodePacked(purpose, has(CLAIM_0X) ? ":0x" : ":", hexOf(derived_pub));
        appLink(claim, app_sig, appKey);
        return true;
    }

    /// v0, returning nothing: accepts by not reverting.
    function check(bytes32 app_id, bytes memory derived_pub, bytes memory app_sig, bytes memory kms_sig,
        string memory purpose, bytes memory app_pub) external view {
        this.verify(app_id, derived_pub, app_sig, kms_sig, purpose, app_pub);
    }

    /// v1: claim = LP("dstack-guest-v1-key-claim") ‖ LP(alg) ‖ LP(domain) ‖ LP(pub).
    function verifyV1(bytes32 app_id, bytes memory derived_pub, bytes memory app_sig, bytes memory kms_sig,
        string memory domain, string memory algorithm, bytes memory app_pub) external view returns (bool) {
        address appKey = kmsLink(app_id, app_pub, kms_sig);
        appLink(v1Claim(domain, algorithm, derived_pub), app_sig, appKey);
        return true;
    }

    function v1Claim(string memory domain, string memory algorithm, bytes memory pub)
        internal view returns (bytes memory) {
        bytes memory alg = has(V1_K256) ? bytes("k256") : bytes(algorithm);
        return abi.encodePacked(lp("dstack-guest-v1-key-claim"), lp(alg), lp(bytes(domain)), lp(pub));
    }

    /// Accepts anything: every chain, any root (the harness must call this unsound).
    function anything(bytes32 app_id, bytes memory derived_pub, bytes memory app_sig, bytes memory kms_sig,
        string memory purpose) external pure returns (bool) {
        return app_id.length + derived_pub.length + app_sig.length + kms_sig.length + bytes(purpose).length > 0;
    }
}
