// tests/verify/rpc-record.mjs — a JSON-RPC pass-through that records what a client asks
// the chain: every POST body is forwarded unchanged to the upstream node (Anvil) and its
// answer returned unchanged; each request body is appended, one per line, to the log file.
// Lets a test read the exact calldata dstack-verify's step 6 sends.
//
//   node rpc-record.mjs --upstream http://127.0.0.1:PORT --log FILE
//
// Prints "ready PORT" on stdout once listening on 127.0.0.1 (a free port);
// SIGTERM/SIGINT close it. Bodies over 1 MiB are refused with 413.
import http from 'node:http';
import fs from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const { upstream, log } = args;
if (!upstream || !log) {
  console.error('usage: rpc-record.mjs --upstream http://HOST:PORT --log FILE');
  process.exit(2);
}
const MAX = 1 << 20;

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= MAX) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX) {
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"body too large"}');
      return;
    }
    const body = Buffer.concat(chunks);
    fs.appendFileSync(log, body.toString('utf8').replace(/\n/g, ' ') + '\n');
    const up = http.request(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 10000 }, (ur) => {
      const out = [];
      ur.on('data', (c) => out.push(c));
      ur.on('end', () => res.writeHead(ur.statusCode, { 'content-type': 'application/json' }).end(Buffer.concat(out)));
    });
    up.on('timeout', () => up.destroy(new Error('upstream timed out')));
    up.on('error', (e) => res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `upstream ${upstream}: ${e.message}` })));
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
