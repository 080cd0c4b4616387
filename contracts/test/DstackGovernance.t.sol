// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";
import {Vectors as X} from "./utils/Vectors.sol";
import {DstackApp, IAppAuthBasicManagement} from "../src/DstackApp.sol";
import {DstackKms} from "../src/DstackKms.sol";
import {IAppAuth} from "../src/IAppAuth.sol";
import {DstackChainVerifier as V} from "../src/DstackChainVerifier.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice A second DstackApp generation, to prove the UUPS upgrade path.
contract DstackAppV3 is DstackApp {
    function version3() external pure returns (uint256) {
        return 3;
    }
}

/// @notice DstackKms / DstackApp behind UUPS proxies as upstream deploys them: the factory,
///         every refusal reason of both contracts in upstream's order, revert texts,
///         ownership and upgrades.
contract DstackGovernanceTest is TestBase {
    DstackApp internal appImpl;
    DstackKms internal kms;
    DstackApp internal app;
    address internal stranger = address(0x5EED);
    bytes32 internal constant COMPOSE = keccak256("app-compose.json");
    bytes32 internal constant DEVICE = keccak256("device-1");
    bytes32 internal constant OS_IMAGE = keccak256("dstack-0.5.x");
    bytes32 internal constant MR_AGG = keccak256("mr-aggregated");
    /// ERC-1967 implementation slot: keccak256("eip1967.proxy.implementation") - 1.
    bytes32 internal constant IMPL_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    event AppDeployedViaFactory(address indexed appId, address indexed deployer);
    event AppRegistered(address appId);

    function setUp() public {
        appImpl = new DstackApp();
        DstackKms kmsImpl = new DstackKms();
        kms = DstackKms(
            address(new ERC1967Proxy(address(kmsImpl), abi.encodeCall(DstackKms.initialize, (address(this), address(appImpl)))))
        );
        app = DstackApp(kms.deployAndRegisterApp(address(this), false, false, false, DEVICE, COMPOSE));
    }

    function _boot(address appId, bytes32 compose, bytes32 device, string memory tcb)
        internal
        pure
        returns (IAppAuth.AppBootInfo memory b)
    {
        b.appId = appId;
        b.composeHash = compose;
        b.instanceId = address(0x1234);
        b.deviceId = device;
        b.mrAggregated = MR_AGG;
        b.osImageHash = OS_IMAGE;
        b.tcbStatus = tcb;
        b.advisoryIds = new string[](1);
        b.advisoryIds[0] = "INTEL-SA-00837";
    }

    function _expect(IAppAuth target, IAppAuth.AppBootInfo memory b, bool allowed, string memory reason) internal view {
        (bool ok, string memory why) = target.isAppAllowed(b);
        assertEq(ok, allowed, string.concat("allowed? (", reason, ")"));
        assertEq(why, reason, "reason");
    }

    function _expectKms(IAppAuth.AppBootInfo memory b, bool allowed, string memory reason) internal view {
        (bool ok, string memory why) = kms.isKmsAllowed(b);
        assertEq(ok, allowed, string.concat("kms allowed? (", reason, ")"));
        assertEq(why, reason, "kms reason");
    }

    function _unauthorized() internal view returns (bytes memory) {
        return abi.encodeWithSelector(OwnableUpgradeable.OwnableUnauthorizedAccount.selector, stranger);
    }

    // ------------------------------------------------------------------ shape

    function test_interfaceIds_matchUpstream() public view {
        assertEq(uint256(uint32(type(IAppAuth).interfaceId)), 0x1e079198, "IAppAuth id");
        assertEq(uint256(uint32(type(IAppAuthBasicManagement).interfaceId)), 0x8fd37527, "basic management id");
        assertTrue(app.supportsInterface(0x1e079198), "app: IAppAuth");
        assertTrue(app.supportsInterface(0x8fd37527), "app: management");
        assertTrue(app.supportsInterface(0x01ffc9a7), "app: ERC165");
        assertFalse(app.supportsInterface(0xffffffff), "app: 0xffffffff");
        assertTrue(kms.supportsInterface(0x1e079198), "kms: IAppAuth");
        assertTrue(kms.supportsInterface(0x01ffc9a7), "kms: ERC165");
        assertFalse(kms.supportsInterface(0x8fd37527), "kms: no management");
    }

    /// The app id is the factory's new ERC-1967 proxy: code there, the implementation in
    /// the ERC-1967 slot, registered, owned by the requested owner.
    function test_factory_appIdIsTheProxy() public view {
        address a = address(app);
        assertTrue(a.code.length > 0, "code at the app id");
        assertEq(address(uint160(uint256(vm.load(a, IMPL_SLOT)))), address(appImpl), "proxy implementation");
        assertTrue(kms.registeredApps(a), "registered");
        assertEq(app.owner(), address(this), "owner");
        assertEq(app.version(), 2, "version");
        assertTrue(app.allowedComposeHashes(COMPOSE), "initial compose");
        assertTrue(app.allowedDeviceIds(DEVICE), "initial device");
        assertFalse(app.allowAnyDevice(), "allowAnyDevice");
        assertFalse(app.requireTcbUpToDate(), "requireTcbUpToDate");
        assertFalse(app.allowedComposeHashes(bytes32(0)), "zero compose not added");
        assertEq(kms.appImplementation(), address(appImpl), "appImplementation");
        assertEq(kms.owner(), address(this), "kms owner");
    }

    function test_factory_bothOverloads_anyoneMayCall() public {
        vm.prank(stranger);
        address a6 = kms.deployAndRegisterApp(stranger, true, true, true, bytes32(0), COMPOSE);
        DstackApp app6 = DstackApp(a6);
        assertTrue(kms.registeredApps(a6), "6-arg registered");
        assertEq(app6.owner(), stranger, "6-arg owner");
        assertTrue(app6.requireTcbUpToDate(), "6-arg requireTcbUpToDate");
        assertTrue(app6.allowAnyDevice(), "6-arg allowAnyDevice");

        vm.prank(stranger);
        address a5 = DstackKms(address(kms)).deployAndRegisterApp(stranger, false, true, DEVICE, COMPOSE);
        DstackApp app5 = DstackApp(a5);
        assertTrue(a5 != a6, "distinct app ids");
        assertTrue(kms.registeredApps(a5), "5-arg registered");
        assertFalse(app5.requireTcbUpToDate(), "5-arg: no TCB requirement");
        assertTrue(app5.allowAnyDevice(), "5-arg allowAnyDevice");
        assertTrue(app5.allowedDeviceIds(DEVICE), "5-arg device");
    }

    function test_factory_events() public {
        // The event's indexed topics carry the returned app id and the caller.
        vm.recordLogs();
        address a = kms.deployAndRegisterApp(address(this), false, false, true, bytes32(0), COMPOSE);
        bytes32 factoryTopic = keccak256("AppDeployedViaFactory(address,address)");
        bool seen;
        bool registered;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics.length == 3 && logs[i].topics[0] == factoryTopic) {
                assertEq(address(uint160(uint256(logs[i].topics[1]))), a, "event appId");
                assertEq(address(uint160(uint256(logs[i].topics[2]))), address(this), "event deployer");
                seen = true;
            }
            if (logs[i].topics[0] == keccak256("AppRegistered(address)")) {
                assertEq(abi.decode(logs[i].data, (address)), a, "AppRegistered appId");
                registered = true;
            }
        }
        assertTrue(seen, "AppDeployedViaFactory emitted");
        assertTrue(registered, "AppRegistered emitted");
    }

    function test_factory_reverts() public {
        vm.expectRevert(bytes("Invalid owner address"));
        kms.deployAndRegisterApp(address(0), false, false, false, DEVICE, COMPOSE);

        DstackKms bare = DstackKms(
            address(new ERC1967Proxy(address(new DstackKms()), abi.encodeCall(DstackKms.initialize, (address(this), address(0)))))
        );
        assertEq(bare.appImplementation(), address(0), "no implementation");
        vm.expectRevert(bytes("DstackApp implementation not set"));
        bare.deployAndRegisterApp(address(this), false, false, false, DEVICE, COMPOSE);
        vm.expectRevert(bytes("DstackApp implementation not set"));
        bare.deployAndRegisterApp(address(this), false, false, DEVICE, COMPOSE);

        vm.expectRevert(bytes("Invalid implementation address"));
        bare.setAppImplementation(address(0));
        bare.setAppImplementation(address(appImpl));
        assertEq(bare.appImplementation(), address(appImpl), "implementation set");
        vm.prank(stranger);
        vm.expectRevert(_unauthorized());
        bare.setAppImplementation(address(appImpl));
    }

    function test_initializers() public {
        // Implementations and initialised proxies refuse (re)initialisation.
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        appImpl.initialize(address(this), false, false, DEVICE, COMPOSE);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        app.initialize(stranger, false, false, false, DEVICE, COMPOSE);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        kms.initialize(stranger, address(0));

        // The 5-argument initialize, and the zero-owner text.
        DstackApp old = DstackApp(
            address(
                new ERC1967Proxy(
                    address(appImpl),
                    abi.encodeWithSignature(
                        "initialize(address,bool,bool,bytes32,bytes32)", stranger, false, true, bytes32(0), COMPOSE
                    )
                )
            )
        );
        assertEq(old.owner(), stranger, "5-arg owner");
        assertTrue(old.allowAnyDevice(), "5-arg allowAnyDevice");
        assertFalse(old.requireTcbUpToDate(), "5-arg requireTcbUpToDate");
        bytes memory zeroOwner = abi.encodeWithSignature(
            "initialize(address,bool,bool,bool,bytes32,bytes32)", address(0), false, false, false, DEVICE, COMPOSE
        );
        vm.expectRevert(bytes("invalid owner address"));
        new ERC1967Proxy(address(appImpl), zeroOwner);
    }

    // ------------------------------------------------------------------ DstackApp

    /// Every refusal of DstackApp.isAppAllowed, in upstream's order.
    function test_app_isAppAllowed_reasons() public {
        address a = address(app);
        _expect(app, _boot(a, COMPOSE, DEVICE, "OutOfDate"), true, "");
        _expect(app, _boot(a, keccak256("other"), DEVICE, "UpToDate"), false, "Compose hash not allowed");
        _expect(app, _boot(a, COMPOSE, keccak256("dev-2"), "UpToDate"), false, "Device not allowed");
        // Compose is checked before the device.
        _expect(app, _boot(a, keccak256("other"), keccak256("dev-2"), "UpToDate"), false, "Compose hash not allowed");

        app.setAllowAnyDevice(true);
        _expect(app, _boot(a, COMPOSE, keccak256("dev-2"), "UpToDate"), true, "");

        app.setRequireTcbUpToDate(true);
        _expect(app, _boot(a, COMPOSE, DEVICE, "OutOfDate"), false, "TCB status is not up to date");
        _expect(app, _boot(a, COMPOSE, DEVICE, "uptodate"), false, "TCB status is not up to date");
        _expect(app, _boot(a, COMPOSE, DEVICE, ""), false, "TCB status is not up to date");
        _expect(app, _boot(a, COMPOSE, DEVICE, "UpToDate"), true, "");
        // TCB is checked first (upstream order).
        _expect(app, _boot(a, keccak256("other"), DEVICE, "OutOfDate"), false, "TCB status is not up to date");

        app.removeComposeHash(COMPOSE);
        _expect(app, _boot(a, COMPOSE, DEVICE, "UpToDate"), false, "Compose hash not allowed");
        app.addComposeHash(COMPOSE);
        app.setAllowAnyDevice(false);
        app.removeDevice(DEVICE);
        _expect(app, _boot(a, COMPOSE, DEVICE, "UpToDate"), false, "Device not allowed");
        app.addDevice(DEVICE);
        _expect(app, _boot(a, COMPOSE, DEVICE, "UpToDate"), true, "");
    }

    function test_app_events() public {
        vm.expectEmit(false, false, false, true, address(app));
        emit IAppAuthBasicManagement.ComposeHashAdded(keccak256("x"));
        app.addComposeHash(keccak256("x"));
        vm.expectEmit(false, false, false, true, address(app));
        emit IAppAuthBasicManagement.DeviceRemoved(DEVICE);
        app.removeDevice(DEVICE);
        vm.expectEmit(false, false, false, true, address(app));
        emit DstackApp.RequireTcbUpToDateSet(true);
        app.setRequireTcbUpToDate(true);
        vm.expectEmit(false, false, false, true, address(app));
        emit DstackApp.AllowAnyDeviceSet(true);
        app.setAllowAnyDevice(true);
        vm.expectEmit(false, false, false, true, address(app));
        emit DstackApp.UpgradesDisabled();
        app.disableUpgrades();
    }

    function test_app_ownerOnly() public {
        bytes memory err = _unauthorized();
        vm.startPrank(stranger);
        vm.expectRevert(err);
        app.addComposeHash(COMPOSE);
        vm.expectRevert(err);
        app.removeComposeHash(COMPOSE);
        vm.expectRevert(err);
        app.addDevice(DEVICE);
        vm.expectRevert(err);
        app.removeDevice(DEVICE);
        vm.expectRevert(err);
        app.setAllowAnyDevice(true);
        vm.expectRevert(err);
        app.setRequireTcbUpToDate(true);
        vm.expectRevert(err);
        app.disableUpgrades();
        vm.stopPrank();
        assertFalse(app.allowAnyDevice(), "unchanged");
    }

    function test_app_upgrades() public {
        DstackAppV3 v3 = new DstackAppV3();
        vm.prank(stranger);
        vm.expectRevert(_unauthorized());
        app.upgradeToAndCall(address(v3), "");

        app.upgradeToAndCall(address(v3), "");
        assertEq(address(uint160(uint256(vm.load(address(app), IMPL_SLOT)))), address(v3), "upgraded");
        assertEq(DstackAppV3(address(app)).version3(), 3, "new code runs");
        assertTrue(app.allowedComposeHashes(COMPOSE), "state kept across the upgrade");

        app.disableUpgrades();
        DstackAppV3 v4 = new DstackAppV3();
        vm.expectRevert(bytes("Upgrades are permanently disabled"));
        app.upgradeToAndCall(address(v4), "");

        // disableUpgrades at creation time
        DstackApp frozen = DstackApp(kms.deployAndRegisterApp(address(this), true, false, true, bytes32(0), COMPOSE));
        vm.expectRevert(bytes("Upgrades are permanently disabled"));
        frozen.upgradeToAndCall(address(v4), "");
    }

    // ------------------------------------------------------------------ DstackKms

    /// Every refusal of DstackKms.isAppAllowed, in upstream's order, then the app's own.
    function test_kms_isAppAllowed_reasons() public {
        address a = address(app);
        IAppAuth.AppBootInfo memory b = _boot(a, COMPOSE, DEVICE, "UpToDate");
        address unregistered = address(new ERC1967Proxy(address(appImpl), ""));
        _expect(kms, _boot(unregistered, COMPOSE, DEVICE, "UpToDate"), false, "App not registered");
        _expect(kms, b, false, "OS image is not allowed");
        kms.addOsImageHash(OS_IMAGE);
        assertTrue(kms.allowedOsImages(OS_IMAGE), "os allowed");
        _expect(kms, b, true, "");
        _expect(kms, _boot(a, keccak256("other"), DEVICE, "UpToDate"), false, "Compose hash not allowed");
        _expect(kms, _boot(a, COMPOSE, keccak256("d"), "UpToDate"), false, "Device not allowed");
        app.setRequireTcbUpToDate(true);
        _expect(kms, _boot(a, COMPOSE, DEVICE, "OutOfDate"), false, "TCB status is not up to date");

        // Registration is open to anyone; an address without code is refused at boot.
        address eoa = address(0xE0A);
        vm.prank(stranger);
        kms.registerApp(eoa);
        _expect(kms, _boot(eoa, COMPOSE, DEVICE, "UpToDate"), false, "App not deployed or invalid address");
        // Registration is checked before the OS image, the OS image before the code.
        kms.removeOsImageHash(OS_IMAGE);
        _expect(kms, _boot(eoa, COMPOSE, DEVICE, "UpToDate"), false, "OS image is not allowed");
        _expect(kms, _boot(address(0xBEEF), COMPOSE, DEVICE, "UpToDate"), false, "App not registered");

        vm.expectRevert(bytes("Invalid app ID"));
        kms.registerApp(address(0));
    }

    /// Every refusal of DstackKms.isKmsAllowed, in upstream's order.
    function test_kms_isKmsAllowed_reasons() public {
        IAppAuth.AppBootInfo memory b = _boot(address(0), bytes32(0), DEVICE, "UpToDate");
        _expectKms(_boot(address(0), bytes32(0), DEVICE, "OutOfDate"), false, "TCB status is not up to date");
        _expectKms(b, false, "OS image is not allowed");
        kms.addOsImageHash(OS_IMAGE);
        _expectKms(b, false, "Aggregated MR not allowed");
        kms.addKmsAggregatedMr(MR_AGG);
        assertTrue(kms.kmsAllowedAggregatedMrs(MR_AGG), "mr allowed");
        _expectKms(b, false, "KMS is not allowed to boot on this device");
        kms.addKmsDevice(DEVICE);
        assertTrue(kms.kmsAllowedDeviceIds(DEVICE), "device allowed");
        _expectKms(b, true, "");
        _expectKms(_boot(address(0), bytes32(0), DEVICE, "SWHardeningNeeded"), false, "TCB status is not up to date");
        kms.removeKmsDevice(DEVICE);
        _expectKms(b, false, "KMS is not allowed to boot on this device");
        kms.addKmsDevice(DEVICE);
        kms.removeKmsAggregatedMr(MR_AGG);
        _expectKms(b, false, "Aggregated MR not allowed");
    }

    function test_kms_kmsInfoAndRootAddress() public {
        assertEq(kms.kmsRootAddress(), address(0), "unset");
        // vectors.md C: the v0.5.11 simulator root key.
        kms.setKmsInfo(DstackKms.KmsInfo(X.C_ROOT_PUB, hex"3059", hex"0400", hex"5b5d"));
        (bytes memory k256, bytes memory ca, bytes memory quote, bytes memory eventlog) = kms.kmsInfo();
        assertEq(k256, X.C_ROOT_PUB, "k256Pubkey");
        assertEq(ca, hex"3059", "caPubkey");
        assertEq(quote, hex"0400", "quote");
        assertEq(eventlog, hex"5b5d", "eventlog");
        assertEq(kms.kmsRootAddress(), X.C_ROOT, "root address from the anchored key");

        kms.setKmsQuote(hex"0401");
        kms.setKmsEventlog(hex"5b7b7d5d");
        (k256, ca, quote, eventlog) = kms.kmsInfo();
        assertEq(k256, X.C_ROOT_PUB, "k256Pubkey kept");
        assertEq(quote, hex"0401", "quote replaced");
        assertEq(eventlog, hex"5b7b7d5d", "eventlog replaced");

        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 20));
        kms.setKmsInfo(DstackKms.KmsInfo(abi.encodePacked(X.C_ROOT), "", "", ""));
    }

    function test_kms_gatewayAppId() public {
        assertEq(kms.gatewayAppId(), "", "unset");
        vm.expectEmit(false, false, false, true, address(kms));
        emit DstackKms.GatewayAppIdSet("0x1111111111111111111111111111111111111111");
        kms.setGatewayAppId("0x1111111111111111111111111111111111111111");
        assertEq(kms.gatewayAppId(), "0x1111111111111111111111111111111111111111", "set");
    }

    function test_kms_ownerOnly() public {
        bytes memory err = _unauthorized();
        DstackKms next = new DstackKms();
        vm.startPrank(stranger);
        vm.expectRevert(err);
        kms.setKmsInfo(DstackKms.KmsInfo(X.D_ROOT_PUB, "", "", ""));
        vm.expectRevert(err);
        kms.setKmsQuote(hex"00");
        vm.expectRevert(err);
        kms.setKmsEventlog(hex"00");
        vm.expectRevert(err);
        kms.setGatewayAppId("x");
        vm.expectRevert(err);
        kms.addOsImageHash(OS_IMAGE);
        vm.expectRevert(err);
        kms.removeOsImageHash(OS_IMAGE);
        vm.expectRevert(err);
        kms.addKmsAggregatedMr(MR_AGG);
        vm.expectRevert(err);
        kms.removeKmsAggregatedMr(MR_AGG);
        vm.expectRevert(err);
        kms.addKmsDevice(DEVICE);
        vm.expectRevert(err);
        kms.removeKmsDevice(DEVICE);
        vm.expectRevert(err);
        kms.upgradeToAndCall(address(next), "");
        vm.stopPrank();
    }

    function test_kms_upgrade_keepsState() public {
        kms.addOsImageHash(OS_IMAGE);
        DstackKms next = new DstackKms();
        kms.upgradeToAndCall(address(next), "");
        assertEq(address(uint160(uint256(vm.load(address(kms), IMPL_SLOT)))), address(next), "upgraded");
        assertTrue(kms.allowedOsImages(OS_IMAGE), "state kept");
        assertTrue(kms.registeredApps(address(app)), "apps kept");
    }
}
