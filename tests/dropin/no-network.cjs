// tests/dropin/no-network.cjs — preloaded (node --require) into a program under test so that
// it cannot reach the network: any TCP connect to anything but 127.0.0.1, ::1 or localhost,
// and any DNS lookup of another name, is refused (the call throws) and recorded, one line
// each, in the file $NO_NETWORK_LOG, which the test then requires to be empty. Unix-socket
// connects pass. It hooks net.Socket.prototype.connect, which http, https, tls and the
// built-in fetch all go through, and dns.lookup / dns.promises.lookup / the resolvers.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const dns = require('node:dns');

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

function refuse(what) {
  const log = process.env.NO_NETWORK_LOG;
  if (log) fs.appendFileSync(log, `${what}\n`);
  throw new Error(`no-network: refused ${what} (the test forbids network access)`);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect passes its normalized [options, callback] array; users pass options, a
  // path, or (port, host).
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    if (!first.path) {
      const host = first.host === undefined ? 'localhost' : String(first.host);
      if (!LOOPBACK.has(host)) refuse(`connect ${host}:${first.port}`);
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    if (!LOOPBACK.has(host)) refuse(`connect ${host}:${first}`);
  }
  return connect.apply(this, args);
};

function guardName(fn, label) {
  return function guardedLookup(name, ...rest) {
    if (!LOOPBACK.has(String(name))) refuse(`${label} ${name}`);
    return fn.call(this, name, ...rest);
  };
}
dns.lookup = guardName(dns.lookup, 'dns lookup');
dns.promises.lookup = guardName(dns.promises.lookup, 'dns lookup');
for (const r of ['resolve', 'resolve4', 'resolve6', 'resolveAny']) {
  dns[r] = guardName(dns[r], `dns ${r}`);
  dns.promises[r] = guardName(dns.promises[r], `dns ${r}`);
}
