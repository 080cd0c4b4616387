// dcapqvl.test.mjs — the simulated Intel PKI against an independent verifier:
// @phala/dcap-qvl 0.3.9 (QuoteVerifier.newWithRootCa) must accept build/bin/dstack-pki's
// quotes with its collateral (status as configured) and reject tampered ones, and the C
// verifier (`dstack-pki verify --json`) must reach the same verdict on every case.
// Run: DSTACK_PKI=build/bin/dstack-pki node --test tests/pki/dcapqvl.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const qvl = require('@phala/dcap-qvl');
assert.equal(require('@phala/dcap-qvl/package.json').version, '0.3.9');

const PKI = process.env.DSTACK_PKI || 'build/bin/dstack-pki';
const NOW = 1767225600; // 2026-01-01T00:00:00Z, the suites' fixed "now"
const SEED = '11'.repeat(32);
const OTHER_SEED = '22'.repeat(32);
const STATUSES = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dstack-pki-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function pki(...args) {
  return execFileSync(PKI, args, { encoding: 'utf8' });
}
/** `dstack-pki write` into a fresh directory; returns its path. */
function write(seed, ...opts) {
  const dir = path.join(tmp, `w${n++}`);
  pki('write', '--seed', seed, '--out', dir, ...opts);
  return dir;
}
function quote(seed, ...opts) {
  return Buffer.from(pki('quote', '--seed', seed, ...opts).trim(), 'hex');
}
function readCollateral(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, 'collateral.json'), 'utf8'));
}

/** dcap-qvl's verdict. */
function runQvl(rootDer, q, collateral, now) {
  try {
    const r = qvl.QuoteVerifier.newWithRootCa(rootDer).verify(q, collateral, now);
    return { ok: true, status: r.status, advisories: r.advisory_ids, report: r.report };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}
/** The C verifier's verdict (exit 0 verified, 1 not verified). */
function runC(rootFile, q, collateral, now) {
  const dir = fs.mkdtempSync(path.join(tmp, 'v'));
  const qf = path.join(dir, 'quote.hex');
  const cf = path.join(dir, 'collateral.json');
  fs.writeFileSync(qf, q.toString('hex'));
  fs.writeFileSync(cf, JSON.stringify(collateral));
  const p = spawnSync(PKI, ['verify', '--json', '--now', String(now), '--root', rootFile,
    '--collateral', cf, qf], { encoding: 'utf8' });
  assert.ok(p.status === 0 || p.status === 1, `dstack-pki verify exited ${p.status}: ${p.stderr}`);
  const r = JSON.parse(p.stdout);
  assert.equal(r.ok, p.status === 0);
  return r;
}
/** Both verifiers on one case; asserts they agree and returns both verdicts. */
function both(rootDir, q, collateral, now = NOW) {
  const rootDer = fs.readFileSync(path.join(rootDir, 'root_ca.der'));
  const a = runQvl(rootDer, q, collateral, now);
  const c = runC(path.join(rootDir, 'root_ca.pem'), q, collateral, now);
  assert.equal(c.ok, a.ok, `dcap-qvl ${JSON.stringify(a)} vs C ${JSON.stringify(c.reasons)}`);
  if (a.ok) {
    assert.equal(c.status, a.status);
    assert.deepEqual(c.advisory_ids, a.advisories);
  }
  return { qvl: a, c };
}

const base = write(SEED);
const q = quote(SEED, '--report-data', 'cafe'.repeat(32));

test('accepts the quote, UpToDate, report_data as requested', () => {
  const { qvl: a, c } = both(base, q, readCollateral(base));
  assert.equal(a.ok, true);
  assert.equal(a.status, 'UpToDate');
  assert.equal(Buffer.from(a.report.data.reportData).toString('hex'), 'cafe'.repeat(32));
  assert.equal(c.report.report_data, 'cafe'.repeat(32));
  assert.equal(c.pck.fmspc, '00806f050000');
});

test('accepts it at the real current date too', () => {
  const { qvl: a } = both(base, q, readCollateral(base), Math.floor(Date.now() / 1000));
  assert.equal(a.ok, true);
});

for (const status of STATUSES) {
  test(`TCB status ${status} is reported as configured`, () => {
    const dir = write(SEED, '--tcb-status', status);
    const { qvl: a, c } = both(dir, q, readCollateral(dir));
    assert.equal(c.status, status);
    if (status === 'Revoked') {
      assert.equal(a.ok, false);
      assert.equal(a.error, 'TCB status is invalid: Revoked');
    } else {
      assert.equal(a.ok, true);
      assert.equal(a.status, status);
      assert.deepEqual(a.advisories, status === 'UpToDate' ? [] : ['DSTACK-SIM-SA-00001']);
    }
  });
}

test('QE identity status merges with the platform status (worse wins)', () => {
  const dir = write(SEED, '--tcb-status', 'SWHardeningNeeded', '--qe-tcb-status', 'OutOfDate');
  const { qvl: a } = both(dir, q, readCollateral(dir));
  assert.equal(a.status, 'OutOfDate');
});

function flipped(buf, off) {
  const b = Buffer.from(buf);
  b[off] ^= 1;
  return b;
}

test('rejects a flipped report_data byte', () => {
  const { qvl: a, c } = both(base, flipped(q, 568 + 7), readCollateral(base));
  assert.equal(a.ok, false);
  assert.equal(a.error, 'ISV enclave report signature is invalid');
  assert.deepEqual(c.reasons, ['quote_signature: quote is not signed by its attestation key']);
});

test('rejects a flipped quote signature byte', () => {
  const { qvl: a } = both(base, flipped(q, 636 + 3), readCollateral(base));
  assert.equal(a.ok, false);
  assert.equal(a.error, 'ISV enclave report signature is invalid');
});

test('rejects a flipped QE report signature byte', () => {
  const { qvl: a, c } = both(base, flipped(q, 770 + 384 + 9), readCollateral(base));
  assert.equal(a.ok, false);
  assert.equal(a.error, 'Signature is invalid for qe_report in quote');
  assert.deepEqual(c.reasons, ['qe_report_signature: QE report is not signed by the PCK key']);
});

test("rejects a quote under another seed's root", () => {
  const other = write(OTHER_SEED);
  const { qvl: a } = both(other, q, readCollateral(other));
  assert.equal(a.ok, false);
  assert.match(a.error, /Failed to verify certificate chain/);
  // and this seed's quote with this seed's collateral under the other root
  assert.equal(both(other, q, readCollateral(base)).qvl.ok, false);
});

test('rejects a debug TD', () => {
  const dbg = quote(SEED, '--td-attributes', '0100001000000000');
  const { qvl: a, c } = both(base, dbg, readCollateral(base));
  assert.equal(a.ok, false);
  assert.equal(a.error, 'Debug mode is enabled');
  assert.deepEqual(c.reasons, ['td_attributes: debug TD (TUD byte 0 = 0x01)']);
});

test('rejects a TD without SEPT_VE_DISABLE', () => {
  const t = quote(SEED, '--td-attributes', '0000000000000000');
  assert.equal(both(base, t, readCollateral(base)).qvl.error, 'SEPT_VE_DISABLE is not enabled');
});

test('rejects a revoked PCK certificate', () => {
  const dir = write(SEED, '--revoke', 'pck');
  const { qvl: a, c } = both(dir, q, readCollateral(dir));
  assert.equal(a.error, 'Certificate is revoked');
  assert.deepEqual(c.reasons, ['pck_chain: certificate revoked (depth 0)']);
});

test('rejects a revoked TCB signer', () => {
  const dir = write(SEED, '--revoke', 'tcb-signer');
  assert.equal(both(dir, q, readCollateral(dir)).qvl.error, 'Certificate is revoked');
});

test('rejects expired certificates', () => {
  const dir = write(SEED, '--not-after', '2030-01-01T00:00:00Z');
  assert.equal(both(dir, q, readCollateral(dir), 1893456000 - 1).qvl.ok, true);
  const { qvl: a, c } = both(dir, q, readCollateral(dir), 1924992000);
  assert.equal(a.error, 'Certificate is expired or not yet valid');
  assert.ok(c.reasons.includes('pck_chain: certificate has expired (depth 2)'));
});

test('rejects expired TCB info', () => {
  const dir = write(SEED, '--next-update', '2030-01-01T00:00:00Z');
  const { qvl: a } = both(dir, q, readCollateral(dir), 1924992000);
  assert.equal(a.error, 'TCBInfo expired');
});

test('rejects a tampered TCB info signature', () => {
  const col = readCollateral(base);
  col.tcb_info_signature = (col.tcb_info_signature[0] === '0' ? '1' : '0') +
    col.tcb_info_signature.slice(1);
  const { qvl: a, c } = both(base, q, col);
  assert.equal(a.error, 'Signature is invalid for tcb_info');
  assert.deepEqual(c.reasons, ['tcb_info_signature: signature does not verify']);
});

test('rejects a QE identity with another mrsigner (the signature no longer covers it)', () => {
  const col = readCollateral(base);
  col.qe_identity = col.qe_identity.replace('"mrsigner":"DC9E', '"mrsigner":"DC9F');
  const { qvl: a } = both(base, q, col);
  assert.equal(a.error, 'Signature is invalid for qe_identity');
});

test('PCS-shaped files reassemble into collateral the way dcap-qvl getCollateral does', () => {
  const pcs = (f, enc = 'utf8') => fs.readFileSync(path.join(base, 'pcs', f), enc);
  const tcb = JSON.parse(pcs('tcb.json'));
  const qe = JSON.parse(pcs('qe_identity.json'));
  const col = readCollateral(base);
  // Compact JSON survives parse + stringify byte for byte, so the signature still holds.
  assert.equal(JSON.stringify(tcb.tcbInfo), col.tcb_info);
  assert.equal(JSON.stringify(qe.enclaveIdentity), col.qe_identity);
  const rebuilt = {
    pck_crl_issuer_chain: pcs('pckcrl.issuer-chain.pem'),
    root_ca_crl: Array.from(Buffer.from(pcs('rootcacrl'), 'hex')),
    pck_crl: Array.from(pcs('pckcrl.der', null)),
    tcb_info_issuer_chain: pcs('tcb.issuer-chain.pem'),
    tcb_info: JSON.stringify(tcb.tcbInfo),
    tcb_info_signature: Array.from(Buffer.from(tcb.signature, 'hex')),
    qe_identity_issuer_chain: pcs('qe_identity.issuer-chain.pem'),
    qe_identity: JSON.stringify(qe.enclaveIdentity),
    qe_identity_signature: Array.from(Buffer.from(qe.signature, 'hex')),
  };
  const { qvl: a } = both(base, q, rebuilt);
  assert.equal(a.status, 'UpToDate');
});

test('the same seed gives byte-identical files and quotes; another seed does not', () => {
  const again = write(SEED);
  for (const f of ['root_ca.der', 'root_ca.pem', 'pck_chain.pem', 'collateral.json',
    'pcs/tcb.json', 'pcs/qe_identity.json', 'pcs/pckcrl.der', 'pcs/rootcacrl']) {
    assert.deepEqual(fs.readFileSync(path.join(again, f)), fs.readFileSync(path.join(base, f)), f);
  }
  assert.deepEqual(quote(SEED, '--report-data', 'cafe'.repeat(32)), q);
  const other = write(OTHER_SEED);
  assert.notDeepEqual(fs.readFileSync(path.join(other, 'root_ca.der')),
    fs.readFileSync(path.join(base, 'root_ca.der')));
});

/** An HTTP server answering every request with `dstack-pki pcs --seed SEED <url>`. */
async function pcsServer(seed, ...opts) {
  const server = http.createServer((req, res) => {
    const out = spawnSync(PKI, ['pcs', '--seed', seed, ...opts, req.url]);
    const sep = out.stdout.indexOf('\r\n\r\n');
    const head = out.stdout.subarray(0, sep).toString('latin1').split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers = Object.fromEntries(head.slice(1).map((l) => {
      const i = l.indexOf(': ');
      return [l.slice(0, i), l.slice(i + 2)];
    }));
    res.writeHead(status, headers);
    res.end(out.stdout.subarray(sep + 4));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return server;
}

test("dcap-qvl's getCollateral fetches working collateral from the PCS handler", async () => {
  const server = await pcsServer(SEED, '--tcb-status', 'OutOfDate');
  try {
    const url = `http://127.0.0.1:${server.address().port}`;
    const col = await qvl.getCollateral(url, q);
    const written = readCollateral(write(SEED, '--tcb-status', 'OutOfDate'));
    assert.equal(col.tcb_info, written.tcb_info);
    assert.equal(col.qe_identity, written.qe_identity);
    assert.equal(col.tcb_info_issuer_chain, written.tcb_info_issuer_chain);
    assert.equal(Buffer.from(col.pck_crl).toString('hex'), written.pck_crl);
    assert.equal(Buffer.from(col.root_ca_crl).toString('hex'), written.root_ca_crl);
    const { qvl: a } = both(base, q, col);
    assert.equal(a.status, 'OutOfDate');
    // An FMSPC the simulated platform does not have is a 404, which getCollateral reports.
    const r = await fetch(`${url}/tdx/certification/v4/tcb?fmspc=00906ED50000`);
    assert.equal(r.status, 404);
  } finally {
    server.close();
  }
});
