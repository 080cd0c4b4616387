// tests/dropin/phala.test.mjs — Phala's CLI (npm `phala`, pinned in package-lock.json) runs
// our dstack-simulator where it keeps upstream's: ~/.phala-cloud/simulator/0.5.3/. As a
// new user would: a temporary HOME, the binary COPIED into that folder (so the CLI skips
// its download), then
//   phala simulator start   → the official SDK's Info answers on the socket the CLI prints,
//                             with the compose hash of the repository's app-compose.json;
//                             GetKey's chain recovers (tests/js/chain.mjs) to the KMS root
//                             the simulator printed, the published test root;
//   phala simulator stop    → the process is gone and so are its sockets and the PID file.
// The CLI never reaches the network: tests/dropin/no-network.cjs refuses (and records) any
// non-loopback connect or DNS lookup in it, wget/curl/pkill/killall on its PATH are stubs
// that record the attempt and fail (so a download, or its broad `pkill -f` fallback, can
// never run), and proxies point at a closed loopback port. Both records must stay empty.
//
// The binary is $DSTACK_SIMULATOR_BIN or build/bin/dstack-simulator (run from the repo root).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DstackClient } from '@phala/dstack-sdk';
import { secp256k1 } from '@noble/curves/secp256k1';

import { chainRoot } from '../js/chain.mjs';
import { canConnect } from '../js/simulator.mjs';

const PUBLISHED_ROOT = '0xe33bD2EF806E9af81C6C3Adaa227dB54f780dEA0'; // README.md
const PHALA = path.resolve('node_modules/phala/dist/index.js');
const GUARD = path.resolve('tests/dropin/no-network.cjs');
const BIN = path.resolve(process.env.DSTACK_SIMULATOR_BIN || 'build/bin/dstack-simulator');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dsphala-'));
const home = path.join(work, 'home');
const tmp = path.join(work, 'tmp'); // the CLI keeps its PID file in os.tmpdir()
const shims = path.join(work, 'shims');
const folder = path.join(home, '.phala-cloud', 'simulator', '0.5.3');
const logFile = path.join(home, '.phala-cloud', 'logs', 'dstack-simulator.log');
const pidFile = path.join(tmp, 'dstack-simulator.pid');
const networkLog = path.join(work, 'network.log');
const shimLog = path.join(work, 'shims.log');
let simPid = 0;

function env() {
  const e = { ...process.env };
  for (const k of Object.keys(e)) {
    if (/^(DSTACK_|TAPPD_|PHALA_|npm_)|_PROXY$|_proxy$/.test(k)) delete e[k];
  }
  const proxy = 'http://127.0.0.1:9'; // discard port: nothing listens
  return { ...e, HOME: home, TMPDIR: tmp, PATH: `${shims}:${process.env.PATH}`, NO_COLOR: '1',
    NO_NETWORK_LOG: networkLog, SHIM_LOG: shimLog, HTTP_PROXY: proxy, HTTPS_PROXY: proxy,
    http_proxy: proxy, https_proxy: proxy };
}

// Runs `phala ARGS...`; resolves {code, out} (stdout + stderr, colour codes removed).
function phala(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--require', GUARD, PHALA, ...args],
      { env: env(), cwd: work, timeout: 60000 }, (err, stdout, stderr) => {
        const out = (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '');
        resolve({ code: err ? (err.code ?? 1) : 0, out });
      });
  });
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'; // a zombie has exited
  } catch {
    return false;
  }
}
async function until(what, ms, fn) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '(no log)');

before(() => {
  assert.ok(fs.existsSync(PHALA), `${PHALA} is missing: run scripts/setup.sh (npm ci)`);
  fs.mkdirSync(folder, { recursive: true });
  fs.mkdirSync(tmp);
  fs.mkdirSync(shims);
  for (const tool of ['wget', 'curl', 'pkill', 'killall']) {
    fs.writeFileSync(path.join(shims, tool),
      '#!/bin/sh\necho "$(basename "$0") $*" >> "$SHIM_LOG"\nexit 1\n', { mode: 0o755 });
  }
  fs.copyFileSync(BIN, path.join(folder, 'dstack-simulator'));
  fs.chmodSync(path.join(folder, 'dstack-simulator'), 0o755);
});

after(() => {
  // Only the process this test started: the PID the CLI recorded, running in our folder.
  if (!simPid && fs.existsSync(pidFile)) simPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  let ours = false;
  try {
    ours = fs.realpathSync(`/proc/${simPid}/cwd`) === fs.realpathSync(folder);
  } catch { /* gone */ }
  if (simPid > 0 && ours && alive(simPid)) process.kill(simPid, 'SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

test('phala simulator start / stop runs the copied binary, offline', async () => {
  const bin = path.join(folder, 'dstack-simulator');
  assert.ok(fs.lstatSync(bin).isFile(), 'a copy, not a link');
  assert.ok(fs.readFileSync(bin).equals(fs.readFileSync(BIN)));

  // start
  const start = await phala('simulator', 'start');
  assert.equal(start.code, 0, start.out);
  assert.doesNotMatch(start.out, /Downloading/, start.out);
  const m = start.out.match(/DSTACK_SIMULATOR_ENDPOINT=(\S+)/);
  assert.ok(m, `no endpoint printed:\n${start.out}`);
  const endpoint = m[1];
  assert.equal(endpoint, path.join(folder, 'dstack.sock'));
  simPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  assert.ok(simPid > 0);
  assert.equal(fs.realpathSync(`/proc/${simPid}/cwd`), fs.realpathSync(folder));
  await until(`the simulator on ${endpoint}\n${readLog()}`, 20000, async () => {
    assert.ok(alive(simPid), `the simulator exited:\n${readLog()}`);
    return canConnect(endpoint);
  });

  // Info over the printed socket, with the official SDK
  const composeText = fs.readFileSync('app-compose.json', 'utf8');
  const sha = crypto.createHash('sha256').update(composeText).digest('hex');
  const client = new DstackClient(endpoint);
  const info = await client.info();
  assert.equal(info.compose_hash, sha);
  assert.equal(info.app_id, sha.slice(0, 40));
  assert.equal(info.tcb_info.app_compose, composeText);
  const tappd = start.out.match(/TAPPD_SIMULATOR_ENDPOINT=(\S+)/);
  assert.ok(tappd, start.out);
  assert.equal(tappd[1], path.join(folder, 'tappd.sock'));
  assert.ok(await canConnect(tappd[1]), 'the tappd socket the CLI prints is served');

  // GetKey's chain recovers to the root the simulator printed
  const log = readLog();
  assert.match(log, /^ {2}config {11}built-in \(KMS root key mode\)$/m, log);
  const printed = log.match(/^ {2}KMS root address (0x[0-9a-fA-F]{40})$/m);
  assert.ok(printed, `no KMS root in the simulator's output:\n${log}`);
  assert.equal(printed[1], PUBLISHED_ROOT);
  const k = await client.getKey('phala/cli', 'signing');
  const pub = secp256k1.getPublicKey(k.key, true);
  assert.equal(k.signature_chain.length, 2);
  assert.equal(chainRoot(pub, 'signing', k.signature_chain, info.app_id), printed[1].toLowerCase());

  // stop
  const stop = await phala('simulator', 'stop');
  assert.equal(stop.code, 0, stop.out);
  await until(`PID ${simPid} to exit`, 15000, () => !alive(simPid));
  for (const s of ['dstack.sock', 'tappd.sock', 'external.sock']) {
    assert.equal(fs.existsSync(path.join(folder, s)), false, `${s} left behind`);
  }
  assert.equal(fs.existsSync(pidFile), false, 'PID file left behind');
  assert.match(readLog(), /SIGTERM, shutting down/);

  // offline throughout
  const tried = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  assert.equal(tried(networkLog), '', 'the CLI tried the network');
  assert.equal(tried(shimLog), '', 'the CLI ran a download or kill tool');
});

test('the network guard refuses what the CLI would need to download (self-check)', async () => {
  const r = await new Promise((resolve) => {
    execFile(process.execPath, ['--require', GUARD, '-e',
      "fetch('http://127.0.0.2:61000/').then(() => process.exit(3), () => process.exit(0))"],
    { env: { ...env(), NO_NETWORK_LOG: path.join(work, 'self.log') }, timeout: 20000 },
    (err) => resolve(err ? err.code : 0));
  });
  assert.equal(r, 0);
  assert.equal(fs.readFileSync(path.join(work, 'self.log'), 'utf8'), 'connect 127.0.0.2:61000\n');
});
