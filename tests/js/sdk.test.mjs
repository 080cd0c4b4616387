// tests/js/sdk.test.mjs — the official JS SDK (@phala/dstack-sdk 0.5.8), unmodified,
// against the simulator: every DstackClient and TappdClient method. Signature chains are
// verified here with @noble/curves + @noble/hashes (an implementation independent of the
// simulator's C code) to the KMS root address the simulator publishes via GetMeta.
// With DSTACK_AGENT_VERSION=0.6.0 the same tests run against a 0.6 agent's frozen v0
// surface: everything passes unchanged but what 0.6 refuses by design (EmitEvent) and the
// status of an unknown method (404 since 0.6.0).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';

import { DstackClient, TappdClient, getComposeHash } from '@phala/dstack-sdk';
import { secp256k1 } from '@noble/curves/secp256k1';
import dcap from '@phala/dcap-qvl';

import { address, chainRoot } from './chain.mjs';
import { startSimulator, rawRequest } from './simulator.mjs';

const hex = (b) => Buffer.from(b).toString('hex');

// rt_mr0..3 of a TDX v4 quote (attestation.md §1).
function quoteRtmrs(quoteHex) {
  const q = Buffer.from(quoteHex, 'hex');
  return [376, 424, 472, 520].map((o) => q.subarray(o, o + 48).toString('hex'));
}

const V06 = process.env.DSTACK_AGENT_VERSION === '0.6.0';
let sim;
before(async () => { sim = await startSimulator(['--config', 'appkeys.json']); });
after(async () => { assert.equal(await sim.stop(), 0); });

describe('DstackClient', () => {
  test('getKey: exact key bytes and a chain that verifies to the published KMS root', async () => {
    const c = new DstackClient(sim.dstackSock);
    assert.equal(sim.meta.mode, 'root');
    for (const [path, purpose] of [['test', 'signing'], ['wallet/ethereum', 'mainnet'], ['', '']]) {
      const k = await c.getKey(path, purpose);
      assert.equal(k.key.length, 32);
      assert.equal(k.signature_chain.length, 2);
      const pub = secp256k1.getPublicKey(k.key, true);
      assert.equal(chainRoot(pub, purpose, k.signature_chain, sim.meta.app_id),
        sim.meta.k256_address.toLowerCase());
    }
    // ed25519 shares the key bytes (the SDK first checks /Version for this)
    const a = await c.getKey('same', 'p', 'secp256k1');
    const b = await c.getKey('same', 'p', 'ed25519');
    assert.equal(hex(a.key), hex(b.key));
  });

  test('the published root is keccak(x||y)[12:] of k256_pubkey (EIP-55 text)', () => {
    const point = secp256k1.ProjectivePoint.fromHex(sim.meta.k256_pubkey);
    assert.equal(address(point), sim.meta.k256_address.toLowerCase());
    assert.match(sim.meta.k256_address, /^0x[0-9a-fA-F]{40}$/);
    assert.notEqual(sim.meta.k256_address, sim.meta.k256_address.toLowerCase());
  });

  test('getQuote: report_data, replayRtmrs() equals the quote RTMRs, dcap-qvl parses it', async () => {
    const c = new DstackClient(sim.dstackSock);
    const q = await c.getQuote('hello');
    assert.equal(q.report_data, hex(Buffer.from('hello')).padEnd(128, '0'));
    assert.deepEqual(q.replayRtmrs(), quoteRtmrs(q.quote));
    const parsed = dcap.Quote.parse(Buffer.from(q.quote, 'hex'));
    assert.equal(parsed.header.version, 4);
    assert.equal(hex(parsed.report.data.reportData), q.report_data);
    assert.equal(hex(parsed.report.data.rtMr3), quoteRtmrs(q.quote)[3]);
    assert.equal(parsed.authData.version, 4);
    JSON.parse(q.vm_config);
    await assert.rejects(c.getQuote(Buffer.alloc(65)), /too large/);
  });

  test('info: fields, tcb_info parsed, compose hash = sha256(app-compose.json)', async () => {
    const c = new DstackClient(sim.dstackSock);
    const info = await c.info();
    assert.deepEqual(Object.keys(info), ['app_id', 'instance_id', 'app_cert', 'tcb_info',
      'app_name', 'device_id', 'mr_aggregated', 'os_image_hash', 'key_provider_info',
      'compose_hash', 'vm_config', 'cloud_vendor', 'cloud_product']);
    assert.ok(info.app_id && info.instance_id);
    for (const r of ['rtmr0', 'rtmr1', 'rtmr2', 'rtmr3']) assert.equal(info.tcb_info[r].length, 96);
    assert.ok(info.tcb_info.event_log.length > 0);
    const composeText = fs.readFileSync('app-compose.json', 'utf8');
    assert.equal(info.tcb_info.app_compose, composeText);
    const sha = crypto.createHash('sha256').update(composeText).digest('hex');
    assert.equal(info.compose_hash, sha);
    assert.equal(info.app_id, sha.slice(0, 40));
  });

  test('getComposeHash agrees only because app-compose.json is stored canonically', async () => {
    const c = new DstackClient(sim.dstackSock);
    const info = await c.info();
    const obj = JSON.parse(info.tcb_info.app_compose);
    assert.equal(getComposeHash(obj), info.compose_hash);
    // The same manifest with its keys in another order: the SDK hash is unchanged, the
    // file hash (what dstack measures) is not.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(obj).reverse()));
    assert.equal(getComposeHash(JSON.parse(reordered)), info.compose_hash);
    assert.notEqual(crypto.createHash('sha256').update(reordered).digest('hex'), info.compose_hash);
  });

  test('emitEvent at 0.6.0: refused by design with 0.6\'s 400, RTMR3 unchanged', { skip: !V06 }, async () => {
    const c = new DstackClient(sim.dstackSock);
    const before = await c.info();
    const r = await rawRequest(sim.dstackSock, 'POST', '/EmitEvent', '{"event":"js","payload":"00"}');
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).error, /^EmitEvent was removed in dstack 0\.6\.0/);
    assert.equal((await c.info()).tcb_info.rtmr3, before.tcb_info.rtmr3);
  });

  test('emitEvent extends RTMR3; later quotes and Info show it; app-id cannot be overridden', { skip: V06 && 'EmitEvent is removed at 0.6.0' }, async () => {
    const c = new DstackClient(sim.dstackSock);
    const before = await c.info();
    await c.emitEvent('js-event', 'payload-bytes');
    await c.emitEvent('app-id', Buffer.alloc(20));
    const after = await c.info();
    assert.notEqual(after.tcb_info.rtmr3, before.tcb_info.rtmr3);
    assert.equal(after.app_id, before.app_id);
    const q = await c.getQuote('x');
    assert.deepEqual(q.replayRtmrs(), quoteRtmrs(q.quote));
    assert.equal(quoteRtmrs(q.quote)[3], after.tcb_info.rtmr3);
    const log = JSON.parse(q.event_log);
    assert.equal(log.at(-2).event, 'js-event');
    assert.equal(log.at(-2).event_payload, hex(Buffer.from('payload-bytes')));
    await assert.rejects(c.emitEvent('', 'x'), /empty/);
  });

  test('getTlsKey: PKCS#8 key, chain [leaf, ca] verifying to the CA, options honoured', async () => {
    const c = new DstackClient(sim.dstackSock);
    const r = await c.getTlsKey({ subject: 'js.example', altNames: ['a.example'], usageRaTls: true,
      usageClientAuth: true, notBefore: 1700000000, notAfter: 1900000000, withAppInfo: true });
    assert.match(r.key, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(r.certificate_chain.length, 2);
    assert.equal(r.asUint8Array(32).length, 32);
    const leaf = new crypto.X509Certificate(r.certificate_chain[0]);
    const ca = new crypto.X509Certificate(r.certificate_chain[1]);
    assert.ok(leaf.verify(ca.publicKey));
    assert.ok(leaf.checkPrivateKey(crypto.createPrivateKey(r.key)));
    assert.match(leaf.subject, /CN=js.example/);
    assert.match(leaf.subjectAltName, /DNS:a.example/);
    assert.equal(new Date(leaf.validFrom).getTime() / 1000, 1700000000);
    assert.equal(new Date(leaf.validTo).getTime() / 1000, 1900000000);
  });

  test('sign / verify: secp256k1, secp256k1_prehashed, ed25519', async () => {
    const c = new DstackClient(sim.dstackSock);
    const vms = await c.getKey('vms', 'signing');
    const s = await c.sign('secp256k1', 'message');
    assert.equal(s.signature.length, 64);
    assert.equal(s.public_key.length, 33);
    const digest = crypto.createHash('sha256').update('message').digest();
    assert.ok(secp256k1.verify(s.signature, digest, s.public_key));
    assert.equal(hex(s.signature_chain[1]), hex(vms.signature_chain[0]));
    assert.equal(hex(s.signature_chain[2]), hex(vms.signature_chain[1]));
    assert.equal(chainRoot(s.public_key, 'signing', s.signature_chain.slice(1), sim.meta.app_id),
      sim.meta.k256_address.toLowerCase());
    assert.equal((await c.verify('secp256k1', 'message', s.signature, s.public_key)).valid, true);
    assert.equal((await c.verify('secp256k1', 'messagf', s.signature, s.public_key)).valid, false);
    const p = await c.sign('secp256k1_prehashed', digest);
    assert.ok(secp256k1.verify(p.signature, digest, p.public_key));
    assert.equal((await c.verify('secp256k1_prehashed', digest, p.signature, p.public_key)).valid, true);
    await assert.rejects(c.sign('secp256k1_prehashed', 'short'), /32-byte digest/);
    const e = await c.sign('ed25519', 'message');
    assert.equal(e.public_key.length, 32);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), e.public_key]);
    const edKey = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    assert.ok(crypto.verify(null, Buffer.from('message'), edKey, e.signature));
    assert.equal((await c.verify('ed25519', 'message', e.signature, e.public_key)).valid, true);
  });

  test('attest, version, isReachable, tdxQuote(raw)', async () => {
    const c = new DstackClient(sim.dstackSock);
    const a = await c.attest('abc');
    assert.equal(a.attestation.slice(0, 4), '0000');
    const v = await c.version();
    assert.equal(v.version, V06 ? '0.6.0' : '0.5.11');
    assert.equal(await c.isReachable(), true);
    const q = await c.tdxQuote('raw-data', 'raw');
    assert.deepEqual(q.replayRtmrs(), quoteRtmrs(q.quote));
  });

  test('DSTACK_SIMULATOR_ENDPOINT selects the simulator for new DstackClient()', async () => {
    const saved = process.env.DSTACK_SIMULATOR_ENDPOINT;
    process.env.DSTACK_SIMULATOR_ENDPOINT = sim.dstackSock;
    try {
      const k = await new DstackClient().getKey('env');
      assert.equal(k.key.length, 32);
    } finally {
      if (saved === undefined) delete process.env.DSTACK_SIMULATOR_ENDPOINT;
      else process.env.DSTACK_SIMULATOR_ENDPOINT = saved;
    }
  });
});

describe('TappdClient', () => {
  test('deriveKey, tdxQuote (hash algorithms), info, isReachable', async () => {
    const t = new TappdClient(sim.tappdSock);
    const d1 = await t.deriveKey('/tls', 'subj', ['x.example']);
    const d2 = await t.deriveKey('/tls', 'subj', ['x.example']);
    assert.equal(d1.key, d2.key);
    assert.equal(d1.certificate_chain.length, 2);
    assert.equal(d1.asUint8Array().length > 32, true);
    const q = await t.tdxQuote('test');
    assert.equal(q.hash_algorithm, 'sha512');
    assert.equal(q.prefix, 'app-data');
    assert.equal(Buffer.from(q.quote, 'hex').subarray(568, 632).toString('hex'),
      crypto.createHash('sha512').update('app-data:test').digest('hex'));
    assert.deepEqual(q.replayRtmrs(), quoteRtmrs(q.quote));
    const k = await t.tdxQuote('test', 'keccak256');
    assert.equal(Buffer.from(k.quote, 'hex').subarray(568, 600).toString('hex'),
      'b877945563d5025eec520b6bb150efcf4c368c491ff1947529be3125d4e5ecb6');
    const raw = await t.tdxQuote('abcd', 'raw'); // hex of the text, left-padded to 64 bytes
    assert.equal(Buffer.from(raw.quote, 'hex').subarray(568, 632).toString('hex'),
      '61626364'.padStart(128, '0'));
    await assert.rejects(t.tdxQuote('x', 'md5'), /invalid hash algorithm/);
    const info = await t.info();
    assert.equal(info.app_id, sim.meta.app_id);
    assert.equal(await t.isReachable(), true);
  });
});

describe('wire behaviour seen by other clients', () => {
  test('errors are JSON; unknown methods say Service not found (400, 404 since 0.6.0)', async () => {
    const r = await rawRequest(sim.dstackSock, 'POST', '/NoSuchMethod', '{}');
    assert.equal(r.status, V06 ? 404 : 400);
    assert.deepEqual(JSON.parse(r.body), { error: 'Service not found: NoSuchMethod' });
    const g = await rawRequest(sim.dstackSock, 'GET', '/GetKey?path=q&purpose=p');
    assert.equal(g.status, 200);
    assert.equal(g.headers['content-type'], 'application/json');
    assert.equal(Number(g.headers['content-length']), Buffer.byteLength(g.body));
  });
});
