import type { Location, Package } from "../../model/index.js";
import type { AnalyzerContext, StreamAnalyzer, StreamConsumer, StreamedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";
import { isGoBuildIdNote, parseElfNotes } from "./elf.js";
import {
  type ByteTap,
  type ExeFormat,
  type ExeLayout,
  fixedTap,
  headSize,
  looksExecutable,
  NeedleScanner,
  overlap,
  parseLayout,
  sniffExe,
  TapSet,
  vaToOffset,
} from "./exe.js";
import {
  BUILDINFO_ALIGN,
  BUILDINFO_MAGIC,
  decodeModinfo,
  type GoModule,
  isLocalPath,
  isPrintable,
  MAX_MODINFO,
  MODINFO_END,
  MODINFO_START,
  parseBuildInfoHeader,
  parseModinfo,
  readStringHeader,
  stdlibVersion,
} from "./go-buildinfo.js";

/**
 * Go executables (ELF, thin Mach-O, PE), read as they stream past: never buffered whole.
 *
 * 1. The first 64 KiB give the format and segment table. An ELF whose notes hold no Go build-id note
 *    is not a Go binary: dropped after its first chunk. (Limitation: a Go binary linked by an external
 *    linker with `-ldflags=-buildid=` has no such note and is missed.)
 * 2. The build-info blob is searched for at 16-byte-aligned offsets inside writable segments only (where
 *    the linker puts it; this also skips the magic as a string literal in read-only data, e.g. in `go`).
 * 3. Go ≥ 1.18: the version and module info follow the header inline — done, stop the feed.
 *    Older Go: the header holds addresses of string headers. Those usually sit in writable data just
 *    before or after the blob and the string bytes in read-only data earlier in the file, so while
 *    scanning we keep the writable bytes (≤ 2 MiB) and every `go1.` / modinfo-sentinel string seen in
 *    read-only data; what lies later is captured when the stream reaches it.
 */
export interface GoBinaryExtract {
  format: ExeFormat;
  /** toolchain version string as embedded, e.g. `go1.21.3` ("" if it could not be read) */
  goVersion: string;
  /** module info text without its sentinels ("" for binaries built without module support) */
  modinfo: string;
}

const MIN_SIZE = 512 * 1024; // the smallest real Go executables are > 1 MB
const RETAIN_MAX = 2 << 20;
const MAX_VERSION_CANDIDATES = 256;
const MAX_MODINFO_CANDIDATES = 2;
const MAX_HEADER_CANDIDATES = 3;
const GO1 = Buffer.from("go1.");

interface Stored {
  off: number;
  buf: Buffer;
}

function readStored(list: Stored[], off: number, len: number): Buffer | undefined {
  const out = Buffer.alloc(len);
  let covered = 0;
  for (const s of list) {
    const a = Math.max(off, s.off);
    const b = Math.min(off + len, s.off + s.buf.length);
    if (a < b) covered += s.buf.copy(out, a - off, a - s.off, b - s.off);
  }
  return covered === len ? out : undefined;
}

class GoConsumer implements StreamConsumer<GoBinaryExtract> {
  private head: Buffer;
  private headLen = 0;
  private layout?: ExeLayout;
  private done = false;
  private pos = 0;
  /** start offset of the chunk being processed: captures at or after it can still be fed */
  private chunkStart = 0;
  private searchEnd = 0;
  private readonly taps = new TapSet();
  private readonly magic = new NeedleScanner(BUILDINFO_MAGIC);
  private readonly go1 = new NeedleScanner(GO1);
  private readonly sentinel = new NeedleScanner(MODINFO_START);
  private retained: Stored[] = [];
  private retainedBytes = 0;
  private candidates: Stored[] = [];
  private versionCandidates = 0;
  private modinfoCandidates = 0;
  private headerCandidates = 0;
  /** a valid build-info header was found */
  private found = false;
  private waiting = 0;
  private version?: string;
  private modinfo?: string;

  constructor(size: number) {
    this.head = Buffer.alloc(headSize(size));
  }

  write(chunk: Buffer): boolean {
    if (this.done) return false;
    if (this.headLen < this.head.length) {
      const n = chunk.copy(this.head, this.headLen);
      this.headLen += n;
      if (this.headLen >= 4 && !sniffExe(this.head)) return this.stop(); // not an executable: fast skip
      if (this.headLen < this.head.length) return true;
      if (!this.start()) return this.stop();
      this.process(this.head, 0);
      if (n < chunk.length && !this.done) this.process(chunk.subarray(n), this.head.length);
      return !this.done;
    }
    this.process(chunk, this.pos);
    return !this.done;
  }

  end(): GoBinaryExtract | undefined {
    this.taps.close();
    if (!this.layout || !this.found || (!this.version && !this.modinfo)) return undefined;
    return { format: this.layout.format, goVersion: this.version ?? "", modinfo: this.modinfo ?? "" };
  }

  private stop(): false {
    this.done = true;
    this.retained = [];
    this.candidates = [];
    return false;
  }

  private start(): boolean {
    const layout = parseLayout(this.head);
    if (!layout) return false;
    const writable = layout.segments.filter((s) => s.writable);
    if (writable.length === 0) return false;
    if (layout.format === "elf" && layout.notes?.length) {
      let goNote = false;
      let unread = false;
      for (const n of layout.notes) {
        if (n.off + n.size > this.head.length) unread = true;
        else if (
          parseElfNotes(this.head.subarray(n.off, n.off + n.size), layout.bigEndian).some(isGoBuildIdNote)
        )
          goNote = true;
      }
      if (!goNote && !unread) return false;
    }
    this.layout = layout;
    this.searchEnd = Math.max(...writable.map((s) => s.fileOff + s.fileSize));
    return true;
  }

  private process(chunk: Buffer, pos: number): void {
    const layout = this.layout!;
    this.chunkStart = pos;
    if (!this.found) {
      for (const s of layout.segments) {
        const o = overlap(pos, chunk.length, s.fileOff, s.fileSize);
        if (!o) continue;
        const part = chunk.subarray(o[0], o[1]);
        const at = pos + o[0];
        if (s.writable) {
          if (this.retainedBytes < RETAIN_MAX) {
            const keep = part.subarray(0, RETAIN_MAX - this.retainedBytes);
            this.retained.push({ off: at, buf: Buffer.from(keep) });
            this.retainedBytes += keep.length;
          }
          this.magic.scan(part, at, (off) => this.onMagic(off, pos));
        } else {
          this.go1.scan(part, at, (off) => this.onVersionCandidate(off, pos));
          this.sentinel.scan(part, at, (off) => this.onModinfoCandidate(off, pos));
        }
      }
    }
    this.taps.feed(chunk, pos);
    this.pos = pos + chunk.length;
    if (this.found ? this.waiting === 0 : this.pos >= this.searchEnd && this.headerCandidates === 0)
      this.stop();
  }

  /** a tap whose first bytes (before `pos`, inside the needle just matched) are already known */
  private addTap(off: number, needle: Buffer, pos: number, tap: ByteTap): void {
    if (off < pos) tap.feed(needle.subarray(0, pos - off));
    tap.next = Math.max(off, pos);
    this.taps.add(tap);
  }

  private onMagic(off: number, pos: number): void {
    if (off % BUILDINFO_ALIGN !== 0 || this.headerCandidates >= MAX_HEADER_CANDIDATES) return;
    this.headerCandidates++;
    let parts: Buffer[] = [];
    let len = 0;
    let need = 32;
    const finish = () => {
      this.headerCandidates--;
      return false;
    };
    this.addTap(off, BUILDINFO_MAGIC, pos, {
      next: off,
      feed: (piece) => {
        if (this.found) return finish();
        let p = piece;
        while (p.length > 0) {
          const take = p.subarray(0, need - len);
          parts.push(Buffer.from(take));
          len += take.length;
          p = p.subarray(take.length);
          if (len < need) continue;
          const joined = Buffer.concat(parts);
          parts = [joined];
          const h = parseBuildInfoHeader(joined);
          if (h.kind === "more") {
            need = h.need;
            continue;
          }
          if (h.kind === "invalid") return finish();
          this.found = true;
          if (h.kind === "inline") {
            this.version = h.version;
            this.modinfo = h.modinfo;
          } else this.chasePointers(h.ptrSize, h.bigEndian, h.versionAddr, h.modinfoAddr);
          return finish();
        }
        return true;
      },
      lost: () => {
        this.headerCandidates--;
      },
    });
  }

  private onVersionCandidate(off: number, pos: number): void {
    if (this.versionCandidates >= MAX_VERSION_CANDIDATES) return;
    this.versionCandidates++;
    const tap = fixedTap(off, 64, (b) => {
      if (b) this.candidates.push({ off, buf: b });
    });
    this.addTap(off, GO1, pos, tap);
  }

  private onModinfoCandidate(off: number, pos: number): void {
    if (this.modinfoCandidates >= MAX_MODINFO_CANDIDATES) return;
    this.modinfoCandidates++;
    const parts: Buffer[] = [];
    let len = 0;
    const end = new NeedleScanner(MODINFO_END);
    let endAt = -1;
    this.addTap(off, MODINFO_START, pos, {
      next: off,
      feed: (piece) => {
        end.scan(piece, off + len, (e) => {
          if (endAt < 0 && e >= off + 16) endAt = e + 16;
        });
        const take = endAt >= 0 ? piece.subarray(0, Math.max(0, endAt - off - len)) : piece;
        parts.push(Buffer.from(take));
        len += take.length;
        if (endAt >= 0 && off + len >= endAt) {
          this.candidates.push({ off, buf: Buffer.concat(parts) });
          return false;
        }
        return len <= MAX_MODINFO + 32;
      },
    });
  }

  /** Pre-1.18 layout: follow the addresses of the two string headers. */
  private chasePointers(ptrSize: 4 | 8, be: boolean, versionAddr: number, modinfoAddr: number): void {
    const str = (addr: number, max: number, use: (b: Buffer | undefined) => void) =>
      this.bytesAt(addr, 2 * ptrSize, (hdr) => {
        const h = hdr && readStringHeader(hdr, ptrSize, be);
        if (!h || h.len > max) use(undefined);
        else this.bytesAt(h.addr, h.len, use);
      });
    str(versionAddr, 256, (b) => {
      const v = b?.toString("latin1");
      if (v && isPrintable(v)) this.version = v;
    });
    str(modinfoAddr, MAX_MODINFO + 32, (b) => {
      if (b) this.modinfo = decodeModinfo(b);
    });
  }

  /** bytes at a virtual address: from what was kept, or captured when the stream gets there */
  private bytesAt(va: number, len: number, use: (b: Buffer | undefined) => void): void {
    const off = vaToOffset(this.layout!, va);
    const kept =
      off === undefined
        ? undefined
        : len === 0
          ? Buffer.alloc(0)
          : (readStored(this.retained, off, len) ?? readStored(this.candidates, off, len));
    // unmapped, or passed before we knew we needed it: lost
    if (kept || off === undefined || off < this.chunkStart) {
      use(kept);
      return;
    }
    this.waiting++;
    this.taps.add(
      fixedTap(off, len, (b) => {
        this.waiting--;
        use(b);
      }),
    );
  }
}

function modulePurl(path: string, version?: string): string {
  const slash = path.lastIndexOf("/");
  return buildPurl({
    type: "golang",
    namespace: slash > 0 ? path.slice(0, slash) : undefined,
    name: slash > 0 ? path.slice(slash + 1) : path,
    version,
  });
}

type Meta = Record<string, string | number | boolean>;

function pkg(name: string, version: string, location: Location, metadata: Meta, purlVersion = true): Package {
  const purl = modulePurl(name, purlVersion ? version : undefined);
  return {
    id: packageId(purl, location),
    ecosystem: "Go",
    name,
    version,
    purl,
    type: "golang",
    locations: [location],
    licenses: [],
    metadata,
  };
}

const DEVEL = "(devel)";

/** Packages of one binary: the toolchain as `stdlib`, the main module, every dependency. */
export function goPackages(file: StreamedFile<GoBinaryExtract>, ctx: AnalyzerContext): Package[] {
  const where = `go-binary: ${file.path}`;
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  const info = parseModinfo(file.result.modinfo);
  for (const e of info.errors) ctx.warn(`${where}: module info ${e}`);
  const goVersion = file.result.goVersion;
  const settings: Meta = {};
  for (const [k, v] of info.settings) settings[`build:${k}`] = v;
  const out: Package[] = [];
  const base: Meta = goVersion ? { goVersion } : {};
  if (info.path) base.mainPath = info.path;
  const std = goVersion ? stdlibVersion(goVersion) : undefined;
  if (std) out.push(pkg("stdlib", std, location, { ...base, ...settings }));
  else
    ctx.warn(
      goVersion
        ? `${where}: Go toolchain version "${goVersion}" is not a release; stdlib not listed`
        : `${where}: Go toolchain version unreadable; stdlib not listed`,
    );
  if (info.main) {
    const m = info.main;
    const devel = m.version === DEVEL || m.version === "";
    out.push(
      pkg(
        m.path,
        devel ? DEVEL : m.version,
        location,
        { ...base, ...settings, mainModule: true, ...(devel ? { devel } : {}) },
        !devel,
      ),
    );
  }
  for (const dep of info.deps) out.push(depPackage(dep, location, goVersion));
  return out;
}

function depPackage(dep: GoModule, location: Location, goVersion: string): Package {
  const meta: Meta = goVersion ? { goVersion } : {};
  const r = dep.replace;
  if (!r) return pkg(dep.path, dep.version, location, dep.sum ? { ...meta, sum: dep.sum } : meta);
  if (isLocalPath(r.path) || r.version === "" || r.version === DEVEL) {
    // replaced by a directory: the code is whatever was there, not the required version
    return pkg(
      dep.path,
      DEVEL,
      location,
      { ...meta, devel: true, replacedBy: r.path, originalVersion: dep.version },
      false,
    );
  }
  return pkg(r.path, r.version, location, {
    ...meta,
    ...(r.sum ? { sum: r.sum } : {}),
    replaces: `${dep.path}@${dep.version}`,
  });
}

export const goBinaryAnalyzer: StreamAnalyzer<GoBinaryExtract> = {
  name: "go-binary",
  version: 1,
  wants: (path, size, mode) => size >= MIN_SIZE && looksExecutable(path, mode),
  consume: (_path, size) => new GoConsumer(size),
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...goPackages(f, ctx));
      } catch (e) {
        ctx.warn(`go-binary: ${f.path}: unreadable build info (${(e as Error).message})`);
      }
    }
    return out;
  },
};
