// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Known-answer values for dstack 0.6's v1 (/v1/GetKey) signature chain, copied from
///         the project's fixtures/vectors/guest-api-0.6-vectors.json (each group names its
///         upstream source) so the build never reads anything outside the repository.
///         The v1 claim is LP("dstack-guest-v1-key-claim") ‖ LP(alg) ‖ LP(domain) ‖ LP(pub),
///         LP(x) = u32_be(len(x)) ‖ x; link1 is the v0 KMS link, unchanged.
library VectorsV1 {
    // ---------------------------------------------------------------- EX:
    // dstack docs/guest-api-v1.md @147e39c8: the example claim bytes
    // (domain "storage-encryption", secp256k1).
    bytes internal constant EX_PUB = hex"03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764";
    bytes internal constant EX_CLAIM =
        hex"0000001964737461636b2d67756573742d76312d6b65792d636c61696d00000009736563703235366b310000001273746f726167652d656e6372797074696f6e0000002103d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764";

    // ---------------------------------------------------------------- R:
    // dstack dstack/ra-tls/src/api_v1.rs @147e39c8, guest-agent rpc_service_v1/keys.rs
    // @f75c2196, docs/guest-api-v1.md @147e39c8 and @c4202e2e: /v1/GetKey under app root key
    // 1a2b…1a2b (= Vectors.A_APP_KEY). secp256k1 keys, public keys and two link0 signatures
    // (the ed25519 seeds are not needed on chain: the claim hashes only the public key).
    // domain "", secp256k1
    uint256 internal constant R_EMPTY_K1_KEY = 0x59f60584ce6fd2a3a31997256db9d77322463fc8a6b1520110401bcb1ee92387;
    bytes internal constant R_EMPTY_K1_PUB = hex"0377c7fb050db181d392266a3cee9adb2901c6d665f11bac68be5457f577ba4908";
    // domain "", ed25519
    bytes internal constant R_EMPTY_ED_PUB = hex"a3dc149fd5b765eab2eb7d3174fa939e39386898f10b15b7b146f6f1358ecf2a";
    // domain "storage-encryption", secp256k1
    uint256 internal constant R_STORAGE_K1_KEY = 0x5510330f86902ddae38c6d89c93a8408019332c17a429e1abd01c4a28d1544a6;
    bytes internal constant R_STORAGE_K1_PUB = hex"03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764";
    // domain "storage-encryption", ed25519
    bytes internal constant R_STORAGE_ED_PUB = hex"2380c4a33a60b60613fa43866421e5b96eb8dcde211317200fd0d41e7e491288";
    // domain "wallet", secp256k1
    uint256 internal constant R_WALLET_K1_KEY = 0x2580611f0f936abe59399a8ac4ed9964d0259bd34c88ea012ca42b32acbf9386;
    bytes internal constant R_WALLET_K1_PUB = hex"0369cecd3c8da88730f7d45875824c3e75f63a2d3da4be42f45671954daa2abb28";
    // domain "wallet", ed25519
    bytes internal constant R_WALLET_ED_PUB = hex"dade622d0fa1641e79b16e0b04e296be671f85f0aa6387b7d37e9d89f87494f5";
    // domain "a/b/c", secp256k1
    uint256 internal constant R_ABC_K1_KEY = 0x7f0973449298085d2d36a3b4c4d3243c100ba1981ffa885fe9e9dee883e69538;
    bytes internal constant R_ABC_K1_PUB = hex"02e9b1a61b6d70aa9b241753828c316bf90e33e77b2e113f9ba75a8b6dc3cde5c1";
    // domain "k\u0000:ey", ed25519
    bytes internal constant R_KNUL_ED_PUB = hex"c833107822b003ff5675b33b90b151d4315c3ab9162b17d876e8dffde41abf9b";
    bytes internal constant R_STORAGE_K1_LINK0 =
        hex"5b6193729ce7976ec67863f21692d4b98c69832698aae8e001a7d33a6f818b6e46ca950725b6e90e8ca9bcf394abd03ce264bf9b7eec1e91693247f9dd53c26901";
    bytes internal constant R_WALLET_K1_LINK0 =
        hex"af26d2f258d34580e7288bd83fc97bddc83769476d77823c4f76a3ad77a751491a39ffc4ef3aa66cb0d008b8f6f199e6d57c1da9a92ba4cf10f23bf752b8cad000";

    // ---------------------------------------------------------------- S:
    // the upstream simulator key set (dstack sdk/simulator/appkeys.json, v0.5.6 and later;
    // = Vectors group C: app id, app root key, k256_signature, KMS root) under v1.
    // Computed independently (not upstream-asserted); cross-checked in-test with vm.sign.
    // domain "test", secp256k1
    uint256 internal constant S_TEST_K1_KEY = 0x5aeb09419e6e6b3bb4740d55387cee303f7df646379dc7884f6ce248bdde60e6;
    bytes internal constant S_TEST_K1_PUB = hex"02bc3a78e1c1f5d94c2580dd06678ec48ae362aeed00906dbea5aa4d34713c240c";
    bytes internal constant S_TEST_K1_LINK0 =
        hex"b81526a4b5a1a211d3bfedb9780fe38de5288f30e6ec2466f22b3874ba60f50f356751f1781027516b5372a67afd65c70a5d8a7e7f2ff8a85398df736a4e035f00";
    // domain "test", ed25519
    bytes internal constant S_TEST_ED_PUB = hex"51cf9f2ede324bebdb827807091a2649cd30230abd3550d6f1303edceda42776";
    bytes internal constant S_TEST_ED_LINK0 =
        hex"aa56540d89c24afc2fa3f37fb41f950e9d0496eb9d7fa6f20c398ae674d9138e3b9154a3222b6abd8704f7a95be85cf6daa99ec5faccc404cffbdff8d253b98b01";
    // domain "storage-encryption", secp256k1
    uint256 internal constant S_STORAGE_K1_KEY = 0xb9fa657a9b12a35468341fe9204cad53d393b35f05184546fbc5c329a526cf79;
    bytes internal constant S_STORAGE_K1_PUB = hex"0380a54b49c2ad61341d7ade1f41df5061783f8be45911bed81a8048bed2a60b36";
    bytes internal constant S_STORAGE_K1_LINK0 =
        hex"c18764c86ccf343bdf21ae186a265c5c8794e264462bfcbedc1ce3142caea26f7af172b168be38a163a67217fcff79d0bc54723263b88e710c4e15d4d2f6753d00";
    // domain "", ed25519
    bytes internal constant S_EMPTY_ED_PUB = hex"231c454f9463afbd9c76f63b344dd3dff7f86878f778a8c3fdd058b9b0245df1";
    bytes internal constant S_EMPTY_ED_LINK0 =
        hex"44900809ec07242a04b88e3803bee202429f4caca51a99cb54ffdb86571e10ce68d89ccf09477ef5c4445cb00ee61dabbc5226e1d8fe3126e424777c65fd366100";

    // ---------------------------------------------------------------- K:
    // dstack sdk/tests/vectors/signature_chain.json @76dfa964 (generator
    // dstack/guest-agent/tests/signature_chain_vectors.rs @1ce2b180): a KMS root whose
    // scalar is published, its app and the app's KMS link (link1 in both versions).
    uint256 internal constant K_ROOT_KEY = 0x4b4d532d726f6f742d746573742d6b65792d646f2d6e6f742d75736521212101;
    bytes internal constant K_ROOT_PUB = hex"0318f228673448772dd4835a82149a9d475db8095234469a8fcc85cfa18b85abbc";
    bytes20 internal constant K_APP_ID = hex"a9019d1b2c3d4e5f60718293a4b5c6d7e8f90a1b";
    uint256 internal constant K_APP_KEY = 0x2ae51b5c23b22c9b9dc0b8263a8b0b5f003e6d6fbc60c7ebb88696136a4dac0b;
    bytes internal constant K_APP_PUB = hex"03f8669c2bf08c4deeb712b81d456cd1eadbf97872dfc5d5ca916edf605fc5b6fe";
    bytes internal constant K_KMS_SIG =
        hex"00ac321fbbe6817c5de0720644e936b20046ff1c9226e0558a9c86856e8a1dd06bb7a7efae1cf3ec522553c28627ea96c139d5dc9cdd5a1898c2406c074438d800";
}
