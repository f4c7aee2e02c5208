import { charClasses } from "./entropy.js";

/**
 * Named validity checks a rule can ask for (`checks:` in the pack) when a regex alone cannot tell a
 * secret from look-alikes. Each returns true when the candidate still looks like a real secret.
 */

function base64Decode(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function jsonObject(b: Buffer | undefined): Record<string, unknown> | undefined {
  if (!b) return undefined;
  try {
    const v: unknown = JSON.parse(b.toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A JWT whose header is JSON with a signing algorithm (RFC 7519 §7.2) and whose payload is JSON. */
function jwt(secret: string): boolean {
  const [header, payload] = secret.split(".");
  const h = jsonObject(base64Decode(header ?? ""));
  if (!h || typeof h.alg !== "string" || h.alg.toLowerCase() === "none") return false;
  return jsonObject(base64Decode(payload ?? "")) !== undefined;
}

/** docker config `auth`: base64 of `user:password` with a non-empty password. */
function base64UserPass(secret: string): boolean {
  const text = base64Decode(secret)?.toString("latin1") ?? "";
  const colon = text.indexOf(":");
  return colon > 0 && colon < text.length - 1 && /^[\x20-\x7e]+$/.test(text);
}

/** base64 of a PEM private key block (`-----BEGIN … PRIVATE KEY-----`) that is not encrypted. */
function base64PrivateKey(secret: string): boolean {
  const pem = base64Decode(secret.slice(0, 200).replace(/=+$/, ""))?.toString("latin1") ?? "";
  return (
    /^-----BEGIN (?!ENCRYPTED )[A-Z0-9 ]*PRIVATE KEY-----/.test(pem) && !/Proc-Type: 4,ENCRYPTED/.test(pem)
  );
}

/** Letters and digits both present: random tokens nearly always have both, words and identifiers not. */
function lettersAndDigits(secret: string): boolean {
  return /[A-Za-z]/.test(secret) && /\d/.test(secret);
}

/** Upper, lower and digit (or + /) all present: base64 of random bytes of ≥ 30 bytes, not a hex hash. */
function mixedCase(secret: string): boolean {
  return /[a-z]/.test(secret) && /[A-Z]/.test(secret) && /[\d+/]/.test(secret);
}

/**
 * Not program text: code assigns expressions (`self.token_cache`, `os.environ["X"]`, `getPass()`,
 * `a.b.c`, `/etc/secret/path`), configuration assigns literals.
 */
function notCode(secret: string): boolean {
  if (/[()[\]{}<>;,]/.test(secret)) return false;
  if (/^[$%&*@!]/.test(secret)) return false;
  if (/^[A-Za-z_][A-Za-z0-9_]*(?:[.:-]+[A-Za-z_][A-Za-z0-9_]*)+$/.test(secret)) return false;
  if (/^\.{0,2}\//.test(secret) || /^[\w.-]+\/[\w./-]+$/.test(secret)) return false;
  return true;
}

/** Timestamps, numbers, versions, UUIDs: values that sit next to "password" keys without being one. */
const NOT_A_PASSWORD =
  /^(?:\d{4}-\d\d-\d\d(?:[T ][\d:.]+Z?)?|[\d.,:_+-]+|v?\d+(?:\.\d+)+[\w.-]*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** A human-chosen password: not a bare word or identifier (needs a digit or a symbol), not code. */
function plausiblePassword(secret: string): boolean {
  return (
    notCode(secret) &&
    charClasses(secret) >= 2 &&
    !/^[A-Za-z_-]+$/.test(secret) &&
    !NOT_A_PASSWORD.test(secret)
  );
}

export const CHECKS = {
  jwt,
  "base64-userpass": base64UserPass,
  "base64-private-key": base64PrivateKey,
  "letters-and-digits": lettersAndDigits,
  "mixed-case": mixedCase,
  "not-code": notCode,
  "plausible-password": plausiblePassword,
} satisfies Record<string, (secret: string) => boolean>;

export type CheckName = keyof typeof CHECKS;
