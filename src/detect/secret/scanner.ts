import type { Severity } from "../../model/index.js";
import type { ContentHit, ContentScanner } from "../detector.js";
import { allowedBy, rerated, wantsFingerprints } from "./allow.js";
import { CHECKS } from "./checks.js";
import { shannonEntropy } from "./entropy.js";
import { matchPrivateKey } from "./keys.js";
import { maskSecret } from "./mask.js";
import { builtinSecretRules, type SecretRule, type SecretRulePack } from "./rules.js";
import { type FileMode, type RuleSet, RuleSets } from "./ruleset.js";
import { SNIFF, sniff } from "./sniff.js";

/**
 * The secret content scanner. Bytes stream through a fixed 80 KiB window: a 16 KiB history of what came
 * before plus up to 64 KiB of new data. Every time the window fills, the keyword prefilter
 * (keywords.ts) runs over the new part, rules are evaluated on a small region around each keyword hit
 * (its line, or a few KiB for PEM blocks), and the history slides. So memory per file is fixed, a
 * match spanning chunk boundaries is seen whole, and the outcome does not depend on how the input was
 * chunked (processing happens at the same absolute offsets whatever the chunk sizes).
 */

export interface SecretScannerOptions {
  rules?: SecretRulePack;
  /**
   * Files above this size are not scanned (default 256 MiB). Secrets hide in binaries too, so there is
   * no smaller cap for them; what is this big in an image is disk images, model weights, archives and
   * databases, where a raw byte scan costs ≈ 1 s per 300 MB and finds next to nothing.
   */
  maxFileBytes?: number;
  /** stop reading a file after this many findings in it (default 100) */
  maxHitsPerFile?: number;
}

/** A hit with the secret itself: internal only (the config scanner dedupes on it), never reported. */
export interface SecretHit extends ContentHit {
  secret: string;
  /** the rule's position in the pack (lower wins when two rules match one secret) */
  order: number;
}

interface Found extends SecretHit {
  /** absolute byte offset of the secret in the file */
  offset: number;
}

/** What leaves the scanner: the secret itself is dropped here, once. */
const publicHit = ({ id, kind, severity, title, line, match, evidence }: SecretHit): ContentHit => ({
  id,
  kind,
  severity,
  title,
  line,
  match,
  evidence,
});

const LINE_BEFORE = 1024;
const LINE_AFTER = 4096;
const BLOCK_AFTER = 8192;
const HISTORY = 16 * 1024; // ≥ LINE_BEFORE + BLOCK_AFTER + longest keyword
const PIECE = 64 * 1024;

function normalise(path: string): string {
  return path.replace(/^(?:\.?\/)+/, "");
}

export interface SecretScanner extends ContentScanner {
  /** like consume, but end() also returns the secrets (in-process callers that dedupe; never report them) */
  consumeWithSecrets(path: string): { write(chunk: Buffer): boolean; end(): SecretHit[] };
}

export function createSecretScanner(options: SecretScannerOptions = {}): SecretScanner {
  const pack = options.rules ?? builtinSecretRules();
  const env: Env = {
    pack,
    sets: new RuleSets(pack),
    fingerprints: wantsFingerprints(pack),
    maxHits: options.maxHitsPerFile ?? 100,
    pool: [],
  };
  const maxFileBytes = options.maxFileBytes ?? 256 << 20;
  return {
    name: "secret",
    version: 1,
    scope: "every-layer",
    wants: (_path, size) => size > 0 && size <= maxFileBytes,
    consume: (path) => {
      const c = new SecretConsumer(env, normalise(path));
      return { write: (chunk) => c.write(chunk), end: () => c.end().map(publicHit) };
    },
    consumeWithSecrets: (path) => new SecretConsumer(env, normalise(path)),
  };
}

interface Env {
  pack: SecretRulePack;
  sets: RuleSets;
  fingerprints: boolean;
  maxHits: number;
  /** reusable windows (each consumer takes one on its first write and returns it at end) */
  pool: Buffer[];
}

interface Job {
  rule: number;
  /** absolute offset of the keyword */
  at: number;
  len: number;
}

class SecretConsumer {
  private readonly gated: SecretRule[];
  private win: Buffer | undefined;
  private words: Uint32Array | undefined;
  /** absolute offset of win[0] and bytes valid in win */
  private winAbs = 0;
  private dataLen = 0;
  private mode: FileMode | "skip" | undefined;
  private set: RuleSet | undefined;
  /** keyword starts below this absolute offset have been reported */
  private scannedTo = 0;
  /** newlines in [0, lineAbs) */
  private lineAbs = 0;
  private lines = 0;
  private pending: Job[] = [];
  /** per rule: the last region evaluated, and whether its start/end were line breaks (not caps) */
  private readonly lastWindow = new Map<number, { start: number; end: number; natural: boolean }>();
  /** rule:offset of candidates already judged (regions overlap), with the offset for pruning */
  private seen = new Map<string, number>();
  private readonly found: Found[] = [];
  private requireBits = 0;
  private ruleBytes = 0;
  private stopped = false;

  constructor(
    private readonly env: Env,
    private readonly path: string,
  ) {
    this.gated = env.sets.gatedFor(path);
  }

  write(chunk: Buffer): boolean {
    if (this.stopped) return false;
    this.win ??= this.env.pool.pop() ?? Buffer.allocUnsafeSlow(HISTORY + PIECE);
    this.words ??= new Uint32Array(this.win.buffer, this.win.byteOffset, this.win.length >>> 2);
    const win = this.win;
    for (let off = 0; off < chunk.length && !this.stopped; ) {
      const n = Math.min(win.length - this.dataLen, chunk.length - off);
      chunk.copy(win, this.dataLen, off, off + n);
      this.dataLen += n;
      off += n;
      if (this.mode === undefined && this.dataLen >= SNIFF) this.decide();
      if (this.dataLen === win.length && !this.stopped) this.process(false);
    }
    return !this.stopped;
  }

  end(): SecretHit[] {
    if (this.win && !this.stopped) {
      if (this.mode === undefined) this.decide();
      if (!this.stopped) this.process(true);
    }
    if (this.win) this.env.pool.push(this.win);
    this.win = undefined;
    this.words = undefined;
    return this.finish();
  }

  private decide(): void {
    this.mode = sniff(this.win!.subarray(0, this.dataLen));
    if (this.mode === "skip") this.stopped = true;
    else this.set = this.env.sets.get(this.mode, this.gated);
  }

  private process(final: boolean): void {
    const set = this.set!;
    const win = this.win!;
    const dataEnd = this.winAbs + this.dataLen;
    const roundEnd = final ? dataEnd : dataEnd - set.index.maxLength - 1;
    const hits: [number, number][] = [];
    if (roundEnd > this.scannedTo) {
      set.index.scan(
        win,
        this.words!,
        this.scannedTo - this.winAbs,
        roundEnd - this.winAbs,
        this.dataLen,
        (k, s) => hits.push([s + this.winAbs, k]),
      );
      this.scannedTo = roundEnd;
    }
    hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const jobs = this.pending;
    for (const [at, k] of hits) {
      this.requireBits |= set.requireBit[k]!;
      const len = set.index.keywords[k]!.length;
      for (const rule of set.evaluate[k]!) jobs.push({ rule, at, len });
    }
    this.pending = [];
    for (const job of jobs) {
      if (this.stopped) break;
      if (!this.evaluate(job, dataEnd, final)) this.pending.push(job);
    }
    if (!final && !this.stopped) this.slide();
  }

  /** Keep the last HISTORY bytes at the start of the window, counting the newlines that leave it. */
  private slide(): void {
    const win = this.win!;
    const keepFrom = this.dataLen - HISTORY;
    if (this.mode === "text") this.lineAt(this.winAbs + keepFrom);
    win.copyWithin(0, keepFrom, this.dataLen);
    this.winAbs += keepFrom;
    this.dataLen = HISTORY;
    // candidates before the window cannot be met again: keep the dedupe set small
    if (this.seen.size > 4096) this.seen = new Map([...this.seen].filter(([, at]) => at >= this.winAbs));
  }

  /** Offset of the last line break in [from, to) (absolute), or -1; NUL also breaks lines in binaries. */
  private lastBreak(from: number, to: number): number {
    const region = this.win!.subarray(from - this.winAbs, to - this.winAbs);
    const at = Math.max(region.lastIndexOf(10), this.mode === "binary" ? region.lastIndexOf(0) : -1);
    return at === -1 ? -1 : from + at;
  }

  /** Offset of the first line break in [from, to) (absolute), or -1. */
  private firstBreak(from: number, to: number): number {
    const region = this.win!.subarray(from - this.winAbs, to - this.winAbs);
    let at = region.indexOf(10);
    if (this.mode === "binary") {
      const nul = region.indexOf(0);
      if (nul !== -1 && (at === -1 || nul < at)) at = nul;
    }
    return at === -1 ? -1 : from + at;
  }

  /** Runs one rule near one keyword hit; false when the region is not complete yet (more data needed). */
  private evaluate(job: Job, dataEnd: number, final: boolean): boolean {
    const set = this.set!;
    const rule = set.rules[job.rule]!;
    const win = this.win!;
    const hitEnd = job.at + job.len;
    // a line rule already ran on this hit's whole line (a capped region counts only well inside it)
    const last = this.lastWindow.get(job.rule);
    const margin = last?.natural ? 0 : 512;
    if (rule.context === "line" && last && last.start + margin <= job.at && hitEnd + margin <= last.end)
      return true;
    const floor = Math.max(this.winAbs, job.at - LINE_BEFORE);
    const lineBreak = this.lastBreak(floor, job.at);
    const start = lineBreak === -1 ? floor : lineBreak + 1;
    let natural = lineBreak !== -1 || start === 0;
    let end: number;
    if (rule.context === "block") {
      end = hitEnd + BLOCK_AFTER;
      if (end > dataEnd) {
        if (!final) return false;
        end = dataEnd;
      }
    } else {
      const cap = Math.min(dataEnd, hitEnd + LINE_AFTER);
      const nextBreak = this.firstBreak(hitEnd, cap);
      if (nextBreak === -1 && cap === dataEnd && cap < hitEnd + LINE_AFTER && !final) return false;
      end = nextBreak === -1 ? cap : nextBreak;
      natural &&= nextBreak !== -1 || (final && end === dataEnd);
    }
    const from = Math.max(start, job.at - (rule.before ?? LINE_BEFORE));
    this.lastWindow.set(job.rule, { start: from, end, natural });
    if (rule.confirm.length > 0) {
      const after = win.subarray(hitEnd - this.winAbs, end - this.winAbs);
      if (!rule.confirm.some((c) => after.includes(c, 0, "latin1"))) return true;
    }
    // work bound for adversarial input (a keyword every few bytes): rules may read at most 4 bytes per
    // byte of file (+16 MiB); a file past that is not read further
    this.ruleBytes += end - start;
    if (this.ruleBytes > 4 * dataEnd + (16 << 20)) this.stopped = true;
    const text = win.toString("latin1", start - this.winAbs, end - this.winAbs);
    if (rule.matcher === "private-key") this.privateKey(rule, text, start, job.at - start);
    else this.regex(rule, text, start, from - start);
    return true;
  }

  private privateKey(rule: SecretRule, text: string, base: number, at: number): void {
    const m = matchPrivateKey(text, at, this.env.fingerprints);
    // undetermined encryption is reported as unencrypted: the safe side
    if (!m || (m.encrypted ?? false) !== (rule.encrypted ?? false)) return;
    this.record(rule, base + m.index, m.body, m.detail, m.fingerprint);
  }

  /** All matches of the rule's regex in `text` from offset `from` on (`base`: absolute offset of text). */
  private regex(rule: SecretRule, text: string, base: number, from: number): void {
    const re = rule.regex!;
    re.lastIndex = from;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0] === "") re.lastIndex++;
      // JS forbids a group name twice, so a second alternative may name its secret `secret2`
      let secret = m.groups?.secret ?? m.groups?.secret2 ?? m[0];
      // the secret is the last thing a pattern captures (only delimiters and lookarounds follow it), so
      // its offset is found without the `d` flag, whose index arrays cost an allocation per match
      let at = base + m.index + m[0].lastIndexOf(secret);
      const q = secret[0];
      if ((q === '"' || q === "'") && secret.length >= 2 && secret.endsWith(q)) {
        secret = secret.slice(1, -1);
        at++;
      }
      const key = m.groups?.key;
      if (secret.length < rule.minLength) continue;
      if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) continue;
      if (rule.keyPattern && !(key && rule.keyPattern.test(key))) continue;
      if (rule.keyExclude && key && rule.keyExclude.test(key)) continue;
      if (!rule.checks.every((c) => CHECKS[c](secret))) continue;
      this.record(rule, at, secret, key ? `key ${JSON.stringify(key)}` : undefined);
    }
  }

  private record(rule: SecretRule, at: number, secret: string, detail?: string, fingerprint?: string): void {
    const dedupe = `${rule.order}:${at}`;
    if (this.seen.has(dedupe)) return;
    this.seen.set(dedupe, at);
    if (allowedBy(this.env.pack, { ruleId: rule.id, path: this.path, secret, fingerprint })) return;
    this.found.push({
      id: rule.id,
      kind: "secret",
      severity: rule.severity,
      title: rule.title,
      line: this.mode === "text" ? this.lineAt(at) : undefined,
      match: maskSecret(secret),
      evidence: `rule ${rule.id}${detail ? `: ${detail}` : ""}`,
      secret,
      order: rule.order,
      // absolute offset, for ordering and same-span dedupe in finish()
      offset: at,
    });
    if (this.found.length >= this.env.maxHits) this.stopped = true;
  }

  /** 1-based line of absolute offset `abs` (which must still be in the window). */
  private lineAt(abs: number): number {
    const win = this.win!;
    const count = (from: number, to: number): number => {
      let n = 0;
      const end = to - this.winAbs;
      for (let p = win.indexOf(10, from - this.winAbs); p !== -1 && p < end; p = win.indexOf(10, p + 1)) n++;
      return n;
    };
    if (abs >= this.lineAbs) {
      this.lines += count(this.lineAbs, abs);
      this.lineAbs = abs;
      return this.lines + 1;
    }
    return this.lines - count(abs, this.lineAbs) + 1;
  }

  private finish(): SecretHit[] {
    // nearly every file: the per-rule bookkeeping below would cost more than scanning a small file
    if (this.found.length === 0) return [];
    const set = this.set;
    let hits = this.found;
    if (set) {
      const required = new Map(set.rules.map((r, i) => [r.order, set.requiredBits[i]!]));
      hits = hits.filter((h) => {
        const bits = required.get(h.order) ?? 0;
        return (this.requireBits & bits) === bits;
      });
      const superseded = new Set(
        set.rules.filter((r) => hits.some((h) => h.order === r.order)).flatMap((r) => r.supersedes),
      );
      hits = hits.filter((h) => !superseded.has(h.id));
    }
    // one finding per secret: where two rules matched the same span, the one listed first in the pack wins
    const bySpan = new Map<string, Found>();
    for (const h of hits) {
      const k = `${h.offset}:${h.secret.length}`;
      const prev = bySpan.get(k);
      if (!prev || h.order < prev.order) bySpan.set(k, h);
    }
    return [...bySpan.values()]
      .sort((a, b) => a.offset - b.offset || a.order - b.order)
      .map(({ offset: _offset, ...h }) => this.rerate(h));
  }

  private rerate(h: SecretHit): SecretHit {
    const r = rerated(this.env.pack, h.id, this.path, h.severity as Severity);
    return r.by
      ? { ...h, severity: r.severity, evidence: `${h.evidence}; severity ${r.severity}: ${r.by.reason}` }
      : h;
  }
}
