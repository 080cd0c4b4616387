// tests/browser/dashboard.test.mjs — the simulator's dashboard (GET / on --listen) in a
// real browser: headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
//
// Against a simulator started here on a free loopback port (stopped by its PID): the
// identity shown equals Info/GetMeta/Version and the PKI root's own fingerprint; the RTMR
// table replays the log (in the browser) to Info's RTMRs and to the latest quote's; an
// event emitted while the page is open appears, RTMR3 then differs from the older quote
// and equals it again once a new quote is taken (clicking the page's button); a GetKey
// shows up with its derived public key and the app key and KMS root its chain recovers
// to; no private key (GetKey's, the app key, the KMS root key, the CA key) is anywhere in
// the DOM or the JSON; event payloads show as hex when binary (app-id, compose-hash,
// instance-id and os-image-hash equal Info's values) and as text when printable UTF-8.
// Saves build/dashboard.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';
import { secp256k1 } from '@noble/curves/secp256k1';

import { startSimulator, rawRequest } from '../js/simulator.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const FLAGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const WAIT = { timeout: 15000 };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function httpGet(port, target) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

let sim, port, ctx, page, profile;
const call = async (method, body) => {
  const r = await rawRequest(sim.dstackSock, 'POST', `/${method}`, JSON.stringify(body));
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
};

before(async () => {
  port = await freePort();
  sim = await startSimulator(['--config', 'appkeys.json', '--listen', `127.0.0.1:${port}`]);
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dsdash-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: FLAGS,
    viewport: { width: 1280, height: 1180 } });
  page = ctx.pages()[0] || await ctx.newPage();
});

after(async () => {
  if (ctx) await ctx.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  if (sim) assert.equal(await sim.stop(), 0);
});

const text = (sel) => page.locator(sel).first().textContent();
const rtmrState = (i) => page.locator(`#rtmr${i}`).getAttribute('class');

test('dashboard: identity, replay, live events, key requests, no key material', async () => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(`http://127.0.0.1:${port}/`)) external.push(r.url()); });

  await page.goto(`http://127.0.0.1:${port}/?interval=150`);
  await page.waitForFunction(() => document.getElementById('id-app-id') &&
    document.querySelector('#rtmr3.eq'), null, WAIT);

  // Identity equals what the API says.
  const info = await call('Info', {});
  const meta = sim.meta;
  const version = await call('Version', {});
  assert.equal(await text('#id-app-id'), `${info.app_id} (compose_hash[:20])`);
  assert.equal(await text('#id-instance-id'), info.instance_id);
  assert.equal(await text('#id-compose-hash'), info.compose_hash);
  assert.equal((await text('#id-agent-version')).split(' ')[0], version.version);
  assert.equal(await text('#id-mismatch'), 'none');
  assert.equal(await text('#id-tcb-status'), 'UpToDate');
  // The boot decision (--kms-auth, dev by default) as GetMeta reports it.
  assert.equal(await text('#ka-mode'), 'dev: every boot allowed');
  assert.equal(await text('#ka-decision'), meta.kms_auth.decision);
  assert.equal(meta.kms_auth.decision, 'allowed');
  assert.equal((await text('#ka-decided-at')).split(' ')[0], meta.kms_auth.decided_at);
  assert.deepEqual(JSON.parse(await text('#ka-boot-info')), meta.kms_auth.boot_info);
  assert.equal(await text('#hdr-kmsauth'), 'keys allowed');
  assert.equal(await text('#id-kms-root-pubkey'), meta.k256_pubkey);
  assert.equal(await text('#id-kms-root-address'), meta.k256_address);
  const der = await httpGet(port, '/sim/pki/root.der');
  assert.equal(der.status, 200);
  assert.equal(await text('#id-pki-root'),
    `${crypto.createHash('sha256').update(der.body).digest('hex')} (SHA-256 of the DER)`);
  assert.equal(await page.locator('a[href="/sim/pki/root.pem"]').count(), 1);
  assert.equal(await page.locator('a[href="/sim/pki/collateral.json"]').count(), 1);

  // The log replays (in the browser) to Info's RTMRs, and the page's first quote agrees.
  const tcb = JSON.parse(info.tcb_info);
  for (let i = 0; i < 4; i++) {
    assert.equal(await text(`#rtmr${i} .replay`), tcb[`rtmr${i}`]);
    assert.equal(await text(`#rtmr${i} .quoted`), tcb[`rtmr${i}`]);
    assert.equal(await rtmrState(i), 'eq');
  }
  assert.match(await text('#replay-by'), /in this browser/);
  const events0 = await page.locator('#event-rows tr').count();
  assert.equal(events0, tcb.event_log.length);

  // An event emitted now appears (as text, not markup); the older quote no longer matches
  // RTMR3; a new quote (the page's own button) matches again.
  const name = '<b id="injected">dashboard-test</b>';
  await call('EmitEvent', { event: name, payload: Buffer.from('hello dashboard').toString('hex') });
  await page.waitForFunction((n) => document.querySelectorAll('#event-rows tr').length === n + 1,
    events0, WAIT);
  assert.equal(await text(`#event-rows tr[data-index="${events0}"] .ev-name`), name);
  assert.equal(await page.locator('#injected').count(), 0);
  await page.waitForFunction(() => document.querySelector('#rtmr3.ne'), null, WAIT);
  const tcb2 = JSON.parse((await call('Info', {})).tcb_info);
  assert.notEqual(tcb2.rtmr3, tcb.rtmr3);
  assert.equal(await text('#rtmr3 .replay'), tcb2.rtmr3);
  assert.match(await text('#rtmr-note'), /1 event\(s\) emitted since the latest quote/);
  await page.click('#take-quote');
  await page.waitForFunction(() => document.querySelector('#rtmr3.eq'), null, WAIT);
  assert.equal(await text('#rtmr3 .quoted'), tcb2.rtmr3);
  for (let i = 0; i < 3; i++) assert.equal(await rtmrState(i), 'eq');
  assert.equal(await text('#q-rt_mr3'), tcb2.rtmr3);
  assert.equal(await text('#q-report_data'), '00'.repeat(64));

  // A key request appears with its public key and what its chain recovers to.
  const k = await call('GetKey', { path: 'dashboard/test', purpose: 'browser' });
  const pub = Buffer.from(secp256k1.getPublicKey(Buffer.from(k.key, 'hex'), true)).toString('hex');
  const row = page.locator('#key-rows tr', { hasText: 'dashboard/test' });
  await row.waitFor(WAIT);
  assert.equal(await row.locator('.k-pub').textContent(), pub);
  assert.equal(await row.locator('.k-app').getAttribute('title'), meta.app_pubkey);
  assert.match(await row.locator('.k-app').textContent(), /✓$/);
  assert.equal(await row.locator('.k-root').textContent(), `${meta.k256_address} ✓`);
  await call('Sign', { algorithm: 'ed25519', data: '00' });
  await page.locator('#key-rows tr', { hasText: 'Sign' }).waitFor(WAIT);

  // Request statistics: the GetKey bar is drawn from /metrics.
  await page.waitForFunction(() => document.querySelector('#chart-count text[data-method="GetKey"]'),
    null, WAIT);

  // No private key anywhere: GetKey's key, the app key (derived from appkeys.json's root
  // key exactly as the KMS does, checked against the published app public key), the KMS
  // root key and the CA key.
  const cfg = JSON.parse(fs.readFileSync('appkeys.json', 'utf8'));
  const appKey = Buffer.from(crypto.hkdfSync('sha256', Buffer.from(cfg.kms_root_key, 'hex'),
    Buffer.from('RATLS'), Buffer.concat([Buffer.from(info.app_id, 'hex'), Buffer.from('app-key')]), 32));
  assert.equal(Buffer.from(secp256k1.getPublicKey(appKey, true)).toString('hex'), meta.app_pubkey);
  const caKey = cfg.key_provider.None.key.split('\n').filter((l) => l && !l.startsWith('-----'));
  const secrets = [k.key, appKey.toString('hex'), cfg.kms_root_key, ...caKey];
  const dom = await page.content();
  const json = (await httpGet(port, '/sim/dashboard.json')).body.toString();
  assert.ok(json.includes(pub) && dom.includes(pub)); // the scan below reads real content
  for (const s of secrets) {
    for (const hay of [dom, json]) {
      assert.ok(!hay.toLowerCase().includes(s.toLowerCase()), `private material on the page: ${s}`);
    }
  }

  assert.deepEqual(external, []);
  assert.deepEqual(errors, []);
  fs.mkdirSync('build', { recursive: true });
  await page.screenshot({ path: 'build/dashboard.png' }); // the first screenful
});

test('dashboard: only GET, only on the TCP listener', async () => {
  const r = await rawRequest(sim.dstackSock, 'GET', '/');
  assert.notEqual(r.status, 200);
  const j = await rawRequest(sim.dstackSock, 'GET', '/sim/dashboard.json');
  assert.notEqual(j.status, 200);
  const page0 = await httpGet(port, '/');
  assert.equal(page0.status, 200);
  assert.match(page0.headers['content-type'], /^text\/html/);
  assert.match(page0.headers['content-security-policy'], /default-src 'none'/);
});

test('dashboard: event payloads read as in an event log — hex when binary, text when printable', async () => {
  const info = await call('Info', {});
  // Emitted now: invalid UTF-8, a control character, multi-byte UTF-8, and 70 bytes of text
  // (the page gets the first 64: shown cut, with "…").
  const emitted = [
    ['payload-binary', 'ff00c3'],
    ['payload-control', Buffer.from('\x01abc').toString('hex')],
    ['payload-utf8', Buffer.from('héllo ✓ 事件').toString('hex')],
    ['payload-long', Buffer.from('x'.repeat(70)).toString('hex')],
  ];
  for (const [event, payload] of emitted) await call('EmitEvent', { event, payload });
  await page.waitForFunction(() => [...document.querySelectorAll('#event-rows .ev-name')]
    .some((td) => td.textContent === 'payload-long'), null, WAIT);
  const shown = await page.$$eval('#event-rows tr', (rows) => rows.map((r) => {
    const td = r.querySelector('td.payload');
    return { name: r.querySelector('.ev-name').textContent, kind: td.dataset.kind || '',
      text: td.textContent, title: td.title };
  }));
  const row = (name) => {
    const r = shown.filter((x) => x.name === name);
    assert.equal(r.length, 1, `one row named ${name}`);
    return { kind: r[0].kind, text: r[0].text };
  };
  // dstack's binary RTMR3 events: hex, exactly Info's values
  assert.deepEqual(row('app-id'), { kind: 'hex', text: info.app_id });
  assert.deepEqual(row('compose-hash'), { kind: 'hex', text: info.compose_hash });
  assert.deepEqual(row('instance-id'), { kind: 'hex', text: info.instance_id });
  assert.deepEqual(row('os-image-hash'), { kind: 'hex', text: info.os_image_hash });
  // text payloads: text; empty ones: nothing
  assert.deepEqual(row('storage-fs'), { kind: 'text', text: 'zfs' });
  assert.deepEqual(row('system-ready'), { kind: '', text: '' });
  const kp = JSON.parse(info.tcb_info).event_log.find((e) => e.event === 'key-provider');
  assert.ok(kp.event_payload.length > 128); // longer than the 64 bytes the page gets
  assert.deepEqual(row('key-provider'), { kind: 'text',
    text: Buffer.from(kp.event_payload, 'hex').subarray(0, 64).toString() + '…' });
  assert.deepEqual(shown[0], { name: '', kind: 'text', text: 'dstack-simulator: TDX firmware tables',
    title: '37 bytes: 64737461636b2d73696d756c61746f723a20544458206669726d77617265207461626c6573' });
  assert.deepEqual({ kind: shown[7].kind, text: shown[7].text }, { kind: 'hex', text: '00000000' });
  // the emitted ones
  assert.deepEqual(row('payload-binary'), { kind: 'hex', text: 'ff00c3' });
  assert.deepEqual(row('payload-control'), { kind: 'hex', text: '01616263' });
  assert.deepEqual(row('payload-utf8'), { kind: 'text', text: 'héllo ✓ 事件' });
  assert.deepEqual(row('payload-long'), { kind: 'text', text: 'x'.repeat(64) + '…' });
  assert.equal(shown.find((x) => x.name === 'payload-long').title, `70 bytes: ${'78'.repeat(64)}…`);
});
