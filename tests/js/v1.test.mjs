// tests/js/v1.test.mjs — the dstack 0.6 v1 API (/v1/…) of a simulator at --agent-version
// 0.6.0, checked with an implementation independent of the simulator's C code: the v1
// claim is rebuilt here from guest-api-0.6.md §2.5 with @noble/curves + @noble/hashes, and
// every chain must recover to the KMS root address the simulator publishes (GetMeta). The
// other assertions are those the unreleased 0.6 SDKs' own v1 suites make against a
// simulator (§2.4). The 0.6 SDKs are not on npm, so requests are plain HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { secp256k1 } from '@noble/curves/secp256k1';
import { ed25519 } from '@noble/curves/ed25519';
import { keccak_256 } from '@noble/hashes/sha3';

import { startSimulator, rawRequest } from './simulator.mjs';

const hex = (b) => Buffer.from(b).toString('hex');
const lp = (b) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, Buffer.from(b)]);
};
const v1Claim = (alg, domain, pub) => Buffer.concat([
  lp(Buffer.from('dstack-guest-v1-key-claim')), lp(Buffer.from(alg)), lp(Buffer.from(domain)),
  lp(pub)]);
function recover(digest, sig65) {
  return secp256k1.Signature.fromCompact(sig65.subarray(0, 64)).addRecoveryBit(sig65[64])
    .recoverPublicKey(digest);
}
const address = (p) => '0x' + hex(keccak_256(p.toRawBytes(false).slice(1)).slice(12));

let sim;
before(async () => {
  sim = await startSimulator(['--config', 'appkeys.json', '--agent-version', '0.6.0']);
});
after(async () => { assert.equal(await sim.stop(), 0); });

async function call(path, body) {
  const r = await rawRequest(sim.dstackSock, 'POST', path, JSON.stringify(body));
  return { status: r.status, json: JSON.parse(r.body) };
}

describe('v1 API at --agent-version 0.6.0', () => {
  test('GetKey: public_key matches key; the v1 chain recovers to the published KMS root', async () => {
    const keys = {};
    for (const alg of ['secp256k1', 'ed25519']) {
      for (const domain of ['storage-encryption', 'wallet/eth', '']) {
        const { status, json } = await call('/v1/GetKey', { domain, algorithm: alg });
        assert.equal(status, 200);
        assert.deepEqual(Object.keys(json), ['key', 'public_key', 'signature_chain']);
        const key = Buffer.from(json.key, 'hex');
        const pub = Buffer.from(json.public_key, 'hex');
        assert.equal(key.length, 32);
        assert.equal(hex(pub), hex(alg === 'ed25519' ? ed25519.getPublicKey(key)
          : secp256k1.getPublicKey(key, true)));
        const chain = json.signature_chain.map((h) => Buffer.from(h, 'hex'));
        assert.deepEqual(chain.map((c) => c.length), [65, 65]);
        const app = recover(keccak_256(v1Claim(alg, domain, pub)), chain[0]);
        const kmsMsg = Buffer.concat([Buffer.from('dstack-kms-issued:'),
          Buffer.from(sim.meta.app_id, 'hex'), Buffer.from(app.toRawBytes(true))]);
        assert.equal(address(recover(keccak_256(kmsMsg), chain[1])),
          sim.meta.k256_address.toLowerCase());
        assert.equal(hex(app.toRawBytes(true)), sim.meta.app_pubkey);
        keys[`${alg}/${domain}`] = json.key;
      }
    }
    assert.notEqual(keys['secp256k1/wallet/eth'], keys['ed25519/wallet/eth']);
    const r = await call('/v1/GetKey', { domain: 'x' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'algorithm is required, use `secp256k1` or `ed25519`');
  });

  test('Info: field lengths, app_compose hashes to compose_hash', async () => {
    const { status, json } = await call('/v1/Info', {});
    assert.equal(status, 200);
    const len = (k) => Buffer.from(json[k], 'hex').length;
    assert.equal(len('app_id'), 20);
    assert.equal(len('compose_hash'), 32);
    assert.equal(len('instance_id'), 20);
    assert.equal(len('device_id'), 32);
    assert.ok([0, 32].includes(len('os_image_hash')));
    assert.equal(len('mr_aggregated'), 32);
    assert.ok(json.app_compose.length > 0);
    assert.equal(crypto.createHash('sha256').update(json.app_compose).digest('hex'), json.compose_hash);
  });

  test('IssueCert: a new key each call, a PEM chain', async () => {
    const a = await call('/v1/IssueCert', { subject: 'svc', alt_names: ['svc.local'] });
    const b = await call('/v1/IssueCert', { subject: 'svc' });
    assert.equal(a.status, 200);
    assert.notEqual(a.json.key, b.json.key);
    const cert = new crypto.X509Certificate(a.json.certificate_chain[0]);
    assert.match(cert.subject, /CN=svc/);
    const empty = await call('/v1/IssueCert', { subject: '' });
    assert.equal(new crypto.X509Certificate(empty.json.certificate_chain[0]).subject, 'CN=');
  });

  test('Attest with the GPU flag → []; AttestGpu → 501', async () => {
    const a = await call('/v1/Attest', { report_data: 'ab'.repeat(32), include_boottime_gpu_evidence: true });
    assert.equal(a.status, 200);
    assert.deepEqual(a.json.boottime_gpu_evidence, []);
    assert.ok(a.json.attestation.length > 1000);
    const g = await call('/v1/AttestGpu', { nonce: '00'.repeat(32) });
    assert.equal(g.status, 501);
    assert.match(g.json.error, /GPU attestation is not available/);
  });

  test('Worker v1 on external.sock: Info hides nothing under public_tcbinfo; Health healthy', async () => {
    const i = await rawRequest(sim.externalSock, 'POST', '/prpc/v1/Info', '{}');
    assert.equal(i.status, 200);
    assert.ok(JSON.parse(i.body).app_compose.length > 0);
    assert.match(i.headers['x-app-version'], /^v0\.6\.0 \(/);
    const h = await rawRequest(sim.externalSock, 'POST', '/prpc/v1/Health', '{}');
    assert.deepEqual(JSON.parse(h.body), { healthy: true, unhealthy: [], error: '' });
  });
});
