// tests/verify/fake-endpoint.mjs — a lying dstack endpoint for dstack-verify's failure
// tests: it proxies every request to a real simulator socket and alters one thing.
//
//   node fake-endpoint.mjs --upstream SIM.sock --listen FAKE.sock --mode MODE
//
//   pass            forward everything unchanged
//   tamper-compose  Info's tcb_info.app_compose is edited (the app "name"), so it no
//                   longer hashes to the attested compose-hash              → step 1
//   replay-quote    every GetQuote answers with one quote recorded at start-up for a
//                   fixed old nonce (a genuine, correctly signed, stale quote) → step 3
//   forge-event     GetQuote's event_log gets one extra runtime event, with a digest
//                   that matches its payload, that never extended RTMR3     → step 4
//
// Prints "ready" on stdout once listening; SIGTERM/SIGINT close it and remove the socket.
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const { upstream, listen, mode } = args;
if (!upstream || !listen || !['pass', 'tamper-compose', 'replay-quote', 'forge-event'].includes(mode)) {
  console.error('usage: fake-endpoint.mjs --upstream SOCK --listen SOCK --mode pass|tamper-compose|replay-quote|forge-event');
  process.exit(2);
}

function forward(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    delete h.host;
    const req = http.request({ socketPath: upstream, method, path, headers: { ...h, host: 'localhost' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function runtimeDigest(name, payload) {
  const t = Buffer.alloc(4);
  t.writeUInt32LE(0x08000001);
  return crypto.createHash('sha384').update(Buffer.concat([t, Buffer.from(':'), Buffer.from(name), Buffer.from(':'), payload])).digest('hex');
}

let recorded = null;
if (mode === 'replay-quote') {
  const old = '11'.repeat(32);
  const r = await forward('POST', '/GetQuote', { 'content-type': 'application/json' }, JSON.stringify({ report_data: old }));
  recorded = r.body;
}

function alter(path, r) {
  if (r.status !== 200) return r.body;
  if (mode === 'tamper-compose' && (path === '/Info' || path.endsWith('Tappd.Info'))) {
    const info = JSON.parse(r.body);
    const tcb = JSON.parse(info.tcb_info);
    tcb.app_compose = tcb.app_compose.replace('"name":"', '"name":"tampered-');
    info.tcb_info = JSON.stringify(tcb);
    return Buffer.from(JSON.stringify(info));
  }
  if (mode === 'replay-quote' && path === '/GetQuote') return recorded;
  if (mode === 'forge-event' && path === '/GetQuote') {
    const q = JSON.parse(r.body);
    const log = JSON.parse(q.event_log);
    const payload = Buffer.from('forged');
    log.push({ imr: 3, event_type: 134217729, digest: runtimeDigest('app-upgraded', payload), event: 'app-upgraded', event_payload: payload.toString('hex') });
    q.event_log = JSON.stringify(log);
    return Buffer.from(JSON.stringify(q));
  }
  return r.body;
}

try { if (fs.statSync(listen).isSocket()) fs.unlinkSync(listen); } catch { /* absent */ }
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const path = req.url.split('?')[0];
      const r = await forward(req.method, req.url, req.headers, Buffer.concat(chunks));
      const body = alter(path, r);
      res.writeHead(r.status, { 'content-type': r.headers['content-type'] || 'application/json', 'content-length': body.length });
      res.end(body);
    } catch (e) {
      const body = JSON.stringify({ error: `fake endpoint: ${e.message}` });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
  });
});
const stop = () => { server.closeAllConnections(); server.close(() => { try { fs.unlinkSync(listen); } catch { /* gone */ } process.exit(0); }); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.listen(listen, () => console.log('ready'));
