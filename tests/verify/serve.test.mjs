// serve.test.mjs — `dstack-verify serve` against real simulators, speaking upstream
// dstack-verifier's API (dstack-verifier-api.md §2-§8): simulator evidence (GetQuote and
// Attest replies posted unchanged) passes all three stages with app_info equal to what Info
// and the event log say; each tampering fails at its stage with upstream's reason prefix;
// /health, 404 and upstream's statuses for malformed bodies.
// Run: DSTACK_VERIFY=build/bin/dstack-verify node --test tests/verify/serve.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const VERIFY = process.env.DSTACK_VERIFY || 'build/bin/dstack-verify';
const SIM = process.env.DSTACK_SIMULATOR_BIN || 'build/bin/dstack-simulator';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dstack-verify-serve-'));
const procs = [];

function startSim(name, ...args) {
  const sock = path.join(tmp, `${name}.sock`);
  const p = spawn(SIM, ['--config', 'appkeys.json', '--compose', 'app-compose.json',
    '--dstack-sock', sock, '--tappd-sock', '', '--no-stats', '--workers', '1', ...args],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  return sock;
}
async function waitFor(file) {
  for (let i = 0; i < 200 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(fs.existsSync(file), `${file} never appeared`);
}
/** Starts `dstack-verify serve …` on a free loopback port; resolves to its base URL. */
function startServe(...args) {
  const p = spawn(VERIFY, ['serve', '--listen', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    p.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}
function request(base, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(base + p, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
function sockCall(sock, method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: `/${method}`, method: 'POST',
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
async function verify(base, body) {
  const r = await request(base, 'POST', '/verify', typeof body === 'string' ? body : JSON.stringify(body));
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /application\/json/);
  return JSON.parse(r.text);
}
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const KEYS = ['is_valid', 'details', 'reason'];
const DETAIL_KEYS = ['quote_verified', 'event_log_verified', 'os_image_hash_verified',
  'report_data', 'tcb_status', 'advisory_ids', 'app_info'];
const APP_KEYS = ['app_id', 'compose_hash', 'instance_id', 'device_id', 'mr_system',
  'mr_aggregated', 'os_image_hash', 'key_provider_info'];
function assertFailedAt(r, stage, prefix) {
  assert.deepEqual(Object.keys(r), KEYS);
  assert.deepEqual(Object.keys(r.details), DETAIL_KEYS);
  assert.equal(r.is_valid, false);
  assert.equal(r.details.quote_verified, stage !== 'quote');
  assert.equal(r.details.os_image_hash_verified, false);
  assert.equal(r.details.event_log_verified, false);
  assert.equal(r.details.app_info, null);
  if (stage === 'quote') assert.equal(r.details.report_data, null);
  else assert.match(r.details.report_data, /^[0-9a-f]{128}$/);
  assert.ok(r.reason.startsWith(prefix), r.reason);
}

let sock, other, pki, otherPki, base, fileBase, badImageBase, foreignBase, quote, info;

before(async () => {
  sock = startSim('main');
  other = startSim('other', '--quote-key-seed', '77'.repeat(32));
  pki = path.join(tmp, 'pki');
  otherPki = path.join(tmp, 'pki-other');
  execFileSync(SIM, ['--config', 'appkeys.json', '--compose', 'app-compose.json', '--write-pki', pki], { stdio: 'ignore' });
  execFileSync(SIM, ['--config', 'appkeys.json', '--compose', 'app-compose.json', '--quote-key-seed',
    '77'.repeat(32), '--write-pki', otherPki], { stdio: 'ignore' });
  // an image cache whose measurement for this VM config has a different RTMR0
  const bad = path.join(tmp, 'bad-cache');
  fs.cpSync(pki, bad, { recursive: true });
  const mdir = path.join(bad, 'measurements');
  const mfile = path.join(mdir, fs.readdirSync(mdir)[0]);
  const doc = JSON.parse(fs.readFileSync(mfile, 'utf8'));
  doc.measurements.rtmr0 = 'ff' + doc.measurements.rtmr0.slice(2);
  fs.writeFileSync(mfile, JSON.stringify(doc));
  await waitFor(sock);
  await waitFor(other);
  base = await startServe('--endpoint', sock);
  fileBase = await startServe('--root', path.join(pki, 'root_ca.pem'), '--collateral',
    path.join(pki, 'collateral.json'), '--image-cache', pki);
  badImageBase = await startServe('--root', path.join(pki, 'root_ca.der'), '--collateral',
    path.join(pki, 'collateral.json'), '--image-cache', bad);
  foreignBase = await startServe('--endpoint', other);
  quote = JSON.parse(await sockCall(sock, 'GetQuote', { report_data: 'c0ffee' }));
  info = JSON.parse(await sockCall(sock, 'Info', {}));
});

after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('GetQuote evidence posted unchanged: all three stages, app_info = Info and the event log', async () => {
  for (const b of [base, fileBase]) {
    const r = await verify(b, quote);
    assert.deepEqual(Object.keys(r), KEYS);
    assert.deepEqual(Object.keys(r.details), DETAIL_KEYS);
    assert.equal(r.reason, null, r.reason);
    assert.equal(r.is_valid, true);
    assert.equal(r.details.quote_verified, true);
    assert.equal(r.details.event_log_verified, true);
    assert.equal(r.details.os_image_hash_verified, true);
    assert.equal(r.details.report_data, 'c0ffee'.padEnd(128, '0'));
    assert.equal(r.details.tcb_status, 'UpToDate');
    assert.deepEqual(r.details.advisory_ids, []);
    const a = r.details.app_info;
    assert.deepEqual(Object.keys(a), APP_KEYS);
    assert.equal(a.app_id, info.app_id);
    assert.equal(a.compose_hash, info.compose_hash);
    assert.equal(a.instance_id, info.instance_id);
    assert.equal(a.mr_aggregated, info.mr_aggregated);
    assert.equal(a.os_image_hash, info.os_image_hash);
    assert.equal(a.key_provider_info, Buffer.from(info.key_provider_info).toString('hex'));
    // device_id = SHA-256(PPID of the quote's PCK certificate): the OCTET STRING after the
    // PPID OID 1.2.840.113741.1.13.1.1 in the leaf's SGX extension
    const q = Buffer.from(quote.quote, 'hex');
    const pem = q.subarray(q.indexOf('-----BEGIN CERTIFICATE-----')).toString('latin1');
    const leaf = new crypto.X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
    const oid = Buffer.from('060a2a864886f84d010d01010410', 'hex');
    const at = leaf.raw.indexOf(oid);
    assert.ok(at > 0, 'PPID not found in the PCK certificate');
    const ppid = leaf.raw.subarray(at + oid.length, at + oid.length + 16);
    assert.equal(a.device_id, sha256(ppid).toString('hex'));
    // mr_system = SHA-256(mrtd ‖ rtmr0 ‖ rtmr1 ‖ rtmr2 ‖ SHA-256(key-provider payload))
    const tcb = JSON.parse(info.tcb_info);
    const kp = JSON.parse(quote.event_log).find((e) => e.event === 'key-provider');
    const sys = sha256(Buffer.concat([tcb.mrtd, tcb.rtmr0, tcb.rtmr1, tcb.rtmr2].map((h) => Buffer.from(h, 'hex'))
      .concat([sha256(Buffer.from(kp.event_payload, 'hex'))])));
    assert.equal(a.mr_system, sys.toString('hex'));
  }
});

test('Attest evidence (V0 attestation) posted unchanged verifies', async () => {
  const att = JSON.parse(await sockCall(sock, 'Attest', { report_data: 'ab' }));
  const r = await verify(base, att);
  assert.equal(r.is_valid, true, r.reason);
  assert.equal(r.details.report_data, 'ab'.padEnd(128, '0'));
  assert.equal(r.details.app_info.compose_hash, info.compose_hash);
});

test('a flipped report_data byte fails the quote stage', async () => {
  const q = Buffer.from(quote.quote, 'hex');
  q[48 + 520] ^= 1; // report_data starts at body offset 520
  const r = await verify(base, { ...quote, quote: q.toString('hex') });
  assertFailedAt(r, 'quote', 'Quote verification failed: ');
  assert.equal(r.reason, 'Quote verification failed: Failed to get collateral: ISV enclave report signature is invalid');
});

test('evidence under a foreign root fails the quote stage', async () => {
  const r = await verify(foreignBase, quote);
  assertFailedAt(r, 'quote', 'Quote verification failed: Failed to get collateral: ');
  const theirs = JSON.parse(await sockCall(other, 'GetQuote', { report_data: '01' }));
  assert.equal((await verify(foreignBase, theirs)).is_valid, true); // its own evidence passes
});

test('an RTMR3 that does not replay fails the quote stage', async () => {
  const log = JSON.parse(quote.event_log);
  const i = log.findIndex((e) => e.event === 'compose-hash');
  log[i].event_payload = 'ff' + log[i].event_payload.slice(2);
  const r = await verify(base, { ...quote, event_log: JSON.stringify(log) });
  assertFailedAt(r, 'quote', 'Quote verification failed: RTMR3 mismatch, quoted: ');
});

test('a wrong or missing image measurement fails the OS-image stage', async () => {
  let r = await verify(badImageBase, quote);
  assertFailedAt(r, 'image', 'OS image hash verification failed: MRs do not match: RTMR0 mismatch: expected=ff');
  assert.equal(r.details.tcb_status, 'UpToDate');
  const vm = JSON.parse(quote.vm_config);
  vm.cpu_count += 1; // another VM shape: no measurements published for it
  r = await verify(fileBase, { ...quote, vm_config: JSON.stringify(vm) });
  assertFailedAt(r, 'image', 'OS image hash verification failed: Failed to compute expected measurements: ');
  vm.os_image_hash = '00'.repeat(32);
  r = await verify(base, { ...quote, vm_config: JSON.stringify(vm) });
  assertFailedAt(r, 'image', 'OS image hash verification failed: Failed to compute expected measurements: Failed to download image ');
});

test('GET /health, 404 elsewhere', async () => {
  const h = await request(base, 'GET', '/health');
  assert.equal(h.status, 200);
  assert.deepEqual(JSON.parse(h.text), { status: 'ok', service: 'dstack-verifier' });
  for (const [m, p] of [['GET', '/verify'], ['POST', '/health'], ['GET', '/'], ['DELETE', '/verify']]) {
    const r = await request(base, m, p, m === 'POST' ? '{}' : undefined);
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.equal(JSON.parse(r.text).error.code, 404);
  }
});

test('malformed bodies get upstream statuses; decodable ones 200 with an Internal error', async () => {
  const cases = [
    ['', 400], ['{', 400], ['{"quote":"00"', 400], [Buffer.from([0x7b, 0xff, 0x7d]), 400],
    ['['.repeat(200) + ']'.repeat(200), 400],
    ['[]', 422], ['"x"', 422], ['{"quote":"0x00"}', 422], ['{"quote":"abc"}', 422],
    ['{"quote":"zz"}', 422], ['{"quote":5}', 422], ['{"event_log":[]}', 422],
    ['{"vm_config":{}}', 422], ['{"debug":1}', 422], ['{"attestation":7}', 422],
    ['{"quote":"00","quote":"00"}', 422],
  ];
  for (const [body, status] of cases) {
    const r = await request(base, 'POST', '/verify', body, { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, status, `${body.toString().slice(0, 40)} → ${r.status} ${r.text}`);
    assert.equal(JSON.parse(r.text).error.code, status);
  }
  // over 1 MiB: refused from the declared length alone (the server answers and closes
  // without reading the body, so only the head is sent)
  const big = await new Promise((resolve, reject) => {
    const u = new URL(base);
    const c = net.connect(+u.port, u.hostname, () => c.write(
      `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: ${(1 << 20) + 10}\r\n\r\n{`));
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
  assert.match(big, /^HTTP\/1\.1 413 /);
  const want = [
    [{}, 'Internal error: Quote is required'],
    [{ quote: quote.quote }, 'Internal error: Event log is required'],
    [{ quote: '00', event_log: '[]', vm_config: '{}' }, 'Internal error: Failed to create attestation'],
    [{ attestation: '0102' }, 'Internal error: Failed to decode attestaion'],
  ];
  for (const [body, reason] of want) {
    const r = await verify(base, body);
    assert.equal(r.reason, reason);
    assert.equal(r.details.quote_verified, false);
  }
  // the service is still there and still right
  assert.equal((await verify(base, quote)).is_valid, true);
});
