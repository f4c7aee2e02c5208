import { constants, inflateSync } from "node:zlib";
import type { Location, Package } from "../../model/index.js";
import type { AnalyzerContext, StreamAnalyzer, StreamConsumer, StreamedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";
import { isGoBuildIdNote, parseElfNotes } from "./elf.js";
import {
  type ByteTap,
  headSize,
  looksExecutable,
  NeedleScanner,
  overlap,
  parseLayout,
  sniffExe,
  TapSet,
} from "./exe.js";

/**
 * Rust executables built with `cargo auditable`: a `.dep-v0` section holding zlib-compressed JSON
 * `{"packages":[{name, version, source, kind?, dependencies?, root?}], "format"?}` (cargo-auditable's
 * PARSING.md and JSON schema).
 *
 * cargo-auditable adds the section without SHF_ALLOC, so in ELF it lies after every loaded segment and
 * before the section header table — and the section table itself comes after it, too late to locate it
 * in a stream. So, reading the ELF program headers at the start of the file, we look only at the bytes
 * between the end of the last PT_LOAD segment and e_shoff, try every zlib header there and keep the one
 * whose start inflates to that JSON. Mach-O and PE binaries (section inside loaded data) are not read.
 */
export interface RustAuditExtract {
  json: string;
}

const MIN_SIZE = 16 * 1024;
/** inputs sizes at which a candidate is tried, then every 4 KiB */
const PROBES = [128, 512, 2048];
const PROBE_MAX = 2048;
const MAX_COMPRESSED = 1 << 20;
/** PARSING.md: "8 MiB should be more than enough to hold any legitimate audit data" */
const MAX_JSON = 8 << 20;
const MAX_ACTIVE = 16;
const MAX_TRIES = 1 << 20; // unstripped binaries have many zlib-looking byte pairs in debug info
// 0x78 = deflate with a 32 KiB window; the second byte makes the 16-bit header a multiple of 31 (RFC 1950)
const ZLIB_HEADERS = [0x01, 0x5e, 0x9c, 0xda].map((f) => Buffer.from([0x78, f]));
const JSON_START = /^\s*\{\s*"(?:packages|format)"\s*:/;

/** The audit JSON if `b` starts with a complete zlib stream of it; "more" if it may once longer; else "no". */
export function inflateAudit(b: Buffer, final: boolean): string | "more" | "no" {
  if (b.length < 3) return final ? "no" : "more";
  if (((b[2]! >> 1) & 3) === 3) return "no"; // first deflate block of reserved type 3
  let head: Buffer;
  try {
    // a short look first: junk can inflate a long way before it fails
    head = inflateSync(b.subarray(0, PROBE_MAX), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: 1 << 20,
    });
  } catch {
    return "no";
  }
  // serde writes the object with no leading whitespace
  if (head.length > 0 && head[0] !== 0x7b) return "no";
  if (!JSON_START.test(head.toString("latin1", 0, 64))) return head.length < 16 && !final ? "more" : "no";
  try {
    return inflateSync(b, { maxOutputLength: MAX_JSON }).toString("utf8");
  } catch {
    return final ? "no" : "more"; // truncated so far
  }
}

class RustConsumer implements StreamConsumer<RustAuditExtract> {
  private head: Buffer;
  private headLen = 0;
  private done = false;
  private pos = 0;
  private regionStart = 0;
  private regionEnd = 0;
  private readonly scanners = ZLIB_HEADERS.map((h) => new NeedleScanner(h));
  private readonly taps = new TapSet();
  private active = 0;
  private tries = 0;
  private json?: string;

  constructor(private readonly size: number) {
    this.head = Buffer.alloc(headSize(size));
  }

  write(chunk: Buffer): boolean {
    if (this.done) return false;
    if (this.headLen < this.head.length) {
      const n = chunk.copy(this.head, this.headLen);
      this.headLen += n;
      if (this.headLen >= 4 && sniffExe(this.head) !== "elf") return this.stop();
      if (this.headLen < this.head.length) return true;
      if (!this.start()) return this.stop();
      this.process(this.head, 0);
      if (n < chunk.length && !this.done) this.process(chunk.subarray(n), this.head.length);
      return !this.done;
    }
    this.process(chunk, this.pos);
    return !this.done;
  }

  end(): RustAuditExtract | undefined {
    this.taps.close(); // a candidate cut short by the end of the file gets its last try
    return this.json === undefined ? undefined : { json: this.json };
  }

  private stop(): false {
    this.done = true;
    return false;
  }

  private start(): boolean {
    const layout = parseLayout(this.head);
    if (layout?.format !== "elf" || layout.segments.length === 0) return false;
    for (const n of layout.notes ?? [])
      if (
        n.off + n.size <= this.head.length &&
        parseElfNotes(this.head.subarray(n.off, n.off + n.size), layout.bigEndian).some(isGoBuildIdNote)
      )
        return false; // a Go binary
    this.regionStart = Math.max(...layout.segments.map((s) => s.fileOff + s.fileSize));
    const shoff = layout.shoff ?? 0;
    this.regionEnd = shoff > this.regionStart ? shoff : this.size;
    return this.regionStart < this.regionEnd;
  }

  private process(chunk: Buffer, pos: number): void {
    const o = overlap(pos, chunk.length, this.regionStart, this.regionEnd - this.regionStart);
    if (o && this.json === undefined) {
      const part = chunk.subarray(o[0], o[1]);
      for (const s of this.scanners) s.scan(part, pos + o[0], (off) => this.onCandidate(off, s.needle, pos));
    }
    this.taps.feed(chunk, pos);
    this.pos = pos + chunk.length;
    if (this.json !== undefined || (this.pos >= this.regionEnd && this.active === 0)) this.stop();
  }

  private onCandidate(off: number, needle: Buffer, pos: number): void {
    if (this.json !== undefined || this.active >= MAX_ACTIVE || this.tries >= MAX_TRIES) return;
    this.active++;
    this.tries++;
    let parts: Buffer[] = [];
    let len = 0;
    let lastTry = 0;
    let probe = 0;
    const limit = Math.min(MAX_COMPRESSED, this.regionEnd - off);
    const attempt = (final: boolean): boolean => {
      lastTry = len;
      const joined = Buffer.concat(parts);
      parts = [joined];
      const r = inflateAudit(joined, final || len >= limit);
      if (r === "more" && !final && len < limit) return true;
      this.active--;
      if (r !== "more" && r !== "no" && this.json === undefined) this.json = r;
      return false;
    };
    const tap: ByteTap = {
      next: off,
      feed: (piece) => {
        if (this.json !== undefined) {
          this.active--;
          return false;
        }
        // look at 128, 512, 2048 bytes, then every further 4 KiB, and at the region's end; copy only
        // up to the next look, so a candidate that fails early never copied much
        let p = piece;
        while (p.length > 0) {
          const due = Math.min(limit, probe < PROBES.length ? PROBES[probe]! : lastTry + 4096);
          const take = p.subarray(0, due - len);
          parts.push(Buffer.from(take));
          len += take.length;
          p = p.subarray(take.length);
          if (len < due) return true;
          while (probe < PROBES.length && len >= PROBES[probe]!) probe++;
          if (!attempt(false)) return false;
        }
        return true;
      },
      lost: () => {
        attempt(true);
      },
    };
    if (off < pos) tap.feed(needle.subarray(0, pos - off));
    tap.next = Math.max(off, pos);
    this.taps.add(tap);
  }
}

interface AuditPackage {
  name: string;
  version: string;
  source: string;
  build: boolean;
  root: boolean;
}

/** Validate the decoded JSON; entries without a string name/version are reported and skipped. */
export function parseAuditJson(json: string, warn: (m: string) => void): AuditPackage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    warn(`audit data is not JSON (${(e as Error).message})`);
    return [];
  }
  const list = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) {
    warn("audit data has no packages array");
    return [];
  }
  const out: AuditPackage[] = [];
  list.forEach((p: unknown, i) => {
    const e = (p ?? {}) as Record<string, unknown>;
    if (typeof e.name !== "string" || typeof e.version !== "string" || !e.name || !e.version) {
      warn(`audit data package ${i}: no name/version; skipped`);
      return;
    }
    const src = e.source;
    const other = src && typeof src === "object" ? (src as { Other?: unknown }).Other : undefined;
    out.push({
      name: e.name,
      version: e.version,
      source: typeof src === "string" ? src : typeof other === "string" ? other : "unknown",
      build: e.kind === "build",
      root: e.root === true,
    });
  });
  return out;
}

export function rustPackages(file: StreamedFile<RustAuditExtract>, ctx: AnalyzerContext): Package[] {
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  const seen = new Set<string>();
  const out: Package[] = [];
  for (const p of parseAuditJson(file.result.json, (m) => ctx.warn(`rust-auditable: ${file.path}: ${m}`))) {
    const purl = buildPurl({ type: "cargo", name: p.name, version: p.version });
    if (seen.has(purl)) continue;
    seen.add(purl);
    out.push({
      id: packageId(purl, location),
      ecosystem: "crates.io",
      name: p.name,
      version: p.version,
      purl,
      type: "cargo",
      locations: [location],
      licenses: [],
      metadata: {
        source: p.source,
        // build-time only (build scripts, proc-macros): compiled into the build, not into this binary
        ...(p.build ? { kind: "build" } : {}),
        ...(p.root ? { root: true } : {}),
      },
    });
  }
  return out;
}

export const rustAuditableAnalyzer: StreamAnalyzer<RustAuditExtract> = {
  name: "rust-auditable",
  version: 1,
  wants: (path, size, mode) => size >= MIN_SIZE && looksExecutable(path, mode),
  consume: (_path, size) => new RustConsumer(size),
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...rustPackages(f, ctx));
      } catch (e) {
        ctx.warn(`rust-auditable: ${f.path}: unreadable audit data (${(e as Error).message})`);
      }
    }
    return out;
  },
};
