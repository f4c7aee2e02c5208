import { createHash } from "node:crypto";

/**
 * The audit log's line format and its verification, pure (no I/O) so the property tests can hit it
 * directly. One entry per line:
 *
 *   {"seq":1,"time":"…","type":"detection","data":{…},"prev":"<64 hex>","hash":"<64 hex>"}
 *
 * `hash` = sha256 hex over the same line without `,"hash":…` — the canonical JSON of the entry, fields
 * in the order above, object keys inside `data` sorted, no whitespace. `prev` is the previous entry's
 * hash ("0"×64 for the first), `seq` counts from 1 and equals the line number.
 *
 * What verification catches: any edit of an entry (hash, or bytes not canonical), deleting, inserting or
 * reordering entries anywhere but the end (prev/seq break), and a torn or truncated last line (no
 * newline). What it cannot catch on its own: cutting off whole trailing entries, or rewriting the whole
 * chain from some point on — the file alone proves only its own consistency. Anchors close that gap: a
 * head hash (and entry count) recorded elsewhere earlier must still be in the log.
 */

export const AUDIT_TYPES = [
  "detection",
  "decision",
  "approval",
  "action",
  "alert",
  "start",
  "stop",
  // the server: tokens, policy, scans requested, approvals decided through the API
  "change",
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export const GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  seq: number;
  time: string;
  type: AuditType;
  data: unknown;
  prev: string;
  hash: string;
}

/** JSON with object keys sorted at every level and no whitespace (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  }
  return `{${parts.join(",")}}`;
}

/** Data as it will read back from the file (dates → strings, undefined dropped, NaN → null). */
export const plainData = (data: unknown): unknown => JSON.parse(JSON.stringify(data ?? null));

type Unhashed = Omit<AuditEntry, "hash">;

const body = (e: Unhashed) =>
  `{"seq":${e.seq},"time":${JSON.stringify(e.time)},"type":${JSON.stringify(e.type)},` +
  `"data":${canonicalJson(e.data)},"prev":${JSON.stringify(e.prev)}}`;

export const sha256Hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** The finished entry and its line (without the newline). */
export function sealEntry(e: Unhashed): { entry: AuditEntry; line: string } {
  const b = body(e);
  const hash = sha256Hex(b);
  return { entry: { ...e, hash }, line: `${b.slice(0, -1)},"hash":"${hash}"}` };
}

const HEX64 = /^[0-9a-f]{64}$/;

function asEntry(v: unknown): AuditEntry | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const e = v as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(e.seq) &&
    typeof e.time === "string" &&
    (AUDIT_TYPES as readonly unknown[]).includes(e.type) &&
    "data" in e &&
    typeof e.prev === "string" &&
    HEX64.test(e.prev) &&
    typeof e.hash === "string" &&
    HEX64.test(e.hash);
  return ok ? (e as unknown as AuditEntry) : undefined;
}

/**
 * Check one line on its own: it parses, has the entry's shape, is byte-for-byte the canonical form
 * (so no byte can change without the bytes differing), and its hash matches. Returns the entry or why not.
 */
export function checkLine(bytes: Buffer): AuditEntry | string {
  const text = bytes.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "not valid JSON (edited or corrupted)";
  }
  const e = asEntry(parsed);
  if (!e) return "not an audit entry (needs seq, time, type, data, prev, hash)";
  const { entry, line } = sealEntry({ seq: e.seq, time: e.time, type: e.type, data: e.data, prev: e.prev });
  if (entry.hash !== e.hash) return "hash does not match the content: the entry was edited";
  if (!Buffer.from(line, "utf8").equals(bytes)) return "not in canonical form: the line was edited";
  return e;
}

export interface AuditAnchor {
  /** a head hash recorded earlier: an entry with this hash must still be in the log */
  expectHead?: string;
  /** at least this many entries (with expectHead: entry N must have that hash) */
  expectEntries?: number;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** entries that verified (all of them when ok) */
  entries: number;
  /** hash of the last good entry ("0"×64 for an empty log): record it as the next anchor */
  head: string;
  firstBad?: { line: number; reason: string };
}

/** Verify a whole log held in memory. */
export function verifyAuditBytes(buf: Buffer, anchor: AuditAnchor = {}): AuditVerifyResult {
  let prev = GENESIS_HASH;
  let count = 0;
  const hashes: string[] = [];
  const bad = (line: number, reason: string): AuditVerifyResult => ({
    ok: false,
    entries: count,
    head: prev,
    firstBad: { line, reason },
  });
  let start = 0;
  while (start < buf.length) {
    const line = count + 1;
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) return bad(line, "incomplete last line (no newline): torn write or truncated");
    const bytes = buf.subarray(start, nl);
    start = nl + 1;
    if (bytes.length === 0) return bad(line, "empty line (a line was removed or split)");
    const e = checkLine(bytes);
    if (typeof e === "string") return bad(line, e);
    if (e.prev !== prev)
      return bad(
        line,
        line === 1
          ? "first entry does not start the chain: earlier entries were removed"
          : `prev does not match line ${line - 1}'s hash: entries were deleted, inserted or reordered`,
      );
    if (e.seq !== line) return bad(line, `seq ${e.seq} where ${line} belongs: entries were renumbered`);
    prev = e.hash;
    hashes.push(e.hash);
    count++;
  }
  const { expectHead, expectEntries } = anchor;
  if (expectEntries !== undefined && count < expectEntries)
    return bad(
      count + 1,
      `log has ${count} entries, the anchor expects at least ${expectEntries}: trailing entries were removed`,
    );
  if (expectHead !== undefined) {
    const h = expectHead.toLowerCase();
    if (expectEntries !== undefined && expectEntries > 0) {
      if (hashes[expectEntries - 1] !== h)
        return bad(expectEntries, `hash of entry ${expectEntries} is not the anchored head ${h}`);
    } else if (h !== GENESIS_HASH && !hashes.includes(h))
      return bad(
        count + 1,
        `anchored head ${h} is not in the log: trailing entries were removed or replaced`,
      );
  }
  return { ok: true, entries: count, head: prev };
}
