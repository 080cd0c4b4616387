// tests/js/kmsauth.test.mjs — the official JS SDK (@phala/dstack-sdk) against a simulator
// whose boot the auth api denies (--kms-auth webhook:URL, the KMS's auth-api protocol,
// served here by node's own http server): no key reaches the app — the SDK (0.5.8) passes
// the agent's 400 "Boot denied: <reason>" through as `error` from getTlsKey and the legacy
// TappdClient's deriveKey, while its getKey, which reads `key` without looking at the
// status, rejects — info and getQuote still answer, and once the auth api allows the boot
// the next getKey (a second later) resolves without a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { DstackClient, TappdClient } from '@phala/dstack-sdk';

import { startSimulator, rawRequest } from './simulator.mjs';

let sim, server, allow = false;
const seen = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'POST' && req.url === '/bootAuth/app') {
        seen.push(JSON.parse(body));
        res.end(JSON.stringify(allow ? { isAllowed: true, reason: '', gatewayAppId: '' }
          : { isAllowed: false, reason: 'Compose hash not allowed', gatewayAppId: '' }));
      } else if (req.method === 'GET' && req.url === '/') {
        res.end(JSON.stringify({ status: 'ok', kmsContractAddr: '0x', gatewayAppId: '', chainId: 31337,
          appAuthImplementation: '0x', appImplementation: '0x' }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  sim = await startSimulator(['--config', 'appkeys.json', '--kms-auth',
    `webhook:http://127.0.0.1:${server.address().port}`, '--kms-auth-timeout', '2']);
});

after(async () => {
  const code = sim ? await sim.stop() : 0;
  server?.close();
  assert.equal(code, 0, 'the simulator exits cleanly');
});

test('no key: the SDK sees "Boot denied: <reason>"', async () => {
  const client = new DstackClient(sim.dstackSock);
  const denied = 'Boot denied: Compose hash not allowed';
  // the SDK's getKey decodes result.key of the error body: it rejects, with no key
  await assert.rejects(client.getKey('app/secret'), TypeError);
  const raw = await rawRequest(sim.dstackSock, 'POST', '/GetKey', '{"path":"app/secret"}');
  assert.equal(raw.status, 400);
  assert.deepEqual(JSON.parse(raw.body), { error: denied });
  const tls = await client.getTlsKey();
  assert.equal(tls.error, denied);
  assert.equal(tls.key, undefined);
  const derived = await new TappdClient(sim.tappdSock).deriveKey('app/secret');
  assert.equal(derived.error, denied);
  assert.equal(derived.key, undefined);
  assert.equal(seen.length, 1, 'asked once at start, not again within the second');
  assert.equal(seen[0].composeHash, sim.meta.compose_hash);
  assert.equal(seen[0].appId, sim.meta.app_id);
});

test('info and getQuote still answer while the keys are withheld', async () => {
  const client = new DstackClient(sim.dstackSock);
  const info = await client.info();
  assert.equal(info.app_id, sim.meta.app_id);
  assert.equal(info.mr_aggregated, seen[0].mrAggregated);
  const q = await client.getQuote('00');
  assert.ok(q.quote.length > 1000);
});

test('the auth api allows the boot: the next getKey a second later resolves, no restart', async () => {
  allow = true;
  await new Promise((r) => setTimeout(r, 1100));
  const key = await new DstackClient(sim.dstackSock).getKey('app/secret');
  assert.equal(key.key.length, 32);
  assert.equal(seen.length, 2);
});
