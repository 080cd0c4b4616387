// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vectors as X} from "./utils/Vectors.sol";
import {VerifierHarness} from "./utils/VerifierHarness.sol";
import {DstackChainVerifier as V} from "../src/DstackChainVerifier.sol";

/// @notice The chain verifier library against real dstack vectors (A, C, D, E, F of the
///         project's vectors.md) and against each variant of the mismatch catalogue.
contract DstackChainVerifierTest is TestBase {
    VerifierHarness internal h;

    uint256 internal constant DERIVED_KEY = 0xD3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3;

    function setUp() public {
        h = new VerifierHarness();
    }

    // ================================================================ positive: vectors

    /// vectors.md C: the full GetKey{test, signing} chain of the upstream v0.5.11 simulator.
    function test_VectorC_fullChain() public {
        assertEq(pub33(X.C_DERIVED_KEY), X.C_DERIVED_PUB, "C derived pub from key");
        assertEq(vm.addr(X.C_DERIVED_KEY), X.C_DERIVED_ADDR, "C derived address");
        assertEq(pub33(X.C_APP_KEY), X.C_APP_PUB, "C app pub from k256_key");
        assertEq(h.appLinkDigest("signing", X.C_DERIVED_PUB), X.C_APP_DIGEST, "C app digest");
        assertEq(h.kmsLinkDigest(X.C_APP_ID, X.C_APP_PUB), X.C_KMS_DIGEST, "C KMS digest");
        assertEq(h.recoverSigner(X.C_APP_DIGEST, X.C_APP_SIG), X.C_APP_ADDR, "C app link signer");
        assertEq(h.recoverSigner(X.C_KMS_DIGEST, X.C_KMS_SIG), X.C_ROOT, "C KMS link signer");
        assertEq(h.pubToAddress(X.C_ROOT_PUB), X.C_ROOT, "C root pub -> address");

        (address d, address a, address root) = h.verifyChainWithAppKey(
            padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG
        );
        assertEq(d, X.C_DERIVED_ADDR, "derived");
        assertEq(a, X.C_APP_ADDR, "app");
        assertEq(root, X.C_ROOT, "root");

        bytes memory appPub;
        (d, appPub, root) = h.recoverChain(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        assertEq(appPub, X.C_APP_PUB, "recovered app pub");
        assertEq(root, X.C_ROOT, "recovered root");
    }

    /// vm.sign (RFC 6979, low-s) reproduces dstack's own app signature byte for byte once v
    /// is turned into the 0/1 blob form: in-test chains are made exactly as dstack makes them.
    function test_VectorC_vmSignReproducesDstackSignature() public pure {
        assertEq(signDstack(X.C_APP_KEY, X.C_APP_DIGEST), X.C_APP_SIG, "vm.sign == dstack chain[0]");
    }

    /// vectors.md D: the seeds' static KMS signature recovers to 0x8f2c…e7C5; a full chain
    /// made in-test with the D app key verifies under that root.
    function test_VectorD_kmsLinkAndInTestChain() public {
        assertEq(pub33(X.D_APP_KEY), X.D_APP_PUB, "D app pub from k256_key");
        assertEq(vm.addr(X.D_APP_KEY), X.D_APP_ADDR, "D app address");
        assertEq(h.recoverSigner(h.kmsLinkDigest(X.D_APP_ID, X.D_APP_PUB), X.D_KMS_SIG), X.D_ROOT, "D root");
        assertEq(h.pubToAddress(X.D_ROOT_PUB), X.D_ROOT, "D root pub -> address");

        bytes memory dpub = pub33(DERIVED_KEY);
        bytes memory appSig = signDstack(X.D_APP_KEY, h.appLinkDigest("mainnet", dpub));
        (address d, bytes memory appPub, address root) =
            h.recoverChain(padAppId(X.D_APP_ID), "mainnet", dpub, appSig, X.D_KMS_SIG);
        assertEq(d, vm.addr(DERIVED_KEY), "derived");
        assertEq(appPub, X.D_APP_PUB, "app pub");
        assertEq(root, X.D_ROOT, "root");
    }

    /// vectors.md E: only digests are published; the library reproduces both from inputs.
    function test_VectorE_digests() public view {
        assertEq(h.appLinkDigest("mainnet", X.E_DERIVED_PUB), X.E_APP_DIGEST, "E app digest");
        assertEq(h.kmsLinkDigest(X.E_APP_ID, X.E_APP_PUB), X.E_KMS_DIGEST, "E KMS digest");
        assertEq(h.pubToAddress(X.E_ROOT_PUB), X.E_ROOT, "E root pub -> address");
        assertEq(h.pubToAddress(X.E_APP_PUB), X.E_APP_ADDR, "E app pub -> address");
    }

    /// vectors.md F: KMS-side derivation; vm.sign with the root key reproduces the
    /// published k256_signature exactly.
    function test_VectorF_kmsSignature() public {
        assertEq(pub33(X.F_ROOT_KEY), X.F_ROOT_PUB, "F root pub");
        assertEq(vm.addr(X.F_ROOT_KEY), X.F_ROOT, "F root address");
        assertEq(pub33(X.F_APP_KEY), X.F_APP_PUB, "F app pub");
        assertEq(vm.addr(X.F_APP_KEY), X.F_APP_ADDR, "F app address");
        bytes32 digest = h.kmsLinkDigest(X.F_APP_ID, X.F_APP_PUB);
        assertEq(signDstack(X.F_ROOT_KEY, digest), X.F_KMS_SIG, "vm.sign == k256_signature");
        assertEq(h.recoverSigner(digest, X.F_KMS_SIG), X.F_ROOT, "F KMS link signer");
    }

    /// vectors.md A: upstream's GetKey app links (two paths and purposes).
    function test_VectorA_appLinks() public {
        assertEq(pub33(X.A_TEST_KEY), X.A_TEST_PUB, "A test pub");
        assertEq(h.recoverSigner(h.appLinkDigest("signing", X.A_TEST_PUB), X.A_TEST_SIG), X.A_APP_ADDR, "A test");
        assertEq(h.recoverSigner(h.appLinkDigest("mainnet", X.A_WALLET_PUB), X.A_WALLET_SIG), X.A_APP_ADDR, "A wallet");
        assertEq(h.pubToAddress(X.A_WALLET_PUB), X.A_WALLET_ADDR, "A wallet address");
        (bool ok, bytes memory appPub, address signer) =
            h.recoverPublicKey(h.appLinkDigest("signing", X.A_TEST_PUB), X.A_TEST_SIG);
        assertTrue(ok, "A recover ok");
        assertEq(appPub, pub33(X.A_APP_KEY), "A full app pub recovered");
        assertEq(signer, X.A_APP_ADDR, "A signer");
    }

    /// The claim's exact bytes, also with an empty purpose (":" ‖ hex).
    function test_appLinkMessage_exactBytes() public view {
        assertEq(
            h.appLinkMessage("signing", X.C_DERIVED_PUB),
            bytes("signing:02c53a10a891f3c5d599539056edcfa080555ac975cae78e59b5d519dcdaf03389"),
            "claim"
        );
        assertEq(
            h.appLinkMessage("", X.A_TEST_PUB),
            bytes(":02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919"),
            "empty purpose"
        );
        assertEq(h.toLowerHex(hex"00ff0aA0"), "00ff0aa0", "lower hex");
    }

    /// Compressed, 64-byte and compressing back give the same key.
    function test_publicKeyForms() public {
        bytes memory p64 = pub64(X.C_APP_KEY);
        assertEq(h.pubToAddress(p64), X.C_APP_ADDR, "64-byte key address");
        assertEq(h.compressKey(p64), X.C_APP_PUB, "64 -> 33");
        (uint256 x, uint256 y) = h.decompress(X.C_APP_PUB);
        assertEq(abi.encodePacked(x, y), p64, "33 -> 64");
    }

    // ================================================================ negative: catalogue

    /// Digest axis: an app link signed over the EIP-191 digest is refused.
    function test_reject_eip191Digest() public {
        bytes memory dpub = X.C_DERIVED_PUB;
        bytes memory claim = h.appLinkMessage("signing", dpub);
        bytes32 eip191 = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n", "74", claim));
        assertEq(claim.length, 74, "claim length");
        bytes memory badSig = signDstack(X.C_APP_KEY, eip191);
        address wrong = h.recoverSigner(X.C_APP_DIGEST, badSig);
        assertTrue(wrong != X.C_APP_ADDR, "EIP-191 signature must not recover to the app key");
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", dpub, X.C_APP_PUB, badSig, X.C_KMS_SIG);
    }

    /// v axis: a blob carrying v = 27/28 (an Ethereum wallet's form) is refused.
    function test_reject_v27InBlob() public {
        bytes memory ethSig = signEth(X.C_APP_KEY, X.C_APP_DIGEST);
        uint8 v = uint8(ethSig[64]);
        assertTrue(v == 27 || v == 28, "vm.sign gives 27/28");
        vm.expectRevert(abi.encodeWithSelector(V.RecoveryIdInvalid.selector, v));
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, ethSig, X.C_KMS_SIG);
    }

    /// v axis: a verifier that forgets +27 recovers nothing from real blobs (v = 0 and 1);
    /// this library adds it.
    function test_reject_missingPlus27() public view {
        assertEq(h.rawEcrecover(X.C_APP_DIGEST, X.C_APP_SIG), address(0), "raw ecrecover, v=0");
        bytes32 dDigest = h.kmsLinkDigest(X.D_APP_ID, X.D_APP_PUB);
        assertEq(h.rawEcrecover(dDigest, X.D_KMS_SIG), address(0), "raw ecrecover, v=1");
        assertEq(h.recoverSigner(X.C_APP_DIGEST, X.C_APP_SIG), X.C_APP_ADDR, "library, v=0");
        assertEq(h.recoverSigner(dDigest, X.D_KMS_SIG), X.D_ROOT, "library, v=1");
    }

    /// App id axis: hashing 32 bytes of app id (the early seed contract) cannot recover the
    /// real root from a real chain.
    function test_reject_appId32Bytes() public view {
        bytes32 wrongDigest = keccak256(abi.encodePacked("dstack-kms-issued:", padAppId(X.C_APP_ID), X.C_APP_PUB));
        assertTrue(wrongDigest != X.C_KMS_DIGEST, "digest differs");
        address wrongRoot = h.recoverSigner(wrongDigest, X.C_KMS_SIG);
        assertTrue(wrongRoot != X.C_ROOT, "32-byte app id must not reach the root");
        // A KMS link signed over the 32-byte form does not verify under the 20-byte scheme.
        bytes memory badKms = signDstack(
            X.F_ROOT_KEY, keccak256(abi.encodePacked("dstack-kms-issued:", padAppId(X.F_APP_ID), X.F_APP_PUB))
        );
        assertTrue(h.recoverSigner(h.kmsLinkDigest(X.F_APP_ID, X.F_APP_PUB), badKms) != X.F_ROOT, "20-byte check");
    }

    /// App id axis: non-zero padding (or a left-padded id) is refused.
    function test_reject_appIdPadding() public {
        bytes32 dirty = padAppId(X.C_APP_ID) | bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(V.AppIdPaddingInvalid.selector, dirty));
        h.appIdFromBytes32(dirty);
        bytes32 leftPadded = bytes32(uint256(uint160(X.C_APP_ID)));
        vm.expectRevert(abi.encodeWithSelector(V.AppIdPaddingInvalid.selector, leftPadded));
        h.verifyChainWithAppKey(leftPadded, "signing", X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        assertEq(h.appIdFromBytes32(padAppId(X.C_APP_ID)), X.C_APP_ID, "clean id passes");
    }

    /// Key axis: an uncompressed (65-byte) derived key or an address in its place is refused.
    function test_reject_uncompressedOrAddressAsDerivedKey() public {
        bytes memory p65 = bytes.concat(hex"04", pub64(X.C_DERIVED_KEY));
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 65));
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", p65, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        bytes memory asAddress = abi.encodePacked(X.C_DERIVED_ADDR);
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 20));
        h.recoverChain(padAppId(X.C_APP_ID), "signing", asAddress, X.C_APP_SIG, X.C_KMS_SIG);
        // An address in place of the app key as well.
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 20));
        h.verifyChainWithAppKey(
            padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, abi.encodePacked(X.C_APP_ADDR), X.C_APP_SIG, X.C_KMS_SIG
        );
    }

    /// Key axis: a KMS link signed over the uncompressed app key does not reach the root.
    function test_reject_kmsLinkOverUncompressedAppKey() public {
        bytes memory p65 = bytes.concat(hex"04", pub64(X.F_APP_KEY));
        bytes memory badKms =
            signDstack(X.F_ROOT_KEY, keccak256(abi.encodePacked("dstack-kms-issued:", X.F_APP_ID, p65)));
        bytes memory dpub = pub33(DERIVED_KEY);
        bytes memory appSig = signDstack(X.F_APP_KEY, h.appLinkDigest("p", dpub));
        (,, address root) = h.verifyChainWithAppKey(padAppId(X.F_APP_ID), "p", dpub, X.F_APP_PUB, appSig, badKms);
        assertTrue(root != X.F_ROOT, "uncompressed-key KMS link must not reach the root");
        (,, root) = h.verifyChainWithAppKey(padAppId(X.F_APP_ID), "p", dpub, X.F_APP_PUB, appSig, X.F_KMS_SIG);
        assertEq(root, X.F_ROOT, "canonical KMS link does");
    }

    /// Claim axis: uppercase hex in the claim is refused.
    function test_reject_uppercaseHexClaim() public {
        bytes32 upper = keccak256(abi.encodePacked("signing:", hexOf(X.C_DERIVED_PUB, true)));
        bytes memory badSig = signDstack(X.C_APP_KEY, upper);
        address wrong = h.recoverSigner(X.C_APP_DIGEST, badSig);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, badSig, X.C_KMS_SIG);
    }

    /// Claim axis: a `0x` prefix in the claim is refused.
    function test_reject_0xHexClaim() public {
        bytes32 prefixed = keccak256(abi.encodePacked("signing:0x", hexOf(X.C_DERIVED_PUB, false)));
        bytes memory badSig = signDstack(X.C_APP_KEY, prefixed);
        address wrong = h.recoverSigner(X.C_APP_DIGEST, badSig);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, badSig, X.C_KMS_SIG);
    }

    /// Separator axis: an extra ':' between app id and key does not reach the root.
    function test_reject_extraSeparator() public view {
        bytes memory badKms =
            signDstack(X.F_ROOT_KEY, keccak256(abi.encodePacked("dstack-kms-issued:", X.F_APP_ID, ":", X.F_APP_PUB)));
        assertTrue(h.recoverSigner(h.kmsLinkDigest(X.F_APP_ID, X.F_APP_PUB), badKms) != X.F_ROOT, "separator");
    }

    /// Gap 1 of the public contract: an app signature by another key than the supplied
    /// app public key is refused, naming both addresses — although the KMS link is valid.
    function test_reject_appSignatureFromOtherKey() public {
        bytes memory appSigByD = signDstack(X.D_APP_KEY, X.C_APP_DIGEST);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, X.D_APP_ADDR, X.C_APP_ADDR));
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, appSigByD, X.C_KMS_SIG);
    }

    /// Malformed blobs: wrong length, high-s twin, zero r.
    function test_reject_malformedSignatures() public {
        bytes memory short = new bytes(64);
        vm.expectRevert(abi.encodeWithSelector(V.SignatureLengthInvalid.selector, 64));
        h.recoverSigner(X.C_APP_DIGEST, short);

        // The high-s twin (n - s, v flipped) recovers the same key under plain ecrecover.
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes memory sig = X.C_APP_SIG;
        bytes32 r;
        uint256 s;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
        }
        bytes memory twin = abi.encodePacked(r, bytes32(n - s), uint8(1));
        assertEq(ecrecover(X.C_APP_DIGEST, 28, r, bytes32(n - s)), X.C_APP_ADDR, "twin is a valid ECDSA sig");
        vm.expectRevert(V.SignatureScalarInvalid.selector);
        h.recoverSigner(X.C_APP_DIGEST, twin);

        bytes memory zeroR = abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(0));
        vm.expectRevert(V.SignatureScalarInvalid.selector);
        h.recoverSigner(X.C_APP_DIGEST, zeroR);
    }

    /// Keys not on the curve, bad prefixes, x ≥ p.
    function test_reject_invalidPoints() public {
        bytes memory badPrefix = bytes.concat(hex"04", bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 33));
        h.decompress(badPrefix);
        // x = 5: 5^3 + 7 = 132 is not a square mod p.
        bytes memory offCurve = bytes.concat(hex"02", bytes32(uint256(5)));
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 33));
        h.decompress(offCurve);
        bytes memory xTooBig = bytes.concat(hex"02", bytes32(type(uint256).max));
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 33));
        h.decompress(xTooBig);
        bytes memory p64 = pub64(X.C_APP_KEY);
        p64[63] = bytes1(uint8(p64[63]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 64));
        h.parsePublicKey(p64);
    }

    /// A signature whose r is not an x coordinate recovers to nothing: AppLinkInvalid.
    function test_reject_unrecoverableAppLink() public {
        // r = 5 is not the x coordinate of any point (see test_reject_invalidPoints).
        bytes memory sig = abi.encodePacked(bytes32(uint256(5)), bytes32(uint256(7)), uint8(0));
        vm.expectRevert(V.AppLinkInvalid.selector);
        h.recoverChain(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, sig, X.C_KMS_SIG);
        vm.expectRevert(V.AppLinkInvalid.selector);
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, sig, X.C_KMS_SIG);
        vm.expectRevert(V.KmsLinkInvalid.selector);
        h.verifyChainWithAppKey(padAppId(X.C_APP_ID), "signing", X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, sig);
    }
}
