// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Vectors as X} from "./utils/Vectors.sol";
import {DstackApp, IAppAuthBasicManagement} from "../src/DstackApp.sol";
import {DstackKms} from "../src/DstackKms.sol";
import {IAppAuth} from "../src/IAppAuth.sol";
import {DstackChainVerifier as V} from "../src/DstackChainVerifier.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice DstackApp / DstackKms: dstack's on-chain KMS governance, reasons and order.
contract DstackGovernanceTest is TestBase {
    DstackApp internal app;
    DstackKms internal kms;
    address internal stranger = address(0x5EED);
    bytes32 internal constant COMPOSE = keccak256("app-compose.json");
    bytes32 internal constant DEVICE = keccak256("device-1");
    bytes32 internal constant OS_IMAGE = keccak256("dstack-0.5.x");

    function setUp() public {
        app = new DstackApp(address(this), false, false, DEVICE, COMPOSE);
        kms = new DstackKms(address(this));
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

    function test_interfaceIds_matchUpstream() public view {
        assertEq(uint256(uint32(type(IAppAuth).interfaceId)), 0x1e079198, "IAppAuth id");
        assertEq(uint256(uint32(type(IAppAuthBasicManagement).interfaceId)), 0x8fd37527, "basic management id");
        assertTrue(app.supportsInterface(0x1e079198), "app: IAppAuth");
        assertTrue(app.supportsInterface(0x8fd37527), "app: management");
        assertTrue(app.supportsInterface(0x01ffc9a7), "app: ERC165");
        assertFalse(app.supportsInterface(0xffffffff), "app: 0xffffffff");
        assertTrue(kms.supportsInterface(0x1e079198), "kms: IAppAuth");
        assertFalse(kms.supportsInterface(0x8fd37527), "kms: no management");
    }

    function test_app_initialState() public view {
        assertEq(app.owner(), address(this), "owner");
        assertTrue(app.allowedComposeHashes(COMPOSE), "initial compose");
        assertTrue(app.allowedDeviceIds(DEVICE), "initial device");
        assertFalse(app.allowAnyDevice(), "allowAnyDevice");
        assertFalse(app.requireTcbUpToDate(), "requireTcbUpToDate");
        assertFalse(app.allowedComposeHashes(bytes32(0)), "zero compose not added");
    }

    function test_app_isAppAllowed_reasons() public {
        address a = address(app);
        _expect(app, _boot(a, COMPOSE, DEVICE, "OutOfDate"), true, "");
        _expect(app, _boot(a, keccak256("other"), DEVICE, "UpToDate"), false, "Compose hash not allowed");
        _expect(app, _boot(a, COMPOSE, keccak256("dev-2"), "UpToDate"), false, "Device not allowed");

        app.setAllowAnyDevice(true);
        _expect(app, _boot(a, COMPOSE, keccak256("dev-2"), "UpToDate"), true, "");

        app.setRequireTcbUpToDate(true);
        _expect(app, _boot(a, COMPOSE, DEVICE, "OutOfDate"), false, "TCB status is not up to date");
        _expect(app, _boot(a, COMPOSE, DEVICE, "uptodate"), false, "TCB status is not up to date");
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
    }

    function test_app_ownerOnly() public {
        bytes memory err = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger);
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
        vm.stopPrank();
        assertFalse(app.allowAnyDevice(), "unchanged");
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

        vm.expectRevert(abi.encodeWithSelector(V.PublicKeyInvalid.selector, 20));
        kms.setKmsInfo(DstackKms.KmsInfo(abi.encodePacked(X.C_ROOT), "", "", ""));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        kms.setKmsInfo(DstackKms.KmsInfo(X.D_ROOT_PUB, "", "", ""));
    }

    /// Delegation order: registered → OS image → contract exists → the app's own decision.
    function test_kms_isAppAllowed_delegates() public {
        address a = address(app);
        IAppAuth.AppBootInfo memory b = _boot(a, COMPOSE, DEVICE, "UpToDate");
        _expect(kms, b, false, "App not registered");
        kms.registerApp(a);
        assertTrue(kms.registeredApps(a), "registered");
        _expect(kms, b, false, "OS image is not allowed");
        kms.addOsImageHash(OS_IMAGE);
        assertTrue(kms.allowedOsImages(OS_IMAGE), "os allowed");
        _expect(kms, b, true, "");
        _expect(kms, _boot(a, keccak256("other"), DEVICE, "UpToDate"), false, "Compose hash not allowed");
        _expect(kms, _boot(a, COMPOSE, keccak256("d"), "UpToDate"), false, "Device not allowed");

        address eoa = address(0xE0A);
        kms.registerApp(eoa);
        _expect(kms, _boot(eoa, COMPOSE, DEVICE, "UpToDate"), false, "App not deployed or invalid address");

        kms.removeOsImageHash(OS_IMAGE);
        _expect(kms, b, false, "OS image is not allowed");
    }

    function test_kms_ownerOnly() public {
        bytes memory err = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger);
        vm.startPrank(stranger);
        vm.expectRevert(err);
        kms.registerApp(address(app));
        vm.expectRevert(err);
        kms.addOsImageHash(OS_IMAGE);
        vm.expectRevert(err);
        kms.removeOsImageHash(OS_IMAGE);
        vm.stopPrank();
        vm.expectRevert(DstackKms.InvalidAppId.selector);
        kms.registerApp(address(0));
    }
}
