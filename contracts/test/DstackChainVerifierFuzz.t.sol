// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";
import {VerifierHarness} from "./utils/VerifierHarness.sol";
import {DstackMembershipNFT} from "../src/DstackMembershipNFT.sol";

/// @notice Property tests: canonical chains built like dstack builds them always verify,
///         and changing any single byte of either signature always breaks them.
contract DstackChainVerifierFuzzTest is TestBase {
    VerifierHarness internal h;

    struct Chain {
        uint256 rootKey;
        uint256 appKey;
        uint256 derivedKey;
        bytes32 appId;
        string purpose;
        bytes derivedPub;
        bytes appPub;
        bytes appSig;
        bytes kmsSig;
    }

    function setUp() public {
        h = new VerifierHarness();
    }

    /// Build a chain exactly as dstack does: KMS root signs the app key once, the app key
    /// signs the claim purpose ‖ ":" ‖ lowerhex(derivedPub33); blobs carry v ∈ {0,1}.
    function _chain(uint256 rootSeed, uint256 appSeed, uint256 derivedSeed, bytes20 appId, string memory purpose)
        internal
        returns (Chain memory c)
    {
        c.rootKey = toPrivateKey(rootSeed);
        c.appKey = toPrivateKey(appSeed);
        c.derivedKey = toPrivateKey(derivedSeed);
        c.appId = bytes32(appId);
        c.purpose = purpose;
        c.derivedPub = pub33(c.derivedKey);
        c.appPub = pub33(c.appKey);
        bytes32 claimDigest = keccak256(bytes.concat(bytes(purpose), ":", bytes(hexOf(c.derivedPub, false))));
        c.appSig = signDstack(c.appKey, claimDigest);
        c.kmsSig = signDstack(c.rootKey, keccak256(abi.encodePacked("dstack-kms-issued:", appId, c.appPub)));
    }

    function testFuzz_canonicalChainVerifies(
        uint256 rootSeed,
        uint256 appSeed,
        uint256 derivedSeed,
        bytes20 appId,
        string memory purpose
    ) public {
        Chain memory c = _chain(rootSeed, appSeed, derivedSeed, appId, purpose);
        (address d, address a, address root) =
            h.verifyChainWithAppKey(c.appId, purpose, c.derivedPub, c.appPub, c.appSig, c.kmsSig);
        assertEq(d, vm.addr(c.derivedKey), "derived");
        assertEq(a, vm.addr(c.appKey), "app");
        assertEq(root, vm.addr(c.rootKey), "root");

        bytes memory appPub;
        (d, appPub, root) = h.recoverChain(c.appId, purpose, c.derivedPub, c.appSig, c.kmsSig);
        assertEq(appPub, c.appPub, "recovered app pub");
        assertEq(root, vm.addr(c.rootKey), "recovered root");

        // The same chain through the contract's seed-ABI view, root trusted.
        DstackMembershipNFT nft = new DstackMembershipNFT(vm.addr(c.rootKey));
        assertTrue(nft.verifySignatureChain(c.appId, c.derivedPub, c.appSig, c.kmsSig, purpose), "nft view");
    }

    function testFuzz_anyAppSignatureByteChangeRejected(
        uint256 rootSeed,
        uint256 appSeed,
        uint256 derivedSeed,
        bytes20 appId,
        uint256 index,
        uint8 mask
    ) public {
        Chain memory c = _chain(rootSeed, appSeed, derivedSeed, appId, "mainnet");
        bytes memory bad = flipByte(c.appSig, bound(index, 0, 64), uint8(bound(mask, 1, 255)));
        address root = vm.addr(c.rootKey);
        // With the app key supplied: must revert or end at another root.
        try h.verifyChainWithAppKey(c.appId, "mainnet", c.derivedPub, c.appPub, bad, c.kmsSig) returns (
            address, address, address r
        ) {
            assertTrue(r != root, "mutated app signature reached the root (with app key)");
        } catch {}
        // Signatures only (app key recovered): same.
        try h.recoverChain(c.appId, "mainnet", c.derivedPub, bad, c.kmsSig) returns (address, bytes memory, address r) {
            assertTrue(r != root, "mutated app signature reached the root (recovered app key)");
        } catch {}
    }

    function testFuzz_anyKmsSignatureByteChangeRejected(
        uint256 rootSeed,
        uint256 appSeed,
        uint256 derivedSeed,
        bytes20 appId,
        uint256 index,
        uint8 mask
    ) public {
        Chain memory c = _chain(rootSeed, appSeed, derivedSeed, appId, "signing");
        bytes memory bad = flipByte(c.kmsSig, bound(index, 0, 64), uint8(bound(mask, 1, 255)));
        address root = vm.addr(c.rootKey);
        try h.verifyChainWithAppKey(c.appId, "signing", c.derivedPub, c.appPub, c.appSig, bad) returns (
            address, address, address r
        ) {
            assertTrue(r != root, "mutated KMS signature reached the root (with app key)");
        } catch {}
        try h.recoverChain(c.appId, "signing", c.derivedPub, c.appSig, bad) returns (address, bytes memory, address r) {
            assertTrue(r != root, "mutated KMS signature reached the root (recovered app key)");
        } catch {}
    }

    /// Changing the purpose or one byte of the derived key breaks the app link.
    function testFuzz_claimChangeRejected(
        uint256 appSeed,
        uint256 derivedSeed,
        string memory purpose,
        string memory other
    ) public {
        vm.assume(keccak256(bytes(purpose)) != keccak256(bytes(other)));
        Chain memory c = _chain(1, appSeed, derivedSeed, bytes20(uint160(0xabc)), purpose);
        address recovered = h.recoverSigner(h.appLinkDigest(other, c.derivedPub), c.appSig);
        assertTrue(recovered != vm.addr(c.appKey), "other purpose must not verify");
        assertEq(h.recoverSigner(h.appLinkDigest(purpose, c.derivedPub), c.appSig), vm.addr(c.appKey), "own purpose");
    }

    /// On-chain public-key recovery agrees with forge's secp256k1 for random keys/digests.
    function testFuzz_recoverPointMatchesWallet(uint256 keySeed, bytes32 digest) public {
        uint256 key = toPrivateKey(keySeed);
        Vm.Wallet memory w = vm.createWallet(key);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        (bool ok, uint256 x, uint256 y) = h.recoverPoint(digest, v - 27, uint256(r), uint256(s));
        assertTrue(ok, "recovered");
        assertEq(x, w.publicKeyX, "x");
        assertEq(y, w.publicKeyY, "y");
    }

    /// Decompression inverts compression for random keys.
    function testFuzz_decompressRoundTrip(uint256 keySeed) public {
        uint256 key = toPrivateKey(keySeed);
        Vm.Wallet memory w = vm.createWallet(key);
        (uint256 x, uint256 y) = h.decompress(pub33(key));
        assertEq(x, w.publicKeyX, "x");
        assertEq(y, w.publicKeyY, "y");
        assertEq(h.pubToAddress(pub33(key)), w.addr, "address");
    }
}
