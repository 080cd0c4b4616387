// tests/js/chain.mjs — dstack's KMS signature chain, recovered with @noble/curves +
// @noble/hashes (an implementation independent of the simulator's C code); shared by the
// suites that check GetKey chains (tests/js/sdk.test.mjs, tests/dropin/phala.test.mjs).
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3';

const hex = (b) => Buffer.from(b).toString('hex');
const utf8 = (s) => new TextEncoder().encode(s);

// The public key that made the 65-byte r‖s‖v signature over digest.
export function recover(digest, sig65) {
  return secp256k1.Signature.fromCompact(sig65.slice(0, 64)).addRecoveryBit(sig65[64])
    .recoverPublicKey(digest);
}
// Lower-case 0x address of a curve point.
export function address(point) {
  return '0x' + hex(keccak_256(point.toRawBytes(false).slice(1)).slice(12));
}
// dstack's chain: app link over keccak(purpose ":" hex(pub)), KMS link over
// keccak("dstack-kms-issued:" app_id(20) app_pub(33)). Returns the recovered root address.
export function chainRoot(derivedPub, purpose, chain, appIdHex) {
  const app = recover(keccak_256(utf8(`${purpose}:${hex(derivedPub)}`)), chain[0]);
  const msg = Buffer.concat([Buffer.from('dstack-kms-issued:'), Buffer.from(appIdHex, 'hex'),
    Buffer.from(app.toRawBytes(true))]);
  return address(recover(keccak_256(msg), chain[1]));
}
