import type { ContentHit } from "../detector.js";
import { createSecretScanner, type SecretScanner, type SecretScannerOptions } from "./scanner.js";

/**
 * Test helpers. Fake secrets are built at run time from a seeded generator, never written into the
 * repository as literals: they are format-valid (right prefix, length, alphabet) so the rules fire, and
 * push protection has nothing to flag.
 */

export const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export const B64 = `${ALNUM}+/`;
export const HEX = "0123456789abcdef";

/** mulberry32: deterministic, so a failing case fails the same way every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` characters from `alphabet`, reproducible per seed. */
export function fake(alphabet: string, n: number, seed = 1): string {
  const r = prng(seed);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Reproducible random bytes, as base64 (storage account keys, SAS signatures). */
export function fakeBase64(bytes: number, seed = 1): string {
  const r = prng(seed);
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(r() * 256))).toString("base64");
}

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");

/** A structurally valid HS256 JWT with a random signature. */
export function fakeJwt(seed = 1): string {
  return `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub: "1234567890", name: "Airbag Test", iat: 1700000000 })}.${fake(`${ALNUM}-_`, 43, seed)}`;
}

let shared: SecretScanner | undefined;

/** Streams `content` through a scanner in chunks of `chunk` bytes (or at the given split points). */
export function scanBuffer(
  path: string,
  content: Buffer,
  split: number | number[] = 1 << 20,
  scanner?: SecretScanner,
): ContentHit[] {
  shared ??= createSecretScanner();
  scanner ??= shared;
  const c = scanner.consume(path, content.length, 0o644);
  const cuts = typeof split === "number" ? [] : [...split].sort((a, b) => a - b);
  if (typeof split === "number") for (let at = split; at < content.length; at += split) cuts.push(at);
  let prev = 0;
  for (const at of [...cuts, content.length]) {
    if (at <= prev || at > content.length) continue;
    if (!c.write(content.subarray(prev, at))) break;
    prev = at;
  }
  return c.end();
}

export function scanText(path: string, text: string, options?: SecretScannerOptions): ContentHit[] {
  return scanBuffer(
    path,
    Buffer.from(text, "utf8"),
    1 << 20,
    options ? createSecretScanner(options) : undefined,
  );
}
