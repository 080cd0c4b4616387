// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {NftFixture} from "./DstackMembershipNFT.t.sol";
import {Vectors as X} from "./utils/Vectors.sol";
import {VectorsV1 as Y} from "./utils/VectorsV1.sol";
import {DstackMembershipNFT as NFT} from "../src/DstackMembershipNFT.sol";
import {DstackChainVerifier as V} from "../src/DstackChainVerifier.sol";
import {KmsRootRegistry} from "../src/KmsRootRegistry.sol";

/// @notice The NFT's v1 (/v1/GetKey) entry points: the views on the simulator key set's v1
///         vectors, bound and unbound registration with vm.sign chains under the F root
///         (NftFixture), and the refusals — each version's chain to the other's entry point,
///         untrusted root, other app id, high-S, k256, ed25519 where a binding is needed.
contract DstackMembershipNFTV1Test is NftFixture {
    string internal constant K1 = "secp256k1";
    string internal constant ED = "ed25519";
    string internal constant DOMAIN = "cluster-membership";

    /// A v1 chain for DERIVED_KEY under app F / root F (F's static k256_signature).
    function _proofV1() internal returns (NFT.ChainProofV1 memory p) {
        p.appId = bytes32(X.F_APP_ID);
        p.algorithm = K1;
        p.domain = DOMAIN;
        p.publicKey = pub33(DERIVED_KEY);
        p.appPublicKey = X.F_APP_PUB;
        p.appSignature = signDstack(X.F_APP_KEY, V.v1ClaimDigest(K1, DOMAIN, p.publicKey));
        p.kmsSignature = X.F_KMS_SIG;
    }

    /// An ed25519 v1 chain under app F (upstream's ed25519 public key for domain "wallet").
    function _proofV1Ed25519() internal pure returns (NFT.ChainProofV1 memory p) {
        p.appId = bytes32(X.F_APP_ID);
        p.algorithm = ED;
        p.domain = "wallet";
        p.publicKey = Y.R_WALLET_ED_PUB;
        p.appPublicKey = X.F_APP_PUB;
        p.appSignature = signDstack(X.F_APP_KEY, V.v1ClaimDigest(ED, "wallet", Y.R_WALLET_ED_PUB));
        p.kmsSignature = X.F_KMS_SIG;
    }

    // ================================================================ views

    /// The simulator key set's v1 chains verify under the C root by all three views; the
    /// v0 views refuse them and the v1 views refuse dstack's v0 chain.
    function test_v1_views_simulatorFixture() public {
        NFT c = new NFT(X.C_ROOT);
        bytes32 app = bytes32(X.C_APP_ID);
        assertTrue(
            c.verifySignatureChainV1(app, K1, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG), "k1 test"
        );
        assertTrue(
            c.verifySignatureChainV1(app, ED, "test", Y.S_TEST_ED_PUB, Y.S_TEST_ED_LINK0, X.C_KMS_SIG), "ed test"
        );
        assertTrue(
            c.verifySignatureChainV1(
                app, K1, "storage-encryption", Y.S_STORAGE_K1_PUB, Y.S_STORAGE_K1_LINK0, X.C_KMS_SIG
            ),
            "k1 storage"
        );
        assertTrue(c.verifySignatureChainV1(app, ED, "", Y.S_EMPTY_ED_PUB, Y.S_EMPTY_ED_LINK0, X.C_KMS_SIG), "ed empty");

        (bytes memory appPub, address root) =
            c.explainSignatureChainV1(app, K1, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG);
        assertEq(appPub, X.C_APP_PUB, "explained app pub");
        assertEq(root, X.C_ROOT, "explained root");
        (address d, address a, address r) = c.explainSignatureChainV1WithAppKey(
            app, K1, "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG
        );
        assertEq(d, vm.addr(Y.S_TEST_K1_KEY), "derived");
        assertEq(a, X.C_APP_ADDR, "app");
        assertEq(r, X.C_ROOT, "root");

        // Cross-version: neither view accepts the other version's chain.
        assertFalse(c.verifySignatureChain(app, Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG, "test"), "v1 -> v0");
        assertFalse(c.verifySignatureChainV1(app, K1, "signing", X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG), "v0 -> v1");
        assertTrue(c.verifySignatureChain(app, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing"), "v0 still ok");
        // Other mistakes through the bool view: k256, wrong domain, wrong app id, high-S.
        assertFalse(
            c.verifySignatureChainV1(app, "k256", "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG), "k256"
        );
        assertFalse(
            c.verifySignatureChainV1(app, K1, "signing", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG), "dom"
        );
        assertFalse(
            c.verifySignatureChainV1(bytes32(X.F_APP_ID), K1, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG),
            "app id"
        );
    }

    /// explainSignatureChainV1 names the failing link: an untrusted root, a bad algorithm.
    function test_v1_explain_namesTheFailure() public {
        NFT c = new NFT(X.F_ROOT);
        bytes32 app = bytes32(X.C_APP_ID);
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, X.C_ROOT));
        c.explainSignatureChainV1(app, K1, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG);
        vm.expectRevert(abi.encodeWithSelector(V.AlgorithmUnsupported.selector, "k256"));
        c.explainSignatureChainV1WithAppKey(
            app, "k256", "test", Y.S_TEST_K1_PUB, X.C_APP_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG
        );
        c.addKmsRoot(X.C_ROOT);
        (, address root) = c.explainSignatureChainV1(app, K1, "test", Y.S_TEST_K1_PUB, Y.S_TEST_K1_LINK0, X.C_KMS_SIG);
        assertEq(root, X.C_ROOT, "trusted once added");
    }

    // ================================================================ registration

    /// A bound v1 proof registers the instance with its URL, recording root and derived key;
    /// a second bound v1 proof then changes the URL.
    function test_v1_boundProof_registersAndSetsPeer() public {
        NFT.ChainProofV1 memory p = _proofV1();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 1, DEADLINE);
        vm.expectEmit(true, true, true, true, address(nft));
        emit NFT.InstanceRegistered(ID, 1, alice, true, true, X.F_ROOT);
        vm.prank(alice);
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
        (NFT.ProofKind kind, address root, address dk) = nft.getInstanceProof(ID);
        assertEq(uint256(kind), uint256(NFT.ProofKind.Bound), "kind");
        assertEq(root, X.F_ROOT, "root");
        assertEq(dk, vm.addr(DERIVED_KEY), "derived key");
        assertEq(nft.instanceToConnectionUrl(ID), URL, "url");

        string memory url2 = "https://node-1.example:9443";
        b = _binding(nft, 2, ID, 1, alice, url2, 2, DEADLINE);
        vm.prank(alice);
        nft.registerPeerWithBoundProofV1(ID, url2, p, b);
        assertEq(nft.instanceToConnectionUrl(ID), url2, "url updated");
        assertTrue(nft.bindingNonceUsed(vm.addr(DERIVED_KEY), 2), "nonce consumed");
    }

    /// The unbound v1 path takes secp256k1 and ed25519 chains; ed25519 records no derived key.
    function test_v1_unboundProof_secp256k1AndEd25519() public {
        vm.prank(alice);
        nft.registerInstanceWithProofV1(ID, 1, _proofV1());
        (NFT.ProofKind kind, address root, address dk) = nft.getInstanceProof(ID);
        assertEq(uint256(kind), uint256(NFT.ProofKind.Unbound), "kind");
        assertEq(root, X.F_ROOT, "root");
        assertEq(dk, vm.addr(DERIVED_KEY), "derived key");

        bytes32 id2 = keccak256("node-2");
        vm.expectEmit(true, true, true, true, address(nft));
        emit NFT.InstanceRegistered(id2, 2, bob, true, false, X.F_ROOT);
        vm.prank(bob);
        nft.registerInstanceWithProofV1(id2, 2, _proofV1Ed25519());
        (kind, root, dk) = nft.getInstanceProof(id2);
        assertEq(uint256(kind), uint256(NFT.ProofKind.Unbound), "ed kind");
        assertEq(dk, address(0), "ed25519: no derived address");

        nft.setRequireBoundProofs(true);
        vm.prank(alice);
        vm.expectRevert(NFT.BoundProofRequired.selector);
        nft.registerInstanceWithProofV1(keccak256("node-3"), 1, _proofV1());
    }

    /// A bound proof needs a key that can sign the binding: ed25519 is refused by name.
    function test_reject_v1_boundProofEd25519() public {
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 1, DEADLINE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingNeedsSecp256k1.selector, ED));
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, _proofV1Ed25519(), b);
    }

    /// Version confusion at the entry points: a v0 link0 in a v1 proof, a v1 link0 in a v0
    /// proof, each refused naming the key it recovers to.
    function test_reject_v1_versionConfusionAtEntryPoints() public {
        NFT.ChainProofV1 memory p = _proofV1();
        p.appSignature = signDstack(X.F_APP_KEY, V.appLinkDigest(DOMAIN, p.publicKey));
        address wrong = V.recoverSigner(V.v1ClaimDigest(K1, DOMAIN, p.publicKey), p.appSignature);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.F_APP_ADDR));
        nft.registerInstanceWithProofV1(ID, 1, p);

        NFT.ChainProof memory q = _proof();
        q.appSignature = signDstack(X.F_APP_KEY, V.v1ClaimDigest(K1, PURPOSE, q.derivedPublicKey));
        wrong = V.recoverSigner(V.appLinkDigest(PURPOSE, q.derivedPublicKey), q.appSignature);
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 1, DEADLINE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.F_APP_ADDR));
        nft.registerInstanceWithBoundProof(ID, 1, URL, q, b);
    }

    /// Wrong root, wrong app id, high-S, k256 and a confused domain, each with its error.
    function test_reject_v1_chainErrorsNameTheLink() public {
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 1, DEADLINE);
        // Root: the published K chain is under a root this NFT does not trust.
        NFT.ChainProofV1 memory p = _proofV1();
        p.appId = bytes32(Y.K_APP_ID);
        p.appPublicKey = Y.K_APP_PUB;
        p.appSignature = signDstack(Y.K_APP_KEY, V.v1ClaimDigest(K1, DOMAIN, p.publicKey));
        p.kmsSignature = Y.K_KMS_SIG;
        nft.setClusterAppId(bytes32(0));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, vm.addr(Y.K_ROOT_KEY)));
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
        nft.setClusterAppId(bytes32(X.F_APP_ID));
        // App id: not the cluster's.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.AppIdNotAllowed.selector, bytes32(Y.K_APP_ID), bytes32(X.F_APP_ID)));
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
        // High-S link0.
        p = _proofV1();
        p.appSignature = highSTwin(p.appSignature);
        vm.prank(alice);
        vm.expectRevert(V.SignatureScalarInvalid.selector);
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
        // k256 as the algorithm.
        p = _proofV1();
        p.algorithm = "k256";
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(V.AlgorithmUnsupported.selector, "k256"));
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
        // Domain: the v0 purpose's place taken by the path.
        p = _proofV1();
        p.domain = "test";
        address wrong = V.recoverSigner(V.v1ClaimDigest(K1, "test", p.publicKey), p.appSignature);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, wrong, X.F_APP_ADDR));
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
        assertEq(nft.instanceToToken(ID), 0, "nothing registered");
    }

    /// The binding still binds: a stranger replaying alice's v1 proof and binding is refused,
    /// and a binding by another key than the chain's derived key is refused.
    function test_reject_v1_replayAndForeignBinding() public {
        NFT.ChainProofV1 memory p = _proofV1();
        NFT.Binding memory b = _binding(nft, 1, ID, 2, alice, URL, 1, DEADLINE);
        (, bytes32 digest) = nft.bindingDigest(1, ID, 2, bob, URL, 1, DEADLINE);
        address recovered = _ecrecover(digest, b.signature);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, vm.addr(DERIVED_KEY)));
        nft.registerInstanceWithBoundProofV1(ID, 2, URL, p, b);

        (, digest) = nft.bindingDigest(1, ID, 1, alice, URL, 1, DEADLINE);
        b = NFT.Binding(1, DEADLINE, signEth(X.F_APP_KEY, digest));
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, X.F_APP_ADDR, vm.addr(DERIVED_KEY))
        );
        nft.registerInstanceWithBoundProofV1(ID, 1, URL, p, b);
    }
}
