// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vectors as X} from "./utils/Vectors.sol";
import {DstackMembershipNFT as NFT} from "../src/DstackMembershipNFT.sol";
import {DstackChainVerifier as V} from "../src/DstackChainVerifier.sol";
import {KmsRootRegistry} from "../src/KmsRootRegistry.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice Shared fixture: an NFT trusting the vectors.md F root (whose private key is
///         known, so chains can be made in-test) with cluster app id F, alice holding
///         token 1 and bob token 2.
abstract contract NftFixture is TestBase {
    NFT internal nft;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    uint256 internal constant DERIVED_KEY = 0xD3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3D3;
    string internal constant NAME = "node-1";
    bytes32 internal constant ID = keccak256("node-1");
    string internal constant URL = "https://node-1.example:8443";
    string internal constant PURPOSE = "cluster-membership";
    uint256 internal constant DEADLINE = 2_000_000_000;

    function setUp() public virtual {
        nft = new NFT(X.F_ROOT);
        nft.setClusterAppId(bytes32(X.F_APP_ID));
        nft.mintNodeAccess(alice, "alice");
        nft.mintNodeAccess(bob, "bob");
        vm.warp(1_700_000_000);
    }

    /// A dstack chain for DERIVED_KEY under app F / root F (F's static k256_signature).
    function _proof() internal returns (NFT.ChainProof memory p) {
        p.appId = bytes32(X.F_APP_ID);
        p.purpose = PURPOSE;
        p.derivedPublicKey = pub33(DERIVED_KEY);
        p.appPublicKey = X.F_APP_PUB;
        p.appSignature = signDstack(X.F_APP_KEY, V.appLinkDigest(PURPOSE, p.derivedPublicKey));
        p.kmsSignature = X.F_KMS_SIG;
    }

    /// The derived key's binding signature for `caller` on `target` (Ethereum-style v 27/28).
    function _binding(
        NFT target,
        uint8 action,
        bytes32 id,
        uint256 tokenId,
        address caller,
        string memory url,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (NFT.Binding memory b) {
        (, bytes32 digest) = target.bindingDigest(action, id, tokenId, caller, url, nonce, deadline);
        b = NFT.Binding(nonce, deadline, signEth(DERIVED_KEY, digest));
    }

    function _registerBound(address caller, bytes32 id, uint256 tokenId, uint256 nonce) internal {
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, id, tokenId, caller, URL, nonce, DEADLINE);
        vm.prank(caller);
        nft.registerInstanceWithBoundProof(id, tokenId, URL, p, b);
    }

    /// Plain ecrecover of an r ‖ s ‖ v blob, v as given (what a replayed binding recovers to).
    function _ecrecover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        return ecrecover(digest, v, r, s);
    }
}

contract DstackMembershipNFTTest is NftFixture {
    // ================================================================ basic registration

    function test_mint_ownerOnly_idsFromOne() public {
        assertEq(nft.totalSupply(), 2, "supply");
        assertEq(nft.ownerOf(1), alice, "token 1");
        assertEq(nft.ownerOf(2), bob, "token 2");
        assertEq(nft.walletToTokenId(bob), 2, "walletToTokenId");
        assertEq(nft.walletToTokenId(address(0xdead)), 0, "no token");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        nft.mintNodeAccess(alice, "more");
    }

    function test_registerInstance_basic() public {
        vm.expectEmit(true, true, true, true, address(nft));
        emit NFT.InstanceRegistered(ID, 1, alice, false, false, address(0));
        vm.prank(alice);
        nft.registerInstance(ID, 1);
        (uint256 tokenId, bool active, address owner_) = nft.getInstanceInfo(ID);
        assertEq(tokenId, 1, "token");
        assertTrue(active, "active");
        assertEq(owner_, alice, "owner");
        (NFT.ProofKind kind, address root, address dk) = nft.getInstanceProof(ID);
        assertEq(uint256(kind), uint256(NFT.ProofKind.None), "kind");
        assertEq(root, address(0), "root");
        assertEq(dk, address(0), "derived");
        assertEq(nft.tokenToInstance(1), ID, "tokenToInstance");
    }

    function test_registerInstance_stringId() public {
        vm.prank(alice);
        nft.registerInstance("node-1");
        assertEq(nft.instanceKey(NAME), ID, "key is keccak of the string");
        assertEq(nft.instanceToToken(NAME), 1, "by string");
        assertEq(nft.instanceToToken(ID), 1, "by key");
        (uint256 tokenId, bool active, address owner_) = nft.getInstanceInfo(NAME);
        assertEq(tokenId, 1, "token");
        assertTrue(active, "active");
        assertEq(owner_, alice, "owner");
        // alice has no second free token
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.NoFreeToken.selector, alice));
        nft.registerInstance("node-9");
    }

    /// Registration without the NFT fails, with or without a (valid, bound) proof.
    function test_reject_registrationWithoutNft() public {
        address carol = address(0xCA201);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 1, carol));
        nft.registerInstance(ID, 1);

        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, carol, URL, 1, DEADLINE);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 1, carol));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);

        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 99, carol));
        nft.registerInstance(ID, 99); // nonexistent token
    }

    function test_reject_doubleRegistration() public {
        vm.prank(alice);
        nft.registerInstance(ID, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.InstanceAlreadyRegistered.selector, ID));
        nft.registerInstance(ID, 2);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.TokenAlreadyHasInstance.selector, 1, ID));
        nft.registerInstance(keccak256("node-2"), 1);
        vm.prank(alice);
        vm.expectRevert(NFT.EmptyInstanceId.selector);
        nft.registerInstance(bytes32(0), 1);
    }

    // ================================================================ seed proof paths

    /// vectors.md C through the seeds' 6-argument call: the app key is recovered on chain.
    function test_registerInstanceWithProof_vectorC() public {
        NFT c = new NFT(X.C_ROOT);
        c.setClusterAppId(bytes32(X.C_APP_ID));
        c.mintNodeAccess(alice, "");
        vm.expectEmit(true, true, true, true, address(c));
        emit NFT.InstanceRegistered(ID, 1, alice, true, false, X.C_ROOT);
        vm.prank(alice);
        c.registerInstanceWithProof(ID, 1, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing");
        (NFT.ProofKind kind, address root, address dk) = c.getInstanceProof(ID);
        assertEq(uint256(kind), uint256(NFT.ProofKind.Unbound), "kind");
        assertEq(root, X.C_ROOT, "root");
        assertEq(dk, X.C_DERIVED_ADDR, "derived key");
    }

    function test_registerInstanceWithProof_errors() public {
        NFT c = new NFT(X.C_ROOT);
        c.mintNodeAccess(alice, "");
        vm.prank(alice);
        vm.expectRevert(NFT.ClusterAppIdNotSet.selector);
        c.registerInstanceWithProof(ID, 1, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing");
        // Cluster app id of another app: the KMS link is then over the wrong id.
        c.setClusterAppId(bytes32(X.D_APP_ID));
        address strayRoot = V.recoverSigner(V.kmsLinkDigest(X.D_APP_ID, X.C_APP_PUB), X.C_KMS_SIG);
        assertTrue(strayRoot != X.C_ROOT, "another app id cannot reach C's root");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, strayRoot));
        c.registerInstanceWithProof(ID, 1, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing");
        assertEq(c.instanceToToken(ID), 0, "not registered");
    }

    /// The seeds' view: true for vector C under root C, false for a wrong purpose, a root
    /// that is not trusted, or the D chain until D's root is added.
    function test_verifySignatureChain_seedView() public {
        NFT c = new NFT(X.C_ROOT);
        bytes32 appC = bytes32(X.C_APP_ID);
        assertTrue(c.verifySignatureChain(appC, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing"), "C");
        assertFalse(c.verifySignatureChain(appC, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "mainnet"), "purpose");
        (bytes memory appPub, address root) =
            c.explainSignatureChain(appC, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing");
        assertEq(appPub, X.C_APP_PUB, "explained app pub");
        assertEq(root, X.C_ROOT, "explained root");

        bytes memory dpub = pub33(DERIVED_KEY);
        bytes memory dSig = signDstack(X.D_APP_KEY, V.appLinkDigest("p", dpub));
        bytes32 appD = bytes32(X.D_APP_ID);
        assertFalse(c.verifySignatureChain(appD, dpub, dSig, X.D_KMS_SIG, "p"), "D untrusted");
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, X.D_ROOT));
        c.explainSignatureChain(appD, dpub, dSig, X.D_KMS_SIG, "p");
        c.addKmsRoot(X.D_ROOT);
        assertTrue(c.verifySignatureChain(appD, dpub, dSig, X.D_KMS_SIG, "p"), "D trusted");
        assertTrue(c.verifySignatureChain(appC, X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing"), "C still");
    }

    /// Wrong root: the seed README's "KMS root" 0x5e51…3516 is really D's app key address.
    function test_reject_wrongRoot() public {
        NFT wrong = new NFT(X.D_APP_ADDR);
        bytes memory dpub = pub33(DERIVED_KEY);
        bytes memory dSig = signDstack(X.D_APP_KEY, V.appLinkDigest("p", dpub));
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, X.D_ROOT));
        wrong.explainSignatureChainWithAppKey(bytes32(X.D_APP_ID), dpub, X.D_APP_PUB, dSig, X.D_KMS_SIG, "p");
        // The C chain against a contract trusting only D's root.
        NFT onlyD = new NFT(X.D_ROOT);
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, X.C_ROOT));
        onlyD.explainSignatureChainWithAppKey(
            bytes32(X.C_APP_ID), X.C_DERIVED_PUB, X.C_APP_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing"
        );
    }

    /// The seeds' 9-parameter registerPeer with the real vector C chain.
    function test_registerPeer_seedAbi_vectorC() public {
        NFT c = new NFT(X.C_ROOT);
        c.mintNodeAccess(alice, "");
        vm.startPrank(alice);
        c.registerInstance("node-1");
        vm.expectEmit(true, true, true, true, address(c));
        emit NFT.PeerRegistered(ID, "http://localhost:8080", false, X.C_ROOT);
        c.registerPeer(
            "node-1",
            X.C_DERIVED_PUB,
            X.C_APP_PUB,
            X.C_APP_SIG,
            X.C_KMS_SIG,
            "http://localhost:8080",
            "signing",
            bytes32(X.C_APP_ID),
            X.C_APP_ADDR
        );
        vm.stopPrank();
        assertEq(c.instanceToConnectionUrl(NAME), "http://localhost:8080", "url by string");
        string[] memory peers = c.getPeerEndpoints();
        assertEq(peers.length, 1, "one peer");
        assertEq(peers[0], "http://localhost:8080", "peer url");
    }

    /// Gap 2 of the public contract: a stranger with a valid public chain cannot overwrite
    /// another node's URL.
    function test_reject_urlOverwriteByStranger() public {
        NFT c = new NFT(X.C_ROOT);
        c.mintNodeAccess(alice, "");
        c.mintNodeAccess(bob, "");
        vm.prank(alice);
        c.registerInstance("node-1");
        vm.prank(alice);
        c.registerPeer(
            "node-1",
            X.C_DERIVED_PUB,
            X.C_APP_PUB,
            X.C_APP_SIG,
            X.C_KMS_SIG,
            "https://alice",
            "signing",
            bytes32(X.C_APP_ID),
            X.C_APP_ADDR
        );
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 1, bob));
        c.registerPeer(
            "node-1",
            X.C_DERIVED_PUB,
            X.C_APP_PUB,
            X.C_APP_SIG,
            X.C_KMS_SIG,
            "https://evil",
            "signing",
            bytes32(X.C_APP_ID),
            X.C_APP_ADDR
        );
        assertEq(c.instanceToConnectionUrl(ID), "https://alice", "url kept");
        // Nor through the bound path (bob is not the token holder).
        NFT.ChainProof memory p = _proof();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 1, bob));
        c.registerPeerWithBoundProof(ID, "https://evil", p, NFT.Binding(1, DEADLINE, ""));
    }

    /// Gap 1 through registerPeer: an app signature by another key than appPublicKey.
    function test_reject_registerPeer_appSignatureFromOtherKey() public {
        NFT c = new NFT(X.C_ROOT);
        c.mintNodeAccess(alice, "");
        vm.startPrank(alice);
        c.registerInstance("node-1");
        bytes memory sigByD = signDstack(X.D_APP_KEY, X.C_APP_DIGEST);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, X.D_APP_ADDR, X.C_APP_ADDR));
        c.registerPeer(
            "node-1",
            X.C_DERIVED_PUB,
            X.C_APP_PUB,
            sigByD,
            X.C_KMS_SIG,
            "u",
            "signing",
            bytes32(X.C_APP_ID),
            X.C_APP_ADDR
        );
        vm.expectRevert(abi.encodeWithSelector(NFT.AppKeyAddressMismatch.selector, X.D_APP_ADDR, X.C_APP_ADDR));
        c.registerPeer(
            "node-1",
            X.C_DERIVED_PUB,
            X.C_APP_PUB,
            X.C_APP_SIG,
            X.C_KMS_SIG,
            "u",
            "signing",
            bytes32(X.C_APP_ID),
            X.D_APP_ADDR
        );
        vm.stopPrank();
    }

    function test_reject_registerPeer_inactiveOrWrongApp() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.InstanceNotActive.selector, ID));
        nft.registerPeer("node-1", "", "", "", "", "u", "", bytes32(0), address(0));
        vm.prank(alice);
        nft.registerInstance("node-1");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.AppIdNotAllowed.selector, bytes32(X.C_APP_ID), bytes32(X.F_APP_ID)));
        nft.registerPeer(
            "node-1",
            X.C_DERIVED_PUB,
            X.C_APP_PUB,
            X.C_APP_SIG,
            X.C_KMS_SIG,
            "u",
            "signing",
            bytes32(X.C_APP_ID),
            X.C_APP_ADDR
        );
    }

    // ================================================================ bound proofs

    function test_boundProof_registers() public {
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 42, DEADLINE);
        address dk = vm.addr(DERIVED_KEY);
        vm.expectEmit(true, true, true, true, address(nft));
        emit NFT.InstanceRegistered(ID, 1, alice, true, true, X.F_ROOT);
        vm.expectEmit(true, true, true, true, address(nft));
        emit NFT.PeerRegistered(ID, URL, true, X.F_ROOT);
        vm.prank(alice);
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
        (NFT.ProofKind kind, address root, address derived) = nft.getInstanceProof(ID);
        assertEq(uint256(kind), uint256(NFT.ProofKind.Bound), "kind");
        assertEq(root, X.F_ROOT, "root");
        assertEq(derived, dk, "derived");
        assertEq(nft.instanceToConnectionUrl(ID), URL, "url");
        assertTrue(nft.bindingNonceUsed(dk, 42), "nonce consumed");
        assertFalse(nft.bindingNonceUsed(dk, 43), "other nonce free");
    }

    /// The binding digest is exactly the documented message (what the harness computes).
    function test_bindingDigest_format() public view {
        (bytes32 m, bytes32 d) = nft.bindingDigest(1, ID, 1, alice, URL, 42, DEADLINE);
        bytes32 expectM = keccak256(
            abi.encodePacked(
                keccak256("DstackMembershipNFT.binding.v1"),
                uint256(1),
                block.chainid,
                uint256(uint160(address(nft))),
                ID,
                uint256(1),
                uint256(uint160(alice)),
                keccak256(bytes(URL)),
                uint256(42),
                uint256(DEADLINE)
            )
        );
        assertEq(m, expectM, "message hash = keccak of ten 32-byte words");
        assertEq(d, keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", expectM)), "EIP-191 digest");
        assertEq(nft.BINDING_TAG(), keccak256("DstackMembershipNFT.binding.v1"), "tag");
    }

    /// Known answer computed independently with Foundry's cast: `cast abi-encode` of the ten
    /// words, `cast keccak`, keccak of 0x19 "Ethereum Signed Message:\n32" ‖ hash, and
    /// `cast wallet sign` with the vectors.md C derived key; contract at Anvil's first
    /// deployment address, chain 31337.
    function test_bindingDigest_knownAnswer() public {
        address deployed = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
        vm.etch(deployed, address(nft).code);
        vm.chainId(31337);
        (bytes32 m, bytes32 d) = NFT(deployed)
            .bindingDigest(
                1,
                keccak256("node-2"),
                2,
                0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
                "http://127.0.0.1:9002",
                5,
                2_000_000_000
            );
        assertEq(m, 0xe3f526f47e631b4a11d7620624b9d5f3cf04bddb177e9f54eaa811e65fc4cb25, "messageHash");
        assertEq(d, 0x4af5c2dd03c24d6aa9c8e52b28b0f0d8f2bacc09da82865f74f9c2d7ec6ec59e, "EIP-191 digest");
        bytes memory castSig =
            hex"417d95af582d7d1b64306f7e243a373e890b53d277b891e09d18dadfc42cbefc7d811ca1394dc3e397da7f5d2aca51cf05d711c5aa6378ed8eb3f1e79e9b211b1c";
        assertEq(_ecrecover(d, castSig), X.C_DERIVED_ADDR, "cast's signature is by the derived key");
    }

    /// Both v conventions are accepted for the binding signature (it is not a dstack blob).
    function test_boundProof_acceptsBothVForms() public {
        NFT.ChainProof memory p = _proof();
        (, bytes32 digest) = nft.bindingDigest(1, ID, 1, alice, "", 1, DEADLINE);
        vm.prank(alice);
        nft.registerInstanceWithBoundProof(ID, 1, "", p, NFT.Binding(1, DEADLINE, signDstack(DERIVED_KEY, digest)));
        assertEq(nft.instanceToConnectionUrl(ID), "", "no url when empty");
        bytes32 id2 = keccak256("node-2");
        (, digest) = nft.bindingDigest(1, id2, 2, bob, "", 2, DEADLINE);
        vm.prank(bob);
        nft.registerInstanceWithBoundProof(id2, 2, "", p, NFT.Binding(2, DEADLINE, signEth(DERIVED_KEY, digest)));
        assertEq(nft.instanceToToken(id2), 2, "27/28 form");
    }

    /// Replay by another caller: bob (holding token 2) submits alice's binding.
    function test_reject_replayByAnotherCaller() public {
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, DEADLINE);
        // Bob re-targets alice's proof at his own token.
        (, bytes32 bobDigest) = nft.bindingDigest(1, ID, 2, bob, URL, 7, DEADLINE);
        address recovered = _ecrecover(bobDigest, b.signature);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, vm.addr(DERIVED_KEY)));
        nft.registerInstanceWithBoundProof(ID, 2, URL, p, b);
        // Same token id too: bob would need alice's token.
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 1, bob));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
        // Even holding that very token (transferred to him), only the caller differs now.
        vm.prank(alice);
        nft.transferFrom(alice, bob, 1);
        (, bobDigest) = nft.bindingDigest(1, ID, 1, bob, URL, 7, DEADLINE);
        recovered = _ecrecover(bobDigest, b.signature);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, vm.addr(DERIVED_KEY)));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
    }

    /// Replay on another contract (same chain, same config, alice holds token 1 there too).
    function test_reject_replayOnAnotherContract() public {
        NFT other = new NFT(X.F_ROOT);
        other.setClusterAppId(bytes32(X.F_APP_ID));
        other.mintNodeAccess(alice, "");
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, DEADLINE);
        (, bytes32 otherDigest) = other.bindingDigest(1, ID, 1, alice, URL, 7, DEADLINE);
        address recovered = _ecrecover(otherDigest, b.signature); // before the prank: ecrecover is a call
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, vm.addr(DERIVED_KEY)));
        other.registerInstanceWithBoundProof(ID, 1, URL, p, b);
        vm.prank(alice);
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b); // valid where it was made for
    }

    /// Replay on another chain id.
    function test_reject_replayOnAnotherChain() public {
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, DEADLINE);
        vm.chainId(8453);
        (, bytes32 baseDigest) = nft.bindingDigest(1, ID, 1, alice, URL, 7, DEADLINE);
        address recovered = _ecrecover(baseDigest, b.signature); // before the prank: ecrecover is a call
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, vm.addr(DERIVED_KEY)));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
    }

    function test_reject_expiredDeadline() public {
        NFT.ChainProof memory p = _proof();
        uint256 deadline = block.timestamp + 60;
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, deadline);
        vm.warp(deadline + 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.ProofExpired.selector, deadline, deadline + 1));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
        vm.warp(deadline); // the deadline itself is still valid
        vm.prank(alice);
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
    }

    /// Reused nonce: after deactivation the very same signed registration is refused.
    function test_reject_reusedNonce() public {
        _registerBound(alice, ID, 1, 7);
        vm.prank(alice);
        nft.deactivateInstance(ID);
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, DEADLINE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.NonceUsed.selector, vm.addr(DERIVED_KEY), 7));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
        _registerBound(alice, ID, 1, 8); // a fresh nonce works
    }

    /// The binding covers the URL and the action.
    function test_reject_bindingForOtherUrlOrAction() public {
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, DEADLINE);
        address dk = vm.addr(DERIVED_KEY);
        (, bytes32 elsewhere) = nft.bindingDigest(1, ID, 1, alice, "https://elsewhere", 7, DEADLINE);
        address recovered = _ecrecover(elsewhere, b.signature);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, dk));
        nft.registerInstanceWithBoundProof(ID, 1, "https://elsewhere", p, b);

        _registerBound(alice, ID, 1, 8);
        NFT.Binding memory reg = _binding(nft, 1, ID, 1, alice, "https://new", 9, DEADLINE);
        (, bytes32 asPeer) = nft.bindingDigest(2, ID, 1, alice, "https://new", 9, DEADLINE);
        recovered = _ecrecover(asPeer, reg.signature);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, recovered, dk));
        nft.registerPeerWithBoundProof(ID, "https://new", p, reg);
        NFT.Binding memory peer = _binding(nft, 2, ID, 1, alice, "https://new", 9, DEADLINE);
        vm.prank(alice);
        nft.registerPeerWithBoundProof(ID, "https://new", p, peer);
        assertEq(nft.instanceToConnectionUrl(ID), "https://new", "url updated");
    }

    /// A binding signed by another key than the chain's derived key.
    function test_reject_bindingByOtherKey() public {
        NFT.ChainProof memory p = _proof();
        (, bytes32 digest) = nft.bindingDigest(1, ID, 1, alice, URL, 7, DEADLINE);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, vm.addr(X.F_APP_KEY), vm.addr(DERIVED_KEY))
        );
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, NFT.Binding(7, DEADLINE, signEth(X.F_APP_KEY, digest)));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.BindingSignatureInvalid.selector, address(0), vm.addr(DERIVED_KEY)));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, NFT.Binding(7, DEADLINE, hex"01"));
    }

    function test_boundProof_chainErrorsNameTheLink() public {
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 7, DEADLINE);
        p.appSignature = signDstack(X.D_APP_KEY, V.appLinkDigest(PURPOSE, p.derivedPublicKey));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(V.AppKeyMismatch.selector, X.D_APP_ADDR, X.F_APP_ADDR));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);

        p = _proof();
        p.appId = bytes32(X.C_APP_ID);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.AppIdNotAllowed.selector, bytes32(X.C_APP_ID), bytes32(X.F_APP_ID)));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);
    }

    // ================================================================ policy switches

    function test_requireBoundProofs() public {
        nft.setRequireBoundProofs(true);
        vm.startPrank(alice);
        vm.expectRevert(NFT.BoundProofRequired.selector);
        nft.registerInstance(ID, 1);
        vm.expectRevert(NFT.BoundProofRequired.selector);
        nft.registerInstance("node-1");
        vm.expectRevert(NFT.BoundProofRequired.selector);
        nft.registerInstanceWithProof(ID, 1, "", "", "", "");
        vm.expectRevert(NFT.BoundProofRequired.selector);
        nft.registerPeer("node-1", "", "", "", "", "", "", bytes32(0), address(0));
        vm.stopPrank();
        _registerBound(alice, ID, 1, 1);
        assertEq(nft.instanceToToken(ID), 1, "bound path still open");
    }

    function test_setClusterAppId_checksPaddingAndOwner() public {
        bytes32 dirty = bytes32(X.C_APP_ID) | bytes32(uint256(0xff));
        vm.expectRevert(abi.encodeWithSelector(V.AppIdPaddingInvalid.selector, dirty));
        nft.setClusterAppId(dirty);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        nft.setClusterAppId(bytes32(0));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        nft.setRequireBoundProofs(true);
    }

    // ================================================================ lifecycle and listing

    function test_deactivate_andListing() public {
        _registerBound(alice, ID, 1, 1);
        bytes32 id2 = keccak256("node-2");
        vm.prank(bob);
        nft.registerInstance(id2, 2);
        bytes32[] memory ids = nft.getActiveInstances();
        assertEq(ids.length, 2, "two active");
        assertEq(ids[0], ID, "first");
        assertEq(ids[1], id2, "second");
        string[] memory urls = nft.getPeerEndpoints();
        assertEq(urls.length, 1, "only node-1 has a url");
        assertEq(urls[0], URL, "url");

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotInstanceController.selector, ID, bob));
        nft.deactivateInstance(ID);

        vm.expectEmit(true, true, true, true, address(nft));
        emit NFT.InstanceDeactivated(ID, 1, alice);
        vm.prank(alice);
        nft.deactivateInstance(NAME);
        assertFalse(nft.activeInstances(ID), "inactive");
        assertEq(nft.instanceToConnectionUrl(ID), "", "url cleared");
        assertEq(nft.tokenToInstance(1), bytes32(0), "token freed");
        assertEq(nft.getPeerEndpoints().length, 0, "no peers");
        vm.expectRevert(abi.encodeWithSelector(NFT.InstanceNotActive.selector, ID));
        nft.deactivateInstance(ID);

        nft.deactivateInstance(id2); // the contract owner may remove any instance
        assertEq(nft.getActiveInstances().length, 0, "none active");
        vm.prank(alice);
        nft.registerInstance(keccak256("node-3"), 1); // token 1 is free again
    }

    /// The instance follows its token: a new holder controls it, the old one does not.
    function test_transferMovesControl() public {
        _registerBound(alice, ID, 1, 1);
        vm.prank(alice);
        nft.transferFrom(alice, bob, 1);
        (,, address owner_) = nft.getInstanceInfo(ID);
        assertEq(owner_, bob, "new owner");
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 2, ID, 1, alice, "https://a", 2, DEADLINE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(NFT.NotTokenOwner.selector, 1, alice));
        nft.registerPeerWithBoundProof(ID, "https://a", p, b);
        vm.prank(bob);
        nft.deactivateInstance(ID);
    }

    // ================================================================ KMS roots

    function test_kmsRoots_rotation() public {
        assertEq(nft.kmsRootAddress(), X.F_ROOT, "primary");
        assertTrue(nft.isTrustedKmsRoot(X.F_ROOT), "F trusted");
        assertFalse(nft.isTrustedKmsRoot(X.C_ROOT), "C not yet");

        nft.addKmsRoot(X.C_ROOT);
        address[] memory roots = nft.getKmsRoots();
        assertEq(roots.length, 2, "two roots");
        assertTrue(
            nft.verifySignatureChain(bytes32(X.C_APP_ID), X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing"), "C"
        );
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootAlreadyTrusted.selector, X.C_ROOT));
        nft.addKmsRoot(X.C_ROOT);
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootIsPrimary.selector, X.F_ROOT));
        nft.removeKmsRoot(X.F_ROOT);

        nft.removeKmsRoot(X.C_ROOT);
        assertFalse(
            nft.verifySignatureChain(bytes32(X.C_APP_ID), X.C_DERIVED_PUB, X.C_APP_SIG, X.C_KMS_SIG, "signing"), "C off"
        );
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, X.C_ROOT));
        nft.removeKmsRoot(X.C_ROOT);

        // Replace the primary: F stops being trusted, C becomes primary.
        vm.expectEmit(true, true, false, false, address(nft));
        emit KmsRootRegistry.KmsRootAddressUpdated(X.F_ROOT, X.C_ROOT);
        nft.setKmsRootAddress(X.C_ROOT);
        assertEq(nft.kmsRootAddress(), X.C_ROOT, "new primary");
        assertFalse(nft.isTrustedKmsRoot(X.F_ROOT), "old primary dropped");
        NFT.ChainProof memory p = _proof();
        NFT.Binding memory b = _binding(nft, 1, ID, 1, alice, URL, 1, DEADLINE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(KmsRootRegistry.KmsRootUntrusted.selector, X.F_ROOT));
        nft.registerInstanceWithBoundProof(ID, 1, URL, p, b);

        vm.expectRevert(KmsRootRegistry.ZeroAddress.selector);
        nft.setKmsRootAddress(address(0));
        vm.expectRevert(KmsRootRegistry.ZeroAddress.selector);
        nft.addKmsRoot(address(0));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        nft.addKmsRoot(X.D_ROOT);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        nft.setKmsRootAddress(X.D_ROOT);
        vm.expectRevert(KmsRootRegistry.ZeroAddress.selector);
        new NFT(address(0));
    }
}
