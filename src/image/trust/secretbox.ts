/**
 * NaCl `crypto_secretbox` (XSalsa20 + Poly1305), written from the Salsa20 and NaCl specifications.
 * Node's crypto has neither Salsa20 nor a bare Poly1305, and cosign's encrypted private keys
 * ("ENCRYPTED SIGSTORE PRIVATE KEY") are sealed with it. Output layout is Go's `secretbox.Seal`:
 * 16-byte tag, then the ciphertext. Only small inputs (private keys) pass through here.
 */

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // "expand 32-byte k"

const rotl = (v: number, n: number): number => (v << n) | (v >>> (32 - n));

/** The 20-round Salsa20 permutation over 16 words, in place. */
function salsaRounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number) => {
    x[b]! ^= rotl((x[a]! + x[d]!) | 0, 7);
    x[c]! ^= rotl((x[b]! + x[a]!) | 0, 9);
    x[d]! ^= rotl((x[c]! + x[b]!) | 0, 13);
    x[a]! ^= rotl((x[d]! + x[c]!) | 0, 18);
  };
  for (let i = 0; i < 10; i++) {
    // column round, then row round
    qr(0, 4, 8, 12);
    qr(5, 9, 13, 1);
    qr(10, 14, 2, 6);
    qr(15, 3, 7, 11);
    qr(0, 1, 2, 3);
    qr(5, 6, 7, 4);
    qr(10, 11, 8, 9);
    qr(15, 12, 13, 14);
  }
}

/** Salsa20 input block: constants on the diagonal, key around them, 16 bytes of input in words 6..9. */
function initialState(key: Uint8Array, input16: Uint8Array): Uint32Array {
  const k = Buffer.from(key.buffer, key.byteOffset, 32);
  const n = Buffer.from(input16.buffer, input16.byteOffset, 16);
  const s = new Uint32Array(16);
  s[0] = SIGMA[0]!;
  s[5] = SIGMA[1]!;
  s[10] = SIGMA[2]!;
  s[15] = SIGMA[3]!;
  for (let i = 0; i < 4; i++) {
    s[1 + i] = k.readUInt32LE(i * 4);
    s[11 + i] = k.readUInt32LE(16 + i * 4);
    s[6 + i] = n.readUInt32LE(i * 4);
  }
  return s;
}

/** HSalsa20: derives the XSalsa20 subkey from the key and the first 16 nonce bytes. */
export function hsalsa20(key: Uint8Array, input16: Uint8Array): Buffer {
  const x = initialState(key, input16);
  salsaRounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => {
    out.writeUInt32LE(x[w]!, i * 4);
  });
  return out;
}

/** XSalsa20 key stream of `length` bytes for a 24-byte nonce. */
export function xsalsa20Stream(key: Uint8Array, nonce: Uint8Array, length: number): Buffer {
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const input = Buffer.alloc(16);
  input.set(nonce.subarray(16, 24), 0); // words 6,7: nonce; words 8,9: 64-bit block counter
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  for (let block = 0; block * 64 < length; block++) {
    input.writeBigUInt64LE(BigInt(block), 8);
    const start = initialState(subkey, input);
    const x = Uint32Array.from(start);
    salsaRounds(x);
    for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i]! + start[i]!) >>> 0, block * 64 + i * 4);
  }
  return out.subarray(0, length);
}

const P1305 = (1n << 130n) - 5n;

const leBigInt = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
};

/** Poly1305 one-time authenticator (RFC 8439 §2.5). */
export function poly1305(key: Uint8Array, message: Uint8Array): Buffer {
  const r = leBigInt(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leBigInt(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < message.length; i += 16) {
    const chunk = message.subarray(i, Math.min(i + 16, message.length));
    acc = ((acc + leBigInt(chunk) + (1n << BigInt(8 * chunk.length))) * r) % P1305;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

const xor = (a: Uint8Array, b: Uint8Array): Buffer => Buffer.from(a.map((v, i) => v ^ b[i]!));

/** Seal: tag ‖ ciphertext, like Go's `secretbox.Seal(nil, msg, nonce, key)`. */
export function secretboxSeal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer {
  checkSizes(nonce, key);
  const stream = xsalsa20Stream(key, nonce, 32 + message.length);
  const ciphertext = xor(message, stream.subarray(32));
  return Buffer.concat([poly1305(stream.subarray(0, 32), ciphertext), ciphertext]);
}

/** Open: returns the plaintext, or undefined when the tag does not match (wrong key or tampered box). */
export function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer | undefined {
  checkSizes(nonce, key);
  if (box.length < 16) return undefined;
  const ciphertext = box.subarray(16);
  const stream = xsalsa20Stream(key, nonce, 32 + ciphertext.length);
  const expected = poly1305(stream.subarray(0, 32), ciphertext);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= expected[i]! ^ box[i]!;
  if (diff !== 0) return undefined;
  return xor(ciphertext, stream.subarray(32));
}

function checkSizes(nonce: Uint8Array, key: Uint8Array): void {
  if (nonce.length !== 24) throw new RangeError(`secretbox nonce must be 24 bytes, got ${nonce.length}`);
  if (key.length !== 32) throw new RangeError(`secretbox key must be 32 bytes, got ${key.length}`);
}
