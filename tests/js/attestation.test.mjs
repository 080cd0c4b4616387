// tests/js/attestation.test.mjs — the simulator's quotes against an independent verifier:
// @phala/dcap-qvl 0.3.9 verifies quotes taken over the socket (GetQuote, Tappd TdxQuote, the
// RA-TLS certificate, after EmitEvent) with the root CA and the collateral the simulator
// itself publishes (PCS v4 endpoints on its TCP listener, /sim/pki/…, --write-pki), reports
// the configured TCB status, and rejects tampering. The C verifier (dstack-pki verify)
// must agree. --quote-mode upstream must reproduce upstream's canned output byte for byte.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DstackClient, TappdClient } from '@phala/dstack-sdk';
import qvl from '@phala/dcap-qvl';

import { startSimulator, rawRequest } from './simulator.mjs';

const PKI = process.env.DSTACK_PKI || 'build/bin/dstack-pki';
const SIM = process.env.DSTACK_SIMULATOR_BIN || 'build/bin/dstack-simulator';
const now = () => Math.floor(Date.now() / 1000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsattest-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tcpBase(sim) {
  const m = /dstack TCP\s+http:\/\/\S+ \(port (\d+)\)/.exec(sim.output());
  assert.ok(m, `no TCP port in the banner:\n${sim.output()}`);
  return `http://127.0.0.1:${m[1]}`;
}

async function published(base) {
  const root = Buffer.from(await (await fetch(`${base}/sim/pki/root.der`)).arrayBuffer());
  const collateral = await (await fetch(`${base}/sim/pki/collateral.json`)).json();
  return { root, collateral };
}

function dcapVerify(root, quote, collateral) {
  try {
    const r = qvl.QuoteVerifier.newWithRootCa(root).verify(quote, collateral, now());
    return { ok: true, status: r.status, report: r.report };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

// The C verifier's verdict on the same inputs.
function cVerify(root, quote, collateral) {
  const d = fs.mkdtempSync(path.join(tmp, 'c'));
  fs.writeFileSync(path.join(d, 'root.der'), root);
  fs.writeFileSync(path.join(d, 'q.hex'), quote.toString('hex'));
  fs.writeFileSync(path.join(d, 'col.json'), JSON.stringify(collateral));
  const r = spawnSync(PKI, ['verify', '--json', '--root', path.join(d, 'root.der'),
    '--collateral', path.join(d, 'col.json'), path.join(d, 'q.hex')], { encoding: 'utf8' });
  const out = JSON.parse(r.stdout);
  return { ok: r.status === 0 && out.ok === true, status: out.status };
}

function bothAccept(root, quote, collateral, status) {
  const a = dcapVerify(root, quote, collateral);
  const c = cVerify(root, quote, collateral);
  assert.equal(a.ok, true, `dcap-qvl rejected: ${a.error}`);
  assert.equal(a.status, status);
  assert.deepEqual(c, { ok: true, status });
  return a;
}

function bothReject(root, quote, collateral) {
  assert.equal(dcapVerify(root, quote, collateral).ok, false);
  assert.equal(cVerify(root, quote, collateral).ok, false);
}

describe('simulator quotes verify under its published PKI', () => {
  let sim, base, pub, client;
  before(async () => {
    sim = await startSimulator(['--config', 'appkeys.json', '--listen', '127.0.0.1:0']);
    base = tcpBase(sim);
    pub = await published(base);
    client = new DstackClient(sim.dstackSock);
  });
  after(async () => { await sim.stop(); });

  test('GetQuote: dcap-qvl and the C verifier accept it with PCS-fetched collateral', async () => {
    const rd = crypto.randomBytes(64);
    const q = await client.getQuote(rd);
    const quote = Buffer.from(q.quote, 'hex');
    // Collateral the way a collateral-fetching verifier gets it: from the PCS endpoints.
    const fetched = await qvl.getCollateral(base, quote);
    assert.equal(fetched.tcb_info, pub.collateral.tcb_info);
    assert.equal(fetched.qe_identity, pub.collateral.qe_identity);
    const r = bothAccept(pub.root, quote, fetched, 'UpToDate');
    assert.equal(Buffer.from(r.report.data.reportData).toString('hex'), rd.toString('hex'));
    bothAccept(pub.root, quote, pub.collateral, 'UpToDate');
  });

  test('tampering is caught: report_data, quote signature, QE report, another root', async () => {
    const quote = Buffer.from((await client.getQuote('fresh-nonce')).quote, 'hex');
    for (const off of [600, 640, 700, 800]) { // report_data, signature, att key, QE report
      const t = Buffer.from(quote);
      t[off] ^= 1;
      bothReject(pub.root, t, pub.collateral);
    }
    const other = await startSimulator(['--config', 'appkeys.json', '--listen', '127.0.0.1:0']);
    try {
      // Another simulator with the same config has the same PKI (deterministic) ...
      const same = await published(tcpBase(other));
      assert.deepEqual(same.root, pub.root);
    } finally {
      await other.stop();
    }
    const seeded = await startSimulator(['--config', 'appkeys.json', '--listen', '127.0.0.1:0',
      '--quote-key-seed', '42'.repeat(32)]);
    try { // ... another PKI seed gives a different root, which must not verify ours.
      const diff = await published(tcpBase(seeded));
      assert.notDeepEqual(diff.root, pub.root);
      bothReject(diff.root, quote, diff.collateral);
    } finally {
      await seeded.stop();
    }
  });

  test('after EmitEvent the quote still verifies and RTMR3 equals the event-log replay', async () => {
    await client.emitEvent('attest-test', 'one');
    await client.emitEvent('attest-test', 'two');
    const q = await client.getQuote('after-events');
    const quote = Buffer.from(q.quote, 'hex');
    const r = bothAccept(pub.root, quote, pub.collateral, 'UpToDate');
    const rtmrs = q.replayRtmrs();
    assert.equal(Buffer.from(r.report.data.rtMr3).toString('hex'), rtmrs[3]);
    const events = JSON.parse(q.event_log).filter((e) => e.event === 'attest-test');
    assert.equal(events.length, 2);
  });

  test('Tappd TdxQuote, Attest and the RA-TLS certificate carry verifying quotes', async () => {
    const tappd = new TappdClient(sim.tappdSock);
    const t = await tappd.tdxQuote('hello', 'sha256');
    const tq = Buffer.from(t.quote, 'hex');
    bothAccept(pub.root, tq, pub.collateral, 'UpToDate');
    const want = crypto.createHash('sha256').update('app-data:hello').digest();
    assert.equal(tq.subarray(568, 600).toString('hex'), want.toString('hex'));

    const att = await rawRequest(sim.dstackSock, 'POST', '/Attest', '{"report_data":"abcd"}');
    const hexAtt = JSON.parse(att.body).attestation;
    const quoteStart = hexAtt.indexOf('040002008100');
    assert.ok(quoteStart > 0, 'no TDX v4 quote inside the attestation');
    const aq = Buffer.from(hexAtt.slice(quoteStart), 'hex');
    const len = qvl.Quote.parse(aq) && 632 + 4 + aq.readUInt32LE(632);
    bothAccept(pub.root, aq.subarray(0, len), pub.collateral, 'UpToDate');

    const tls = await client.getTlsKey({ subject: 'ra', usageRaTls: true });
    const cert = new crypto.X509Certificate(tls.certificate_chain[0]);
    const der = cert.raw;
    const oid = Buffer.from('060a2b0601040183e73d0108', 'hex'); // 1.3.6.1.4.1.62397.1.8 (DER)
    assert.ok(der.indexOf(oid) > 0, 'RA-TLS extension missing');
    const certQuoteAt = der.indexOf(Buffer.from('040002008100', 'hex'), der.indexOf(oid));
    const cq = der.subarray(certQuoteAt);
    bothAccept(pub.root, cq.subarray(0, 632 + 4 + cq.readUInt32LE(632)), pub.collateral, 'UpToDate');
  });

  test('PCS endpoints answer like Intel PCS v4, and refuse what they do not serve', async () => {
    const tcb = await fetch(`${base}/tdx/certification/v4/tcb?fmspc=00806F050000`);
    assert.equal(tcb.status, 200);
    assert.match(decodeURIComponent(tcb.headers.get('tcb-info-issuer-chain')), /BEGIN CERTIFICATE/);
    const body = await tcb.json();
    assert.equal(body.tcbInfo.id, 'TDX');
    assert.equal((await fetch(`${base}/tdx/certification/v4/tcb?fmspc=zz`)).status, 400);
    assert.equal((await fetch(`${base}/sgx/certification/v4/rootcacrl`)).status, 200);
    const bad = await fetch(`${base}/sim/pki/nope`);
    assert.equal(bad.status, 404);
    assert.match((await bad.json()).error, /unknown PKI path/);
    // The same endpoints answer on the Unix socket.
    const pem = await rawRequest(sim.dstackSock, 'GET', '/sim/pki/root.pem');
    assert.equal(pem.status, 200);
    assert.equal(new crypto.X509Certificate(pem.body).raw.toString('hex'), pub.root.toString('hex'));
  });
});

describe('TCB status, --write-pki and the upstream quote mode', () => {
  test('--tcb-status OutOfDate is what both verifiers report', async () => {
    const sim = await startSimulator(['--config', 'appkeys.json', '--listen', '127.0.0.1:0',
      '--tcb-status', 'OutOfDate']);
    try {
      const pub = await published(tcpBase(sim));
      const quote = Buffer.from((await new DstackClient(sim.dstackSock).getQuote('x')).quote, 'hex');
      bothAccept(pub.root, quote, pub.collateral, 'OutOfDate');
      // Revoked is refused outright by both.
    } finally {
      await sim.stop();
    }
    const rev = await startSimulator(['--config', 'appkeys.json', '--listen', '127.0.0.1:0',
      '--tcb-status', 'Revoked']);
    try {
      const pub = await published(tcpBase(rev));
      const quote = Buffer.from((await new DstackClient(rev.dstackSock).getQuote('x')).quote, 'hex');
      bothReject(pub.root, quote, pub.collateral);
    } finally {
      await rev.stop();
    }
    const bad = spawnSync(SIM, ['--config', 'appkeys.json', '--tcb-status', 'Great'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--tcb-status: unknown status "Great"/);
  });

  test('--write-pki writes a root and collateral that verify the socket quotes', async () => {
    const dir = path.join(tmp, 'pki-out');
    const out = execFileSync(SIM, ['--config', 'appkeys.json', '--write-pki', dir], { encoding: 'utf8' });
    assert.match(out, /wrote root_ca\.pem/);
    const root = fs.readFileSync(path.join(dir, 'root_ca.der'));
    const collateral = JSON.parse(fs.readFileSync(path.join(dir, 'collateral.json'), 'utf8'));
    assert.match(fs.readFileSync(path.join(dir, 'root_ca.pem'), 'utf8'), /BEGIN CERTIFICATE/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'pcs_tcb_info.json'))).tcbInfo.id, 'TDX');
    const sim = await startSimulator(['--config', 'appkeys.json']);
    try {
      const quote = Buffer.from((await new DstackClient(sim.dstackSock).getQuote('w')).quote, 'hex');
      bothAccept(root, quote, collateral, 'UpToDate');
    } finally {
      await sim.stop();
    }
    const r = spawnSync(SIM, ['--config', 'appkeys.json', '--write-pki', '/proc/nope/x'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--write-pki: cannot create/);
  });

  test('--quote-mode upstream: upstream canned quote and event log, byte for byte', async () => {
    const sim = await startSimulator(['--config', 'appkeys.json', '--quote-mode', 'upstream']);
    try {
      const rd = crypto.randomBytes(64);
      const q = await new DstackClient(sim.dstackSock).getQuote(rd);
      const canned = Buffer.from(fs.readFileSync('fixtures/upstream/simulator-quote-v0.5.11.hex', 'utf8').trim(), 'hex');
      const got = Buffer.from(q.quote, 'hex');
      assert.equal(got.length, canned.length);
      assert.deepEqual(got.subarray(568, 632), rd);
      assert.deepEqual(Buffer.concat([got.subarray(0, 568), got.subarray(632)]),
        Buffer.concat([canned.subarray(0, 568), canned.subarray(632)]));
      assert.equal(q.event_log, fs.readFileSync('fixtures/upstream/simulator-v0.5.11-getquote-event_log.json', 'utf8').trim());
      // Its event log replays to its RTMRs, but no verifier accepts its signature.
      assert.deepEqual(q.replayRtmrs(), [376, 424, 472, 520].map((o) => got.subarray(o, o + 48).toString('hex')));
    } finally {
      await sim.stop();
    }
  });
});
