// tests/js/compat.test.mjs — the SDK against a simulator running upstream's v0.5.11
// appkeys.json verbatim (vector C), and against the --mismatch modes (the chain the SDK
// receives must then NOT verify canonically to the published root).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { DstackClient } from '@phala/dstack-sdk';
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3';

import { startSimulator } from './simulator.mjs';

const hex = (b) => Buffer.from(b).toString('hex');

function canonicalRoot(pub, purpose, chain, appId) {
  try {
    const rec = (d, s) => secp256k1.Signature.fromCompact(s.slice(0, 64)).addRecoveryBit(s[64])
      .recoverPublicKey(d);
    const app = rec(keccak_256(new TextEncoder().encode(`${purpose}:${hex(pub)}`)), chain[0]);
    const msg = Buffer.concat([Buffer.from('dstack-kms-issued:'), Buffer.from(appId, 'hex'),
      Buffer.from(app.toRawBytes(true))]);
    const root = rec(keccak_256(msg), chain[1]);
    return '0x' + hex(keccak_256(root.toRawBytes(false).slice(1)).slice(12));
  } catch {
    return null; // e.g. v = 27 is not a recovery bit
  }
}

test('upstream v0.5.11 keys verbatim: vector C through the SDK', async () => {
  const sim = await startSimulator(['--config', 'fixtures/upstream/simulator-appkeys-v0.5.11.json']);
  try {
    const k = await new DstackClient(sim.dstackSock).getKey('test', 'signing');
    assert.equal(hex(k.key), '133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8');
    assert.equal(hex(k.signature_chain[0]), 'c2ac442934a10d730c14b553e6b93e4db61aa7afa48b7aa51e649841115d6f4160a29b24a87e0ef4c02e37c10b176913f1449ebb41466fccdc44a6ef5d9b247300');
    assert.equal(hex(k.signature_chain[1]), '9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500');
    assert.equal(sim.meta.mode, 'static');
    assert.equal(canonicalRoot(secp256k1.getPublicKey(k.key, true), 'signing', k.signature_chain,
      sim.meta.app_id), '0xa7f6043c29f9cc1d9d6acf554c53e0c6792aaeaf');
  } finally {
    assert.equal(await sim.stop(), 0);
  }
});

for (const mode of ['eip191', 'v27', 'appid32', 'uncompressed', 'wrong-root', 'legacy-v055']) {
  test(`--mismatch ${mode}: GetMeta names it and the chain does not verify`, async () => {
    const sim = await startSimulator(['--config', 'appkeys.json', '--mismatch', mode]);
    try {
      assert.equal(sim.meta.mismatch, mode);
      const k = await new DstackClient(sim.dstackSock).getKey('p', 'signing');
      const root = canonicalRoot(secp256k1.getPublicKey(k.key, true), 'signing',
        k.signature_chain, sim.meta.app_id);
      assert.notEqual(root, sim.meta.k256_address.toLowerCase());
    } finally {
      assert.equal(await sim.stop(), 0);
    }
  });
}
