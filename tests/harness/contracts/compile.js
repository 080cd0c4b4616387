#!/usr/bin/env node
// tests/harness/contracts/compile.js — compiles the harness's test-fixture contracts with
// the repository's solc-js (no forge, no network) and prints {Name: {abi, bytecode}} as
// JSON. Usage: compile.js FILE.sol...
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.resolve(__dirname, '../../../node_modules/solc'));
const sources = {};
for (const f of process.argv.slice(2)) sources[path.basename(f)] = {content: fs.readFileSync(f, 'utf8')};
const input = {
  language: 'Solidity',
  sources,
  settings: {optimizer: {enabled: true, runs: 200}, evmVersion: 'cancun',
             outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object']}}},
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter(e => e.severity === 'error');
if (errors.length) {
  for (const e of errors) process.stderr.write(e.formattedMessage + '\n');
  process.exit(1);
}
const res = {};
for (const file of Object.keys(out.contracts))
  for (const [name, c] of Object.entries(out.contracts[file])) res[name] = {abi: c.abi, bytecode: '0x' + c.evm.bytecode.object};
process.stdout.write(JSON.stringify(res));
