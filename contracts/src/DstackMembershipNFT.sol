// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Enumerable} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721Enumerable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {DstackChainVerifier} from "./DstackChainVerifier.sol";
import {KmsRootRegistry} from "./KmsRootRegistry.sol";
import {DstackChainViews} from "./DstackChainViews.sol";

/// @title DstackMembershipNFT
/// @notice ERC-721 cluster membership for dstack nodes: 1 NFT = 1 node (instance).
///         A token holder registers one instance per token, optionally proving with a dstack
///         signature chain that the node's key was issued by a trusted KMS root, and
///         publishes the node's connection URL for peer discovery.
///
///         Three strengths of registration, recorded in events and in `getInstanceProof`:
///         - basic (`registerInstance`): NFT ownership only;
///         - unbound proof (the seeds' `registerInstanceWithProof`, `registerPeer`): a valid
///           chain under a trusted KMS root, but the chain is public and static per
///           (app, key path), so anyone who has seen it can present it again — WEAKER;
///         - bound proof (`registerInstanceWithBoundProof`, `registerPeerWithBoundProof`):
///           the chain plus a signature by the derived key over a message naming the chain
///           id, this contract, the action, the instance, the token, the caller, the URL, a
///           nonce and a deadline — cannot be replayed or stolen.
///         The owner can turn the weaker paths off with `setRequireBoundProofs(true)`.
///         Proofs come in both dstack key APIs, chosen by the entry point: v0 chains
///         (GetKey: purpose, `ChainProof`) and v1 chains (/v1/GetKey: algorithm and domain,
///         `ChainProofV1`, the `…V1` functions). A bound v1 proof needs a secp256k1 derived
///         key (the binding is an Ethereum signature by it); ed25519 v1 chains register only
///         on the unbound path.
/// @dev String instance ids (the seeds' later ABI) are keyed by keccak256(bytes(id)); the
///      bytes32 entry points take that key directly (`instanceKey`).
contract DstackMembershipNFT is ERC721Enumerable, KmsRootRegistry, DstackChainViews {
    /// @notice How an instance's registration was justified.
    enum ProofKind {
        None,
        Unbound,
        Bound
    }

    /// @notice A dstack signature chain with its app key, as given to the bound entry points.
    /// @param appId 20-byte dstack app id, right-padded in a bytes32 (padding must be zero)
    /// @param purpose the GetKey purpose the app link signed
    /// @param derivedPublicKey 33-byte compressed SEC1 derived (GetKey) public key
    /// @param appPublicKey 33-byte compressed or 64-byte x‖y app public key
    /// @param appSignature chain[0]: 65 bytes r‖s‖v, v ∈ {0,1}
    /// @param kmsSignature chain[1]: 65 bytes r‖s‖v, v ∈ {0,1}
    struct ChainProof {
        bytes32 appId;
        string purpose;
        bytes derivedPublicKey;
        bytes appPublicKey;
        bytes appSignature;
        bytes kmsSignature;
    }

    /// @notice A dstack v1 (/v1/GetKey) signature chain with its app root key.
    /// @param appId 20-byte dstack app id, right-padded in a bytes32 (padding must be zero)
    /// @param algorithm exactly "secp256k1" or "ed25519" (the claim's alg)
    /// @param domain the /v1/GetKey domain the claim names
    /// @param publicKey the /v1/GetKey public_key: 33-byte compressed secp256k1 or 32-byte ed25519
    /// @param appPublicKey 33-byte compressed or 64-byte x‖y app root public key
    /// @param appSignature signature_chain[0] (link0): 65 bytes r‖s‖v, v ∈ {0,1}
    /// @param kmsSignature signature_chain[1] (link1): 65 bytes r‖s‖v, v ∈ {0,1}
    struct ChainProofV1 {
        bytes32 appId;
        string algorithm;
        string domain;
        bytes publicKey;
        bytes appPublicKey;
        bytes appSignature;
        bytes kmsSignature;
    }

    /// @notice The derived key's authorisation of one registration (see `bindingDigest`).
    /// @param nonce any number not used before by this derived key on this contract
    /// @param deadline last valid block timestamp
    /// @param signature 65 bytes r‖s‖v over the EIP-191 binding digest, v ∈ {0,1,27,28}
    struct Binding {
        uint256 nonce;
        uint256 deadline;
        bytes signature;
    }

    struct Instance {
        uint256 tokenId;
        ProofKind proof;
        address kmsRoot;
        address derivedKey;
    }

    /// @notice Domain tag, first word of every binding message.
    bytes32 public constant BINDING_TAG = keccak256("DstackMembershipNFT.binding.v1");
    /// @notice Binding action: register an instance (with optional URL).
    uint8 public constant ACTION_REGISTER_INSTANCE = 1;
    /// @notice Binding action: set an instance's connection URL.
    uint8 public constant ACTION_REGISTER_PEER = 2;

    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice The caller does not hold the token (or the token does not exist).
    error NotTokenOwner(uint256 tokenId, address caller);
    /// @notice Instance id zero or an empty string id.
    error EmptyInstanceId();
    /// @notice The instance id is already registered (deactivate it first).
    error InstanceAlreadyRegistered(bytes32 instanceId);
    /// @notice The token already carries an instance (1 NFT = 1 node).
    error TokenAlreadyHasInstance(uint256 tokenId, bytes32 instanceId);
    /// @notice No active instance has this id.
    error InstanceNotActive(bytes32 instanceId);
    /// @notice `registerInstance(string)`: every token of the caller already has an instance.
    error NoFreeToken(address caller);
    /// @notice Only the token holder or the contract owner may deactivate an instance.
    error NotInstanceController(bytes32 instanceId, address caller);
    /// @notice `requireBoundProofs` is on and a basic or unbound path was used.
    error BoundProofRequired();
    /// @notice `registerInstanceWithProof` needs `clusterAppId` (its ABI has no app id).
    error ClusterAppIdNotSet();
    /// @notice The chain's app id is not the cluster's app id.
    error AppIdNotAllowed(bytes32 appId, bytes32 clusterAppId);
    /// @notice registerPeer's `appKeyAddress` is not the address of its `appPublicKey`.
    error AppKeyAddressMismatch(address supplied, address derived);
    /// @notice The binding's deadline has passed.
    error ProofExpired(uint256 deadline, uint256 timestamp);
    /// @notice The derived key already used this binding nonce here.
    error NonceUsed(address signer, uint256 nonce);
    /// @notice The binding signature is not by the chain's derived key for this exact
    ///         registration (caller, chain id, contract, action, instance, token, URL,
    ///         nonce, deadline); `recovered` is 0 for a malformed signature.
    error BindingSignatureInvalid(address recovered, address expected);
    /// @notice A bound v1 proof whose derived key is not secp256k1 (it cannot sign the binding).
    error BindingNeedsSecp256k1(string algorithm);

    /// @notice An instance was registered. withProof: a chain was verified; bound: it was
    ///         bound to this caller and registration; kmsRoot: the root it verified under
    ///         (zero for basic registrations).
    event InstanceRegistered(
        bytes32 indexed instanceId,
        uint256 indexed tokenId,
        address indexed owner,
        bool withProof,
        bool bound,
        address kmsRoot
    );
    /// @notice An instance was removed (its token is free again).
    event InstanceDeactivated(bytes32 indexed instanceId, uint256 indexed tokenId, address indexed by);
    /// @notice An instance's connection URL was set, under a chain verified at `kmsRoot`.
    event PeerRegistered(bytes32 indexed instanceId, string connectionUrl, bool bound, address kmsRoot);
    /// @notice A membership token was minted.
    event NodeAccessMinted(address indexed to, uint256 indexed tokenId, string name);
    /// @notice The cluster app id changed.
    event ClusterAppIdUpdated(bytes32 appId);
    /// @notice `requireBoundProofs` changed.
    event BoundProofRequirementUpdated(bool required);

    /// @notice The dstack app id (20 bytes, right-padded) cluster nodes must run; zero = any.
    bytes32 public clusterAppId;
    /// @notice When true only the bound-proof entry points register or set URLs.
    bool public requireBoundProofs;
    /// @notice The instance registered on a token (zero when none).
    mapping(uint256 tokenId => bytes32 instanceId) public tokenToInstance;
    /// @notice Whether a derived key already used a binding nonce.
    mapping(address signer => mapping(uint256 nonce => bool)) public bindingNonceUsed;

    mapping(bytes32 => Instance) private _instances;
    mapping(bytes32 => string) private _urls;
    uint256 private _lastTokenId;

    /// @param initialKmsRoot the first trusted and primary KMS root address (non-zero)
    constructor(address initialKmsRoot)
        ERC721("DStack Membership NFT", "DSTACK")
        Ownable(msg.sender)
        KmsRootRegistry(initialKmsRoot)
    {}

    // ================================================================ owner

    /// @notice Mint a membership token to `to` (owner only). Token ids start at 1.
    /// @param name free-form label, only emitted
    function mintNodeAccess(address to, string calldata name) external onlyOwner returns (uint256 tokenId) {
        tokenId = ++_lastTokenId;
        _mint(to, tokenId);
        emit NodeAccessMinted(to, tokenId, name);
    }

    /// @notice Set the app id nodes must run (owner only); zero accepts any app id.
    function setClusterAppId(bytes32 appId) external onlyOwner {
        DstackChainVerifier.appIdFromBytes32(appId);
        clusterAppId = appId;
        emit ClusterAppIdUpdated(appId);
    }

    /// @notice Turn the weaker (basic and unbound) paths off or on (owner only).
    function setRequireBoundProofs(bool required) external onlyOwner {
        requireBoundProofs = required;
        emit BoundProofRequirementUpdated(required);
    }

    // ================================================================ registration

    /// @notice Basic registration (no proof): caller must own `tokenId`.
    function registerInstance(bytes32 instanceId, uint256 tokenId) external {
        _requireWeakPathsOpen();
        _checkRegistrable(instanceId, tokenId);
        _store(instanceId, tokenId, ProofKind.None, address(0), address(0));
    }

    /// @notice Basic registration by string id (the seeds' later ABI) on the caller's first
    ///         token that has no instance.
    function registerInstance(string calldata instanceId) external {
        _requireWeakPathsOpen();
        bytes32 key = _keyOf(instanceId);
        uint256 n = balanceOf(msg.sender);
        for (uint256 i = 0; i < n; ++i) {
            uint256 tokenId = tokenOfOwnerByIndex(msg.sender, i);
            if (tokenToInstance[tokenId] == bytes32(0)) {
                _checkRegistrable(key, tokenId);
                _store(key, tokenId, ProofKind.None, address(0), address(0));
                return;
            }
        }
        revert NoFreeToken(msg.sender);
    }

    /// @notice The seeds' proof registration. WEAKER: the chain is verified in full (the app
    ///         key is recovered from `appSignature`, the KMS link must recover to a trusted
    ///         root, the app id is `clusterAppId`), but nothing ties it to the caller, so a
    ///         public chain can be presented by any token holder.
    function registerInstanceWithProof(
        bytes32 instanceId,
        uint256 tokenId,
        bytes memory derivedPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature,
        string memory purpose
    ) external {
        _requireWeakPathsOpen();
        _checkRegistrable(instanceId, tokenId);
        bytes32 appId = clusterAppId;
        if (appId == bytes32(0)) revert ClusterAppIdNotSet();
        (address derivedKey,, address kmsRoot) =
            DstackChainVerifier.recoverChain(appId, purpose, derivedPublicKey, appSignature, kmsSignature);
        _requireTrustedRoot(kmsRoot);
        _store(instanceId, tokenId, ProofKind.Unbound, kmsRoot, derivedKey);
    }

    /// @notice Sound proof registration: a chain with its app key (checked to be the app
    ///         signer), under a trusted root and the cluster app id, plus the derived key's
    ///         binding signature for ACTION_REGISTER_INSTANCE. Sets the URL when non-empty.
    function registerInstanceWithBoundProof(
        bytes32 instanceId,
        uint256 tokenId,
        string calldata connectionUrl,
        ChainProof calldata proof,
        Binding calldata binding
    ) external {
        _checkRegistrable(instanceId, tokenId);
        (address derivedKey, address kmsRoot) = _verifyChainWithKey(proof);
        _applyBound(ACTION_REGISTER_INSTANCE, instanceId, tokenId, connectionUrl, derivedKey, kmsRoot, binding);
    }

    /// @notice The seeds' 9-parameter peer registration: sets the instance's connection URL.
    ///         Checks: instance active, caller owns its token, `appKeyAddress` is the address
    ///         of `appPublicKey`, the app signature is by that key, the KMS link recovers to
    ///         a trusted root, the app id is allowed. WEAKER: no binding to the caller, so a
    ///         token holder can reuse any public chain of the app.
    function registerPeer(
        string memory instanceId,
        bytes memory derivedPublicKey,
        bytes memory appPublicKey,
        bytes memory appSignature,
        bytes memory kmsSignature,
        string memory connectionUrl,
        string memory purpose,
        bytes32 appId,
        address appKeyAddress
    ) external {
        _requireWeakPathsOpen();
        bytes32 key = _keyOf(instanceId);
        _requireTokenHolder(key);
        _checkAppId(appId);
        (, address appKey, address kmsRoot) = DstackChainVerifier.verifyChainWithAppKey(
            appId, purpose, derivedPublicKey, appPublicKey, appSignature, kmsSignature
        );
        if (appKey != appKeyAddress) revert AppKeyAddressMismatch(appKeyAddress, appKey);
        _requireTrustedRoot(kmsRoot);
        _urls[key] = connectionUrl;
        emit PeerRegistered(key, connectionUrl, false, kmsRoot);
    }

    /// @notice Sound URL update: caller owns the instance's token, chain as in
    ///         `registerInstanceWithBoundProof`, binding for ACTION_REGISTER_PEER.
    function registerPeerWithBoundProof(
        bytes32 instanceId,
        string calldata connectionUrl,
        ChainProof calldata proof,
        Binding calldata binding
    ) external {
        uint256 tokenId = _requireTokenHolder(instanceId);
        (address derivedKey, address kmsRoot) = _verifyChainWithKey(proof);
        _applyBound(ACTION_REGISTER_PEER, instanceId, tokenId, connectionUrl, derivedKey, kmsRoot, binding);
    }

    /// @notice v1 proof registration, unbound (WEAKER, like `registerInstanceWithProof`): the
    ///         v1 chain with its app root key (link0 must be by that key), under a trusted
    ///         root and the cluster app id (any app id when unset). Accepts secp256k1 and
    ///         ed25519 chains; an ed25519 registration records derived key 0.
    function registerInstanceWithProofV1(bytes32 instanceId, uint256 tokenId, ChainProofV1 calldata proof) external {
        _requireWeakPathsOpen();
        _checkRegistrable(instanceId, tokenId);
        (address derivedKey, address kmsRoot) = _verifyChainV1WithKey(proof);
        _store(instanceId, tokenId, ProofKind.Unbound, kmsRoot, derivedKey);
    }

    /// @notice `registerInstanceWithBoundProof` for a v1 chain: the chain as in
    ///         `registerInstanceWithProofV1`, its derived key secp256k1
    ///         (`BindingNeedsSecp256k1`), plus that key's binding for ACTION_REGISTER_INSTANCE.
    function registerInstanceWithBoundProofV1(
        bytes32 instanceId,
        uint256 tokenId,
        string calldata connectionUrl,
        ChainProofV1 calldata proof,
        Binding calldata binding
    ) external {
        _checkRegistrable(instanceId, tokenId);
        (address derivedKey, address kmsRoot) = _verifyChainV1WithKey(proof);
        if (derivedKey == address(0)) revert BindingNeedsSecp256k1(proof.algorithm);
        _applyBound(ACTION_REGISTER_INSTANCE, instanceId, tokenId, connectionUrl, derivedKey, kmsRoot, binding);
    }

    /// @notice `registerPeerWithBoundProof` for a v1 chain (secp256k1 derived key).
    function registerPeerWithBoundProofV1(
        bytes32 instanceId,
        string calldata connectionUrl,
        ChainProofV1 calldata proof,
        Binding calldata binding
    ) external {
        uint256 tokenId = _requireTokenHolder(instanceId);
        (address derivedKey, address kmsRoot) = _verifyChainV1WithKey(proof);
        if (derivedKey == address(0)) revert BindingNeedsSecp256k1(proof.algorithm);
        _applyBound(ACTION_REGISTER_PEER, instanceId, tokenId, connectionUrl, derivedKey, kmsRoot, binding);
    }

    /// @notice Remove an instance and its URL, freeing its token (token holder or owner).
    function deactivateInstance(bytes32 instanceId) public {
        uint256 tokenId = _instances[instanceId].tokenId;
        if (tokenId == 0) revert InstanceNotActive(instanceId);
        if (msg.sender != _ownerOf(tokenId) && msg.sender != owner()) {
            revert NotInstanceController(instanceId, msg.sender);
        }
        delete _instances[instanceId];
        delete _urls[instanceId];
        delete tokenToInstance[tokenId];
        emit InstanceDeactivated(instanceId, tokenId, msg.sender);
    }

    /// @notice `deactivateInstance` by string id.
    function deactivateInstance(string calldata instanceId) external {
        deactivateInstance(_keyOf(instanceId));
    }

    // ================================================================ binding
    //
    // The chain checks as views (verifySignatureChain, explainSignatureChain…, and their
    // v1 forms) are inherited from DstackChainViews.

    /// @notice The message a derived key signs to bind a registration.
    /// @return messageHash keccak256(abi.encode(BINDING_TAG, action, chainid, this,
    ///         instanceId, tokenId, caller, keccak256(bytes(connectionUrl)), nonce, deadline))
    /// @return digest EIP-191 "\x19Ethereum Signed Message:\n32" ‖ messageHash, hashed
    function bindingDigest(
        uint8 action,
        bytes32 instanceId,
        uint256 tokenId,
        address caller,
        string memory connectionUrl,
        uint256 nonce,
        uint256 deadline
    ) public view returns (bytes32 messageHash, bytes32 digest) {
        messageHash = keccak256(
            abi.encode(
                BINDING_TAG,
                uint256(action),
                block.chainid,
                address(this),
                instanceId,
                tokenId,
                caller,
                keccak256(bytes(connectionUrl)),
                nonce,
                deadline
            )
        );
        digest = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", messageHash));
    }

    // ================================================================ reads

    /// @notice keccak256(bytes(instanceId)): the key of a string instance id.
    function instanceKey(string calldata instanceId) external pure returns (bytes32) {
        return keccak256(bytes(instanceId));
    }

    /// @notice Token of an active instance (0 when none).
    function instanceToToken(bytes32 instanceId) external view returns (uint256) {
        return _instances[instanceId].tokenId;
    }

    /// @notice Token of an active instance, by string id.
    function instanceToToken(string calldata instanceId) external view returns (uint256) {
        return _instances[keccak256(bytes(instanceId))].tokenId;
    }

    /// @notice Connection URL of an instance ("" when none).
    function instanceToConnectionUrl(bytes32 instanceId) external view returns (string memory) {
        return _urls[instanceId];
    }

    /// @notice Connection URL of an instance, by string id.
    function instanceToConnectionUrl(string calldata instanceId) external view returns (string memory) {
        return _urls[keccak256(bytes(instanceId))];
    }

    /// @notice Whether an instance is registered and not deactivated.
    function activeInstances(bytes32 instanceId) external view returns (bool) {
        return _instances[instanceId].tokenId != 0;
    }

    /// @notice (tokenId, active, token owner) of an instance; zeros when unknown.
    function getInstanceInfo(bytes32 instanceId) public view returns (uint256 tokenId, bool active, address ownerAddr) {
        tokenId = _instances[instanceId].tokenId;
        active = tokenId != 0;
        ownerAddr = active ? _ownerOf(tokenId) : address(0);
    }

    /// @notice `getInstanceInfo` by string id.
    function getInstanceInfo(string calldata instanceId)
        external
        view
        returns (uint256 tokenId, bool active, address ownerAddr)
    {
        return getInstanceInfo(keccak256(bytes(instanceId)));
    }

    /// @notice How an instance was registered: proof kind, KMS root and derived key address
    ///         (zero for basic registrations).
    function getInstanceProof(bytes32 instanceId)
        external
        view
        returns (ProofKind kind, address kmsRoot, address derivedKey)
    {
        Instance storage inst = _instances[instanceId];
        return (inst.proof, inst.kmsRoot, inst.derivedKey);
    }

    /// @notice First token held by `wallet` (0 when none): the seeds' `walletToTokenId`.
    function walletToTokenId(address wallet) external view returns (uint256) {
        return balanceOf(wallet) == 0 ? 0 : tokenOfOwnerByIndex(wallet, 0);
    }

    /// @notice Ids of all active instances, in token order.
    function getActiveInstances() external view returns (bytes32[] memory ids) {
        uint256 n = totalSupply();
        ids = new bytes32[](n);
        uint256 count;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = tokenToInstance[tokenByIndex(i)];
            if (id != bytes32(0)) ids[count++] = id;
        }
        assembly ("memory-safe") {
            mstore(ids, count)
        }
    }

    /// @notice Connection URLs of all active instances that have one, in token order.
    function getPeerEndpoints() external view returns (string[] memory urls) {
        uint256 n = totalSupply();
        urls = new string[](n);
        uint256 count;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = tokenToInstance[tokenByIndex(i)];
            if (id != bytes32(0) && bytes(_urls[id]).length != 0) urls[count++] = _urls[id];
        }
        assembly ("memory-safe") {
            mstore(urls, count)
        }
    }

    // ================================================================ internals

    function _keyOf(string memory instanceId) private pure returns (bytes32) {
        if (bytes(instanceId).length == 0) revert EmptyInstanceId();
        return keccak256(bytes(instanceId));
    }

    function _requireWeakPathsOpen() private view {
        if (requireBoundProofs) revert BoundProofRequired();
    }

    function _checkRegistrable(bytes32 instanceId, uint256 tokenId) private view {
        if (instanceId == bytes32(0)) revert EmptyInstanceId();
        if (_ownerOf(tokenId) != msg.sender) revert NotTokenOwner(tokenId, msg.sender);
        if (_instances[instanceId].tokenId != 0) revert InstanceAlreadyRegistered(instanceId);
        bytes32 current = tokenToInstance[tokenId];
        if (current != bytes32(0)) revert TokenAlreadyHasInstance(tokenId, current);
    }

    function _requireTokenHolder(bytes32 instanceId) private view returns (uint256 tokenId) {
        tokenId = _instances[instanceId].tokenId;
        if (tokenId == 0) revert InstanceNotActive(instanceId);
        if (_ownerOf(tokenId) != msg.sender) revert NotTokenOwner(tokenId, msg.sender);
    }

    function _checkAppId(bytes32 appId) private view {
        bytes32 required = clusterAppId;
        if (required != bytes32(0) && appId != required) revert AppIdNotAllowed(appId, required);
    }

    function _verifyChainWithKey(ChainProof calldata p) private view returns (address derivedKey, address kmsRoot) {
        _checkAppId(p.appId);
        (derivedKey,, kmsRoot) = DstackChainVerifier.verifyChainWithAppKey(
            p.appId, p.purpose, p.derivedPublicKey, p.appPublicKey, p.appSignature, p.kmsSignature
        );
        _requireTrustedRoot(kmsRoot);
    }

    function _verifyChainV1WithKey(ChainProofV1 calldata p) private view returns (address derivedKey, address kmsRoot) {
        _checkAppId(p.appId);
        (derivedKey,, kmsRoot) = DstackChainVerifier.verifyChainV1WithAppKey(
            p.appId, p.algorithm, p.domain, p.publicKey, p.appPublicKey, p.appSignature, p.kmsSignature
        );
        _requireTrustedRoot(kmsRoot);
    }

    /// @dev What a verified chain's bound proof does once its binding (for `action`) is
    ///      consumed: register the instance (ACTION_REGISTER_INSTANCE) and/or set its URL
    ///      (always for ACTION_REGISTER_PEER, when non-empty on registration).
    function _applyBound(
        uint8 action,
        bytes32 instanceId,
        uint256 tokenId,
        string calldata connectionUrl,
        address derivedKey,
        address kmsRoot,
        Binding calldata binding
    ) private {
        _consumeBinding(action, instanceId, tokenId, connectionUrl, derivedKey, binding);
        if (action == ACTION_REGISTER_INSTANCE) _store(instanceId, tokenId, ProofKind.Bound, kmsRoot, derivedKey);
        if (action == ACTION_REGISTER_PEER || bytes(connectionUrl).length != 0) {
            _urls[instanceId] = connectionUrl;
            emit PeerRegistered(instanceId, connectionUrl, true, kmsRoot);
        }
    }

    function _consumeBinding(
        uint8 action,
        bytes32 instanceId,
        uint256 tokenId,
        string calldata connectionUrl,
        address derivedKey,
        Binding calldata b
    ) private {
        // Deadlines are coarse (minutes or more); validator skew of seconds does not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > b.deadline) revert ProofExpired(b.deadline, block.timestamp);
        if (bindingNonceUsed[derivedKey][b.nonce]) revert NonceUsed(derivedKey, b.nonce);
        (, bytes32 digest) = bindingDigest(action, instanceId, tokenId, msg.sender, connectionUrl, b.nonce, b.deadline);
        address recovered = _recoverBindingSigner(digest, b.signature);
        if (recovered != derivedKey) revert BindingSignatureInvalid(recovered, derivedKey);
        bindingNonceUsed[derivedKey][b.nonce] = true;
    }

    /// @dev Accepts v ∈ {0,1,27,28} (ordinary Ethereum signers and raw libsecp256k1 alike),
    ///      low-s only; returns 0 for anything malformed.
    function _recoverBindingSigner(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if ((v != 27 && v != 28) || uint256(s) > HALF_N) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _store(bytes32 instanceId, uint256 tokenId, ProofKind kind, address kmsRoot, address derivedKey) private {
        _instances[instanceId] = Instance(tokenId, kind, kmsRoot, derivedKey);
        tokenToInstance[tokenId] = instanceId;
        emit InstanceRegistered(
            instanceId, tokenId, msg.sender, kind != ProofKind.None, kind == ProofKind.Bound, kmsRoot
        );
    }
}
