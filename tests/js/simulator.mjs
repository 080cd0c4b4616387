// tests/js/simulator.mjs — start a dstack-simulator on a temp socket for a node test file
// and always stop it (also when the test process dies).
//
//   const sim = await startSimulator(['--config', 'appkeys.json']);
//   ... sim.dstackSock, sim.tappdSock, sim.meta (GetMeta) ...
//   const code = await sim.stop();   // 0 = clean exit, sockets removed
//
// The binary is $DSTACK_SIMULATOR_BIN or build/bin/dstack-simulator (run from the repo root).
// $DSTACK_AGENT_VERSION (e.g. 0.6.0), when set, is passed as --agent-version: the same
// suites then run against the frozen v0 surface of a 0.6 agent.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

// Whether something accepts connections on the Unix socket sock (resolves true or false).
export function canConnect(sock) {
  return new Promise((resolve) => {
    const c = net.createConnection({ path: sock });
    c.on('connect', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

// One HTTP request over the socket with node's own client (independent of the SDK).
export function rawRequest(sock, method, target, body) {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : {
      'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    const req = http.request({ socketPath: sock, method, path: target, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function startSimulator(args = []) {
  const bin = process.env.DSTACK_SIMULATOR_BIN || 'build/bin/dstack-simulator';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dssimjs-'));
  const dstackSock = path.join(dir, 'dstack.sock');
  const tappdSock = path.join(dir, 'tappd.sock');
  const externalSock = path.join(dir, 'external.sock');
  const agent = process.env.DSTACK_AGENT_VERSION ? ['--agent-version', process.env.DSTACK_AGENT_VERSION] : [];
  const child = spawn(bin, ['--dstack-sock', dstackSock, '--tappd-sock', tappdSock, ...agent, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => {
    live.delete(child);
    resolve(code === null ? 128 + (os.constants.signals[sig] || 0) : code);
  }));
  const deadline = Date.now() + 20000;
  while (!(await canConnect(dstackSock))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`simulator did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const meta = JSON.parse((await rawRequest(dstackSock, 'GET', '/GetMeta')).body);
  return {
    dir, dstackSock, tappdSock, externalSock, meta,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      const code = await exited;
      clearTimeout(timer);
      const leftovers = [dstackSock, tappdSock, externalSock].filter((p) => fs.existsSync(p));
      fs.rmSync(dir, { recursive: true, force: true });
      if (code !== 0 || leftovers.length) {
        throw new Error(`simulator exit ${code}, leftover sockets ${leftovers}:\n${output}`);
      }
      return code;
    },
  };
}
