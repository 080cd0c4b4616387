// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Known-answer values for the signature chain. Sources are named per group
///         (the project's spec, vectors.md, copied here so the build never reads it).
///         Values marked "computed offline" were derived once from the given private keys
///         with `cast wallet public-key` and the noble-curves JS library and are cross-checked in-test.
library Vectors {
    // ---------------------------------------------------------------- vectors.md A:
    // GetKey official v0 vector (upstream docs and unit test), app key 1a2b…1a2b.
    uint256 internal constant A_APP_KEY = 0x1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b;
    address internal constant A_APP_ADDR = 0xAf6D46d1E55AA87772Fb1538FE4d36AAA70f4e06;
    // path "test", purpose "signing"
    uint256 internal constant A_TEST_KEY = 0x52786aa123b0971e283af97f32e25767483d099d66e6c40afeb3a49046b5379e;
    bytes internal constant A_TEST_PUB = hex"02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919";
    bytes internal constant A_TEST_SIG =
        hex"c8a3dcf06c4e95bd78a5d7a1c8fcff171fc5848cfae804c6fc11bda4dc5d4062379995390843827444992c4c0e4bac70f0f878e01b9fc8b98cd7126fe5a3876b01";
    // path "wallet/ethereum", purpose "mainnet"
    bytes internal constant A_WALLET_PUB = hex"0307656cda96e2793fbafde1d3e3f91b5352df5b71b87ccd4823732e5554b6ad27";
    address internal constant A_WALLET_ADDR = 0xcb5ED795240D6156F47d4B20D2CB834AeDE33Fb3;
    bytes internal constant A_WALLET_SIG =
        hex"29f0886626b59a653aa39685dc7532081191f67a3f962f796366b975ac99d8ab2f44aac94be4d00f67bcc3e45237b6d12b15015e3fa9c51b124da66f84bd9f8500";

    // ---------------------------------------------------------------- vectors.md C:
    // upstream simulator keys v0.5.11 (v0.5.6 and later).
    bytes20 internal constant C_APP_ID = hex"5bb4ff9a3837357f19dc176407a5709c62eb6c56";
    uint256 internal constant C_APP_KEY = 0xd6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d;
    bytes internal constant C_APP_PUB = hex"02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c";
    address internal constant C_APP_ADDR = 0xD508660Da170d8b162779698A64E6707d5Aa217A;
    bytes32 internal constant C_KMS_DIGEST = 0x1f1acc59bf7234477601c8abf24b462777d69b8497e91189bb4c4c0568308bf5;
    bytes internal constant C_KMS_SIG =
        hex"9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500";
    bytes internal constant C_ROOT_PUB = hex"0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6";
    address internal constant C_ROOT = 0xA7F6043C29f9cc1d9D6aCF554c53E0c6792AaEAf;
    // GetKey{path "test", purpose "signing"}
    uint256 internal constant C_DERIVED_KEY = 0x133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8;
    // computed offline: `cast wallet public-key --private-key 0x133e8c…e4e8` → y even → 02 ‖ x
    bytes internal constant C_DERIVED_PUB = hex"02c53a10a891f3c5d599539056edcfa080555ac975cae78e59b5d519dcdaf03389";
    // computed offline: `cast wallet address --private-key 0x133e8c…e4e8`
    address internal constant C_DERIVED_ADDR = 0x66527976Bdb9dF65109aF70dBEbaeaf51853c6ac;
    // computed offline: keccak256("signing:02c53a…3389")
    bytes32 internal constant C_APP_DIGEST = 0x61ff5c420083a18c8241b1b97aa574c64beb1ef1c8ab0e8b5819c949601f353b;
    bytes internal constant C_APP_SIG =
        hex"c2ac442934a10d730c14b553e6b93e4db61aa7afa48b7aa51e649841115d6f4160a29b24a87e0ef4c02e37c10b176913f1449ebb41466fccdc44a6ef5d9b247300";

    // ---------------------------------------------------------------- vectors.md D:
    // upstream simulator keys v0.4 – v0.5.5 (the seeds' static signature).
    bytes20 internal constant D_APP_ID = hex"ea549f02e1a25fabd1cb788380e033ec5461b2ff";
    uint256 internal constant D_APP_KEY = 0xe0e5d254fb944dcc370a2e5288b336a1e809871545a73ee645368957fefa31f9;
    bytes internal constant D_APP_PUB = hex"02b85cceca0c02d878f0ebcda72a97469a472416eb6faf3c4807642132f9786810";
    address internal constant D_APP_ADDR = 0x5e5132F15a9aa4AA91A6bCaE35Adf34e27A13516;
    bytes internal constant D_KMS_SIG =
        hex"2f431c7956869a4fe3e028c5f9518a935e2d01e81a3628f8b1d178fc2fac7b6d2405ace433624e5568e23c4ed291dbaf60dac79b756837c0fe745154ebfdc0a601";
    bytes internal constant D_ROOT_PUB = hex"02cad3a8bb11c5c0858fb3e402048b5137457039d577986daade678ed4b4ab1b9b";
    address internal constant D_ROOT = 0x8f2cF602C9695b23130367ed78d8F557554de7C5;

    // ---------------------------------------------------------------- vectors.md E:
    // a production chain (Phala Base KMS, purpose "mainnet"); digests only.
    address internal constant E_ROOT = 0x52d3CF51c8A37A2CCfC79bBb98c7810d7Dd4CE51;
    bytes internal constant E_ROOT_PUB = hex"02a335aea3df11d46ae0a373d3f26fbd1d208572ecc87e630e618dac693b7af721";
    bytes20 internal constant E_APP_ID = hex"25e9a28b7c0cdad98c25c0ea226b1a94809e55c7";
    bytes internal constant E_APP_PUB = hex"02605c9587ae3c9c622a3f8478d773ea150256aa1d2888a8d395a3a2553f8f48e2";
    address internal constant E_APP_ADDR = 0x2d7d3553dfD57203A1f52d2D97f256157a06666D;
    bytes internal constant E_DERIVED_PUB = hex"036d4d81a04af9c85a6be7b4756eed6746a558a64fb5b7946c678c493fcc0e55af";
    bytes32 internal constant E_APP_DIGEST = 0x8d1df4b1d999e7091fa39f6af7b608c3f3f8e9ad3b007f11f897dff5e3c6a325;
    bytes32 internal constant E_KMS_DIGEST = 0x37839b932a5e79c692edb864689591ee4a91da320e5ca3d114cbe8a6d702baf5;

    // ---------------------------------------------------------------- vectors.md F:
    // KMS-side derivation (inputs of an upstream KMS unit test; outputs computed).
    uint256 internal constant F_ROOT_KEY = 0x1111111111111111111111111111111111111111111111111111111111111111;
    bytes internal constant F_ROOT_PUB = hex"034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa";
    address internal constant F_ROOT = 0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A;
    bytes20 internal constant F_APP_ID = hex"2121212121212121212121212121212121212121";
    uint256 internal constant F_APP_KEY = 0x6eb79709c8e5a1b02877bbf354c44ada845b8bfd8fad72bb3e99cabf76f76643;
    bytes internal constant F_APP_PUB = hex"0222251979c6f478af19fb189846869db67dcf2e8772af319d4aa17bab4021d822";
    address internal constant F_APP_ADDR = 0x697B392e78e1322258dE641215321eB77f50a54E;
    bytes internal constant F_KMS_SIG =
        hex"0fa582260804b3f7ad41347da54f6cba36cf49a4fe5a2b1f3cc7aea2c523ebae5dd776a32495220c0d48a76b968d8089ef4dacb58f3abdd2eb82732fade9dfe601";
}
