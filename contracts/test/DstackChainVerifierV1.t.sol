// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vectors as X} from "./utils/Vectors.sol";
import {VectorsV1 as Y} from "./utils/VectorsV1.sol";
import {VerifierHarness} from "./utils/VerifierHarness.sol";
import {DstackChainVerifier as V} from "../src/DstackChainVerifier.sol";

/// @notice The library's v1 (/v1/GetKey) chain verification against dstack 0.6's vectors
///         (VectorsV1: upstream claim bytes, keys and link0s; the simulator key set; a KMS
///         root with a published scalar) and against each v1 mistake: one test per variant.
contract DstackChainVerifierV1Test is TestBase {
    VerifierHarness internal h;

    uint256 internal constant DERIVED_KEY = 0xD3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3;
    string internal constant K1 = "secp256k1";
    string internal constant ED = "ed25519";
    bytes internal constant LABEL = "dstack-guest-v1-key-claim";

    function setUp() public {
        h = new VerifierHarness();
    }

    // ================================================================ positive: vectors

    /// Upstream's example claim (docs/guest-api-v1.md), byte for byte, and the key behind it.
    function test_v1_claimBytes_upstreamExample() public {
        assertEq(h.v1ClaimMessage(K1, "storage-encryption", Y.EX_PUB), Y.EX_CLAIM, "claim bytes");
        assertEq(Y.EX_CLAIM.length, 4 + 25 + 4 + 9 + 4 + 18 + 4 + 33, "claim length");
        assertEq(pub33(Y.R_STORAGE_K1_KEY), Y.EX_PUB, "R storage key -> example pub");
        assertEq(h.v1ClaimDigest(K1, "storage-encryption", Y.EX_PUB), keccak256(Y.EX_CLAIM), "digest");
    }

    /// The claim encodes fields as given: an empty domain is LP("") = 00000000, a domain
    /// holding NUL keeps it, an ed25519 key is its 32 raw bytes.
    function test_v1_claimBytes_emptyNulAndEd25519() public view {
        assertEq(
            h.v1ClaimMessage(ED, "", Y.R_EMPTY_ED_PUB),
            bytes.concat(
                hex"00000019", LABEL, hex"00000007", bytes(ED), hex"00000000", hex"00000020", Y.R_EMPTY_ED_PUB
            ),
            "empty domain, ed25519"
        );
        assertEq(
            h.v1ClaimMessage(ED, "k\x00:ey", Y.R_KNUL_ED_PUB),
            bytes.concat(
                hex"00000019", LABEL, hex"00000007", bytes(ED), hex"000000056b003a6579", hex"00000020", Y.R_KNUL_ED_PUB
            ),
            "NUL in domain"
        );
    }

    /// Upstream's two link0 signatures (root 1a2b…1a2b): the full app root key is recovered
    /// from each over the rebuilt claim, and vm.sign (RFC 6979, low-S) reproduces them.
    function test_v1_rootKeyVectors_link0() public {
        bytes memory root = pub33(X.A_APP_KEY);
        bytes32 d1 = h.v1ClaimDigest(K1, "storage-encryption", Y.R_STORAGE_K1_PUB);
        bytes32 d2 = h.v1ClaimDigest(K1, "wallet", Y.R_WALLET_K1_PUB);
        (bool ok, bytes memory appPub, address signer) = h.recoverPublicKey(d1, Y.R_STORAGE_K1_LINK0);
        assertTrue(ok, "storage recovers");
        assertEq(appPub, root, "storage link0 -> app root pub");
        assertEq(signer, X.A_APP_ADDR, "storage signer");
        (ok, appPub, signer) = h.recoverPublicKey(d2, Y.R_WALLET_K1_LINK0);
        assertTrue(ok, "wallet recovers");
        assertEq(appPub, root, "wallet link0 -> app root pub");
        assertEq(signDstack(X.A_APP_KEY, d1), Y.R_STORAGE_K1_LINK0, "vm.sign == storage link0");
        assertEq(signDstack(X.A_APP_KEY, d2), Y.R_WALLET_K1_LINK0, "vm.sign == wallet link0");
    }

    /// Upstream's secp256k1 keys match their public keys, and v1DerivedKey gives their
    /// addresses; ed25519 keys are accepted as 32 raw bytes with no address.
    function test_v1_rootKeyVectors_derivedKeys() public {
        uint256[4] memory keys = [Y.R_EMPTY_K1_KEY, Y.R_STORAGE_K1_KEY, Y.R_WALLET_K1_KEY, Y.R_ABC_K1_KEY];
        bytes[4] memory pubs = [Y.R_EMPTY_K1_PUB, Y.R_STORAGE_K1_PUB, Y.R_WALLET_K1_PUB, Y.R_ABC_K1_PUB];
        for (uint256 i = 0; i < 4; ++i) {
            assertEq(pub33(keys[i]), pubs[i], "secp256k1 key -> pub");
            assertEq(h.v1DerivedKey(K1, pubs[i]), vm.addr(keys[i]), "secp256k1 derived address");
        }
        bytes[4] memory eds = [Y.R_EMPTY_ED_PUB, Y.R_STORAGE_ED_PUB, Y.R_WALLET_ED_PUB, Y.R_KNUL_ED_PUB];
        for (uint256 i = 0; i < 4; ++i) {
            assertEq(h.v1DerivedKey(ED, eds[i]), address(0), "ed25519: no address");
        }
    }

    /// The simulator key set under v1: every case is a full chain ending at the C root, by
    /// both verification forms; vm.sign with the app root key reproduces each link0.
    function test_v1_simulatorFixture_fullChains() public {
        _fullChainC(K1, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, vm.addr(Y.S_TEST_K1_KEY));
        _fullChainC(ED, "test", Y.S_TEST_ED_PUB, Y.S_TEST_ED_LINK0, address(0));
        _fullChainC(K1, "storage-encryption", Y.S_STORAGE_K1_PUB, Y.S_STORAGE_K1_LINK0, vm.addr(Y.S_STORAGE_K1_KEY));
        _fullChainC(ED, "", Y.S_EMPTY_ED_PUB, Y.S_EMPTY_ED_LINK0, address(0));
        assertEq(pub33(Y.S_TEST_K1_KEY), Y.S_TEST_K1_PUB, "test key -> pub");
        assertEq(pub33(Y.S_STORAGE_K1_KEY), Y.S_STORAGE_K1_PUB, "storage key -> pub");
    }

    /// A v1 chain made in-test under a KMS root whose scalar upstream publishes: vm.sign
    /// reproduces upstream's k256_signature, and a vm.sign link0 completes the chain.
    function test_v1_vmSignChain_publishedKmsRoot() public {
        assertEq(pub33(Y.K_ROOT_KEY), Y.K_ROOT_PUB, "K root pub");
        assertEq(pub33(Y.K_APP_KEY), Y.K_APP_PUB, "K app pub");
        assertEq(signDstack(Y.K_ROOT_KEY, h.kmsLinkDigest(Y.K_APP_ID, Y.K_APP_PUB)), Y.K_KMS_SIG, "vm.sign == link1");
        bytes memory pub = pub33(DERIVED_KEY);
        bytes memory link0 = signDstack(Y.K_APP_KEY, h.v1ClaimDigest(K1, "wallet/ethereum", pub));
        (address d, address a, address root) =
            h.verifyChainV1WithAppKey(bytes32(Y.K_APP_ID), K1, "wallet/ethereum", pub, Y.K_APP_PUB, link0, Y.K_KMS_SIG);
        assertEq(d, vm.addr(DERIVED_KEY), "derived");
        assertEq(a, vm.addr(Y.K_APP_KEY), "app");
        assertEq(root, vm.addr(Y.K_ROOT_KEY), "root");
        // The 64-byte x ‖ y form of the app key verifies the same chain.
        (,, root) = h.verifyChainV1WithAppKey(
            bytes32(Y.K_APP_ID), K1, "wallet/ethereum", pub, pub64(Y.K_APP_KEY), link0, Y.K_KMS_SIG
        );
        assertEq(root, vm.addr(Y.K_ROOT_KEY), "root via 64-byte app key");
    }

    // ================================================================ negative: one per v1 variant

    /// v0 claim to the v1 verifier: dstack's real v0 chain (vectors.md C, GetKey{test,
    /// signing}) is refused by both v1 forms, whichever of path or purpose is the domain.
    function test_reject_v1_v0ClaimToV1Verifier() public {
        bytes32 app = padAppId(X.C_APP_ID);
        address wrong = h.recoverSigner(h.v1ClaimDigest(K1, "signing", X.C_DERIVED_PUB), X.C_APP_SIG);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainV1WithAppKey(app, K1, "signing", X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        wrong = h.recoverSigner(h.v1ClaimDigest(K1, "test", X.C_DERIVED_PUB), X.C_APP_SIG);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainV1WithAppKey(app, K1, "test", X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        (, bytes memory appPub, address root) =
            h.recoverChainV1(app, K1, "signing", X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        assertTrue(keccak256(appPub) != keccak256(X.C_APP_PUB), "another app key is recovered");
        assertTrue(root != X.C_ROOT, "so the KMS link misses the root");
        // The same chain is accepted by the v0 verifier: the refusal is the version's.
        (,, root) = h.verifyChainWithAppKey(app, "signing", X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG);
        assertEq(root, X.C_ROOT, "v0 verifier accepts the v0 chain");
    }

    /// v1 claim to the v0 verifier: the simulator's v1 chain (domain "test") is refused by
    /// both v0 forms with the domain as purpose.
    function test_reject_v1_v1ClaimToV0Verifier() public {
        bytes32 app = padAppId(X.C_APP_ID);
        address wrong = h.recoverSigner(h.appLinkDigest("test", Y.S_TEST_K1_PUB), Y.S_TEST_K1_LINK0);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainWithAppKey(app, "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG);
        (, bytes memory appPub, address root) =
            h.recoverChain(app, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG);
        assertTrue(keccak256(appPub) != keccak256(X.C_APP_PUB), "another app key is recovered");
        assertTrue(root != X.C_ROOT, "so the KMS link misses the root");
    }

    /// The claim without length prefixes (label ‖ alg ‖ domain ‖ pub) is refused.
    function test_reject_v1_claimWithoutLengthPrefixes() public {
        bytes memory claim = abi.encodePacked(LABEL, K1, "test", Y.S_TEST_K1_PUB);
        _expectAppLinkRefused(K1, "test", Y.S_TEST_K1_PUB, keccak256(claim));
    }

    /// The claim with little-endian u32 lengths is refused.
    function test_reject_v1_littleEndianLengths() public {
        bytes memory claim =
            abi.encodePacked(_le32(25), LABEL, _le32(9), K1, _le32(4), "test", _le32(33), Y.S_TEST_K1_PUB);
        assertEq(claim.length, h.v1ClaimMessage(K1, "test", Y.S_TEST_K1_PUB).length, "same length, other bytes");
        _expectAppLinkRefused(K1, "test", Y.S_TEST_K1_PUB, keccak256(claim));
    }

    /// `k256` (v0's name) for `secp256k1`: refused as an algorithm even with a link0 made
    /// over LP("k256"), and such a link0 is refused when presented as secp256k1.
    function test_reject_v1_k256ForSecp256k1() public {
        bytes memory link0 = signDstack(X.C_APP_KEY, h.v1ClaimDigest("k256", "test", Y.S_TEST_K1_PUB));
        vm.expectRevert(abi.encodeWithSelector(V.AlgorithmUnsupported.selector, "k256"));
        h.verifyChainV1WithAppKey(
            padAppId(X.C_APP_ID), "k256", "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, link0, X.C_KMS_SIG
        );
        vm.expectRevert(abi.encodeWithSelector(V.AlgorithmUnsupported.selector, "k256"));
        h.recoverChainV1(padAppId(X.C_APP_ID), "k256", "test", Y.S_TEST_K1_PUB, link0, X.C_KMS_SIG);
        _expectAppLinkRefused(K1, "test", Y.S_TEST_K1_PUB, h.v1ClaimDigest("k256", "test", Y.S_TEST_K1_PUB));
        // Other spellings are not names either.
        vm.expectRevert(abi.encodeWithSelector(V.AlgorithmUnsupported.selector, "Secp256k1"));
        h.v1DerivedKey("Secp256k1", Y.S_TEST_K1_PUB);
        vm.expectRevert(abi.encodeWithSelector(V.AlgorithmUnsupported.selector, ""));
        h.v1DerivedKey("", Y.S_TEST_K1_PUB);
    }

    /// Domain confused with the v0 claim: LP(domain) holding `purpose:hex(pub)`.
    function test_reject_v1_domainIsV0ClaimText() public {
        string memory v0Text = string(h.appLinkMessage("test", Y.S_TEST_K1_PUB));
        _expectAppLinkRefused(K1, "test", Y.S_TEST_K1_PUB, h.v1ClaimDigest(K1, v0Text, Y.S_TEST_K1_PUB));
    }

    /// Domain confused with path/purpose: a link0 over the v0 purpose ("signing") presented
    /// with the path ("test") as domain, and the real chain for "test" presented with
    /// "signing" or "test:signing".
    function test_reject_v1_domainIsPurposeOrPath() public {
        _expectAppLinkRefused(K1, "test", Y.S_TEST_K1_PUB, h.v1ClaimDigest(K1, "signing", Y.S_TEST_K1_PUB));
        string[2] memory wrongDomains = ["signing", "test:signing"];
        for (uint256 i = 0; i < 2; ++i) {
            address wrong = h.recoverSigner(h.v1ClaimDigest(K1, wrongDomains[i], Y.S_TEST_K1_PUB), Y.S_TEST_K1_LINK0);
            vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
            h.verifyChainV1WithAppKey(
                padAppId(X.C_APP_ID), K1, wrongDomains[i], Y.S_TEST_K1_PUB, X.C_APP_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG
            );
        }
    }

    /// High-S: the twin (n − s, v flipped) of link0 or link1 is a valid ECDSA signature by
    /// the same key, and is refused.
    function test_reject_v1_highS() public {
        bytes32 app = padAppId(X.C_APP_ID);
        bytes memory twin0 = highSTwin(Y.S_TEST_K1_LINK0);
        vm.expectRevert(V.SignatureScalarInvalid.selector);
        h.verifyChainV1WithAppKey(app, K1, "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, twin0, X.C_KMS_SIG);
        vm.expectRevert(V.SignatureScalarInvalid.selector);
        h.recoverChainV1(app, K1, "test", Y.S_TEST_K1_PUB, twin0, X.C_KMS_SIG);
        bytes memory twin1 = highSTwin(X.C_KMS_SIG);
        vm.expectRevert(V.SignatureScalarInvalid.selector);
        h.verifyChainV1WithAppKey(app, K1, "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, Y.S_TEST_K1_LINK0, twin1);
    }

    /// Wrong root: link1 by another root key recovers to that root, not the published one
    /// (trust is the caller's decision: the NFT tests show the refusal).
    function test_reject_v1_wrongRoot() public {
        bytes memory pub = pub33(DERIVED_KEY);
        bytes memory link0 = signDstack(Y.K_APP_KEY, h.v1ClaimDigest(K1, "d", pub));
        bytes memory otherLink1 = signDstack(X.F_ROOT_KEY, h.kmsLinkDigest(Y.K_APP_ID, Y.K_APP_PUB));
        (,, address root) = h.verifyChainV1WithAppKey(bytes32(Y.K_APP_ID), K1, "d", pub, Y.K_APP_PUB, link0, otherLink1);
        assertEq(root, X.F_ROOT, "recovers the signing root");
        assertTrue(root != vm.addr(Y.K_ROOT_KEY), "not the published root");
    }

    /// Wrong app id: the KMS link over another app id misses the root; a left-padded or
    /// dirty-padded id is refused outright.
    function test_reject_v1_wrongAppId() public {
        bytes memory pub = pub33(DERIVED_KEY);
        bytes memory link0 = signDstack(Y.K_APP_KEY, h.v1ClaimDigest(K1, "d", pub));
        (,, address root) =
            h.verifyChainV1WithAppKey(bytes32(X.F_APP_ID), K1, "d", pub, Y.K_APP_PUB, link0, Y.K_KMS_SIG);
        assertEq(root, h.recoverSigner(h.kmsLinkDigest(X.F_APP_ID, Y.K_APP_PUB), Y.K_KMS_SIG), "recovered");
        assertTrue(root != vm.addr(Y.K_ROOT_KEY), "misses the root");
        bytes32 leftPadded = bytes32(uint256(uint160(Y.K_APP_ID)));
        vm.expectRevert(abi.encodeWithSelector(V.AppIdPaddingInvalid.selector, leftPadded));
        h.verifyChainV1WithAppKey(leftPadded, K1, "d", pub, Y.K_APP_PUB, link0, Y.K_KMS_SIG);
    }

    /// Key shapes: each algorithm takes exactly its own public key form.
    function test_reject_v1_publicKeyShapes() public {
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 33));
        h.v1DerivedKey(ED, Y.S_TEST_K1_PUB);
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 32));
        h.v1DerivedKey(K1, Y.S_TEST_ED_PUB);
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 65));
        h.v1DerivedKey(K1, bytes.concat(hex"04", pub64(Y.S_TEST_K1_KEY)));
        // x = 5 is on no curve point.
        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 33));
        h.v1DerivedKey(K1, bytes.concat(hex"02", bytes32(uint256(5))));
    }

    /// v axis: a link0 carrying v = 27/28 is refused.
    function test_reject_v1_v27InLink0() public {
        bytes memory ethSig = signEth(X.C_APP_KEY, h.v1ClaimDigest(K1, "test", Y.S_TEST_K1_PUB));
        vm.expectRevert(abi.encodeWithSelector(V.RecoveryIdInvalid.selector, uint8(ethSig[64])));
        h.verifyChainV1WithAppKey(padAppId(X.C_APP_ID), K1, "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, ethSig, X.C_KMS_SIG);
    }

    // ================================================================ fuzz

    /// Any app key, derived key and domain: the canonical chain verifies, and the same link0
    /// under any other domain is refused.
    function testFuzz_v1_chainVerifiesAndBindsDomain(
        uint256 appSeed,
        uint256 dSeed,
        string memory domain,
        string memory other
    ) public {
        vm.assume(keccak256(bytes(domain)) != keccak256(bytes(other)));
        uint256 appKey = toPrivateKey(appSeed);
        bytes memory appPub = pub33(appKey);
        bytes memory pub = pub33(toPrivateKey(dSeed));
        bytes memory link0 = signDstack(appKey, h.v1ClaimDigest(K1, domain, pub));
        bytes memory link1 = signDstack(Y.K_ROOT_KEY, h.kmsLinkDigest(Y.K_APP_ID, appPub));
        (address d,, address root) =
            h.verifyChainV1WithAppKey(bytes32(Y.K_APP_ID), K1, domain, pub, appPub, link0, link1);
        assertEq(d, vm.addr(toPrivateKey(dSeed)), "derived");
        assertEq(root, vm.addr(Y.K_ROOT_KEY), "root");
        address wrong = h.recoverSigner(h.v1ClaimDigest(K1, other, pub), link0);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, vm.addr(appKey)));
        h.verifyChainV1WithAppKey(bytes32(Y.K_APP_ID), K1, other, pub, appPub, link0, link1);
    }

    // ================================================================ helpers

    /// The full C-root chain for one simulator case, by both forms.
    function _fullChainC(string memory alg, string memory domain, bytes memory pub, bytes memory link0, address derived)
        internal
        view
    {
        bytes32 app = padAppId(X.C_APP_ID);
        assertEq(signDstack(X.C_APP_KEY, h.v1ClaimDigest(alg, domain, pub)), link0, "vm.sign == link0");
        (address d, address a, address root) =
            h.verifyChainV1WithAppKey(app, alg, domain, pub, X.C_APP_PUB, link0, X.C_KMS_SIG);
        assertEq(d, derived, "derived");
        assertEq(a, X.C_APP_ADDR, "app");
        assertEq(root, X.C_ROOT, "root");
        bytes memory appPub;
        (d, appPub, root) = h.recoverChainV1(app, alg, domain, pub, link0, X.C_KMS_SIG);
        assertEq(d, derived, "derived (recovered form)");
        assertEq(appPub, X.C_APP_PUB, "recovered app root pub");
        assertEq(root, X.C_ROOT, "recovered root");
    }

    /// A link0 by the C app key over `badDigest` is refused for the canonical fields, naming
    /// the key it does recover to.
    function _expectAppLinkRefused(string memory alg, string memory domain, bytes memory pub, bytes32 badDigest)
        internal
    {
        bytes32 good = h.v1ClaimDigest(alg, domain, pub);
        assertTrue(badDigest != good, "variant digest differs");
        bytes memory link0 = signDstack(X.C_APP_KEY, badDigest);
        address wrong = h.recoverSigner(good, link0);
        assertTrue(wrong != X.C_APP_ADDR, "recovers another key");
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.C_APP_ADDR));
        h.verifyChainV1WithAppKey(padAppId(X.C_APP_ID), alg, domain, pub, X.C_APP_PUB, link0, X.C_KMS_SIG);
    }

    function _le32(uint256 n) internal pure returns (bytes4) {
        return bytes4(uint32(((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >> 8) & 0xff00) | (n >> 24)));
    }
}
