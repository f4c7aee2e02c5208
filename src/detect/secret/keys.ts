import { createHash } from "node:crypto";

/**
 * Private keys in PEM-like armour: finds the block at a keyword hit, collects its base64 body (plain
 * lines, JSON strings with `\n` escapes, indented YAML) and tells encrypted from unencrypted keys:
 * PKCS#8 `ENCRYPTED PRIVATE KEY`, RFC 1421 `Proc-Type: 4,ENCRYPTED` (OpenSSL's traditional format),
 * the cipher name inside an OpenSSH key (PROTOCOL.key), and the S2K usage octet of an OpenPGP secret-key
 * packet (RFC 4880 §5.5.3, RFC 9580 §5.5.3). A "key" whose body is shorter than MIN_BODY base64
 * characters is documentation or a format string (`-----BEGIN PRIVATE KEY-----\n...`), not a key.
 */

const MIN_BODY = 64;
const HEADER = /(-{4,5}) ?BEGIN ([A-Z0-9 ]{0,40}?)PRIVATE KEY( BLOCK)? ?-{4,5}/g;

export interface PrivateKeyMatch {
  /** offset of the BEGIN line in the text */
  index: number;
  /** "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK", … */
  label: string;
  /** the base64 body seen (all of it when `complete`) */
  body: string;
  /** undefined: the format could not be parsed far enough to tell */
  encrypted: boolean | undefined;
  detail: string;
  /** the END line was seen */
  complete: boolean;
  /** sha256 hex of the complete body (only when asked for and complete) */
  fingerprint?: string;
}

/** The key block whose header contains offset `at` (the keyword hit), if it is a real key. */
export function matchPrivateKey(
  text: string,
  at: number,
  withFingerprint = false,
): PrivateKeyMatch | undefined {
  HEADER.lastIndex = Math.max(0, at - 64);
  const h = HEADER.exec(text);
  // the header must contain the keyword hit (not an earlier block's, nor the next one's)
  if (!h || h.index > at || h.index + h[0].length <= at) return undefined;
  const label = `${h[2] ?? ""}PRIVATE KEY${h[3] ?? ""}`;
  let rest = text.slice(h.index + h[0].length);
  // a PEM inside a JSON/JS string: "-----BEGIN …-----\nMIIE…\n-----END …-----\n"
  if (/^\s*\\[rn]/.test(rest)) rest = rest.replace(/\\r\\n|\\n|\\r/g, "\n");
  const headers: string[] = [];
  let body = "";
  let complete = false;
  for (const raw of rest.split(/\r?\n|\r/)) {
    const trimmed = raw.trim();
    // a key split into string literals in code ("MIIE…" +) loses quotes and operators; a plain base64
    // line keeps a trailing "+", which is base64
    const line = trimmed
      .replace(/^[+,]?\s*["']/, "")
      .replace(/["']\s*[+,;)]*\s*\\?$/, "")
      .replace(/\\$/, "");
    if (/^[\s+,"'\\]*$/.test(line)) {
      if (trimmed === "" && body !== "") break; // a blank line ends the block
      continue;
    }
    if (/^-{4,5} ?END /.test(line)) {
      complete = true;
      break;
    }
    if (body === "" && /^[A-Za-z][A-Za-z0-9-]*: /.test(line)) {
      headers.push(line);
      continue;
    }
    // the OpenPGP armour checksum (=XXXX) ends the body
    if (/^=[A-Za-z0-9+/]{4}$/.test(line)) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(line)) break;
    body += line;
  }
  if (body.length < MIN_BODY) return undefined;
  const { encrypted, detail } = classify(label, headers, body);
  const fingerprint =
    withFingerprint && complete ? createHash("sha256").update(body).digest("hex") : undefined;
  return { index: h.index, label, body, encrypted, detail, complete, fingerprint };
}

function classify(label: string, headers: string[], body: string): { encrypted?: boolean; detail: string } {
  if (label.includes("ENCRYPTED")) return { encrypted: true, detail: `${label} (encrypted PKCS#8 / SSH2)` };
  const procType = headers.find((x) => /^Proc-Type:/i.test(x));
  if (procType && /ENCRYPTED/i.test(procType)) {
    const dek = headers.find((x) => /^DEK-Info:/i.test(x))?.split(/[:,]\s*/)[1];
    return { encrypted: true, detail: `${label}, Proc-Type ENCRYPTED${dek ? ` (${dek})` : ""}` };
  }
  if (label.startsWith("OPENSSH")) return openssh(body);
  if (label.startsWith("PGP")) return pgp(body);
  return { encrypted: false, detail: `${label}, not encrypted` };
}

/** PROTOCOL.key: "openssh-key-v1\0", then string ciphername ("none" when unencrypted). */
function openssh(body: string): { encrypted?: boolean; detail: string } {
  const b = Buffer.from(body.slice(0, 128), "base64");
  const magic = "openssh-key-v1\0";
  if (b.toString("latin1", 0, magic.length) !== magic || b.length < magic.length + 4)
    return { detail: "OPENSSH PRIVATE KEY (unparsable header)" };
  const n = b.readUInt32BE(magic.length);
  const cipher = b.toString("latin1", magic.length + 4, magic.length + 4 + n);
  return cipher === "none"
    ? { encrypted: false, detail: "OpenSSH private key, cipher none (not encrypted)" }
    : { encrypted: true, detail: `OpenSSH private key, cipher ${cipher}` };
}

/** Bytes of the public-key fields of a v4 key packet, by algorithm (RFC 9580 §5.5.5). */
function publicFieldsLength(p: Buffer, at: number, algo: number): number | undefined {
  let o = at;
  const mpi = (count: number): boolean => {
    for (let i = 0; i < count; i++) {
      if (o + 2 > p.length) return false;
      o += 2 + ((p.readUInt16BE(o) + 7) >> 3);
    }
    return o <= p.length;
  };
  const oid = (): boolean => {
    if (o >= p.length) return false;
    o += 1 + p[o]!;
    return o <= p.length;
  };
  const fixed: Record<number, number> = { 25: 32, 26: 56, 27: 32, 28: 57 };
  if (algo in fixed) return fixed[algo];
  const kdf = (): boolean => {
    if (o >= p.length) return false;
    o += 1 + p[o]!;
    return o <= p.length;
  };
  let ok = false;
  if (algo === 1 || algo === 2 || algo === 3)
    ok = mpi(2); // RSA: n, e
  else if (algo === 16 || algo === 20)
    ok = mpi(3); // Elgamal: p, g, y
  else if (algo === 17)
    ok = mpi(4); // DSA: p, q, g, y
  else if (algo === 19 || algo === 22)
    ok = oid() && mpi(1); // ECDSA, EdDSALegacy: curve, point
  else if (algo === 18) ok = oid() && mpi(1) && kdf(); // ECDH: curve, point, KDF parameters
  return ok ? o - at : undefined;
}

/** The S2K usage octet of the first secret-key packet: 0 means the secret material is in clear. */
function pgp(body: string): { encrypted?: boolean; detail: string } {
  const b = Buffer.from(body, "base64");
  const unknown = { detail: "PGP PRIVATE KEY BLOCK (unparsable packet)" };
  const tag0 = b[0];
  if (tag0 === undefined || !(tag0 & 0x80)) return unknown;
  let tag: number;
  let start: number;
  if (tag0 & 0x40) {
    tag = tag0 & 0x3f;
    const l0 = b[1] ?? 255;
    start = l0 < 192 ? 2 : l0 < 224 ? 3 : 6;
  } else {
    tag = (tag0 >> 2) & 0x0f;
    start = 1 + [1, 2, 4, 0][tag0 & 3]!;
  }
  if (tag !== 5 && tag !== 7) return unknown;
  const p = b.subarray(start);
  const version = p[0];
  if (version !== 4 && version !== 5 && version !== 6) return unknown;
  const algo = p[5]!;
  // v5/v6 keys carry the length of the public fields; v4 keys must be parsed field by field
  const fields =
    version === 4 ? publicFieldsLength(p, 6, algo) : p.length >= 10 ? p.readUInt32BE(6) : undefined;
  const usageAt = (version === 4 ? 6 : 10) + (fields ?? Number.NaN);
  const usage = p[usageAt];
  if (usage === undefined) return unknown;
  return usage === 0
    ? { encrypted: false, detail: `OpenPGP v${version} secret key (algorithm ${algo}), not protected` }
    : { encrypted: true, detail: `OpenPGP v${version} secret key (algorithm ${algo}), S2K usage ${usage}` };
}
