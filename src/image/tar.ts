import { inputError } from "../model/index.js";

/**
 * A streaming tar reader written for layer walking: headers are parsed in place, file bodies are handed
 * to the caller chunk by chunk (or skipped without copying), so no entry is ever buffered unless asked.
 * Handles ustar, GNU long names/links (L/K), PAX extended headers (x/g), base-256 sizes and sparse
 * markers. tar-stream builds a Readable per entry; at ~100k entries per layer that costs more than the
 * gunzip itself, which is why this exists (see bench/).
 */

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "other";

export interface TarHeader {
  path: string;
  type: TarEntryType;
  /** bytes of data that follow in the archive */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  /** GNU/PAX sparse file: the stored data is not the file's content */
  sparse: boolean;
}

/** What the consumer wants from an entry's body: nothing, or every chunk in order. */
export interface EntryBodySink {
  data(chunk: Buffer): void;
  end(): void;
}

export type OnEntry = (header: TarHeader) => EntryBodySink | undefined;

const BLOCK = 512;

function readString(buf: Buffer, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString("utf8", off, end);
}

function readNumber(buf: Buffer, off: number, len: number): number {
  const first = buf[off]!;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement in the remaining bytes
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + buf[i]!;
    if (first & 0x40 || !Number.isSafeInteger(v)) return Number.NaN;
    return v + (first & 0x3f) * 256 ** (len - 1);
  }
  const s = readString(buf, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) return Number.NaN;
  return Number.parseInt(s, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = readNumber(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
  S: "file",
};

interface RawHeader {
  name: string;
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
}

/** Parse one 512-byte header block; undefined for an all-zero (end-of-archive) block. */
export function parseHeaderBlock(block: Buffer, where: string): RawHeader | undefined {
  if (block.every((b) => b === 0)) return undefined;
  if (!checksumOk(block))
    throw inputError(`${where}: not a tar archive or corrupt tar header (bad checksum)`);
  const magic = block.toString("latin1", 257, 263);
  let name = readString(block, 0, 100);
  if (magic.startsWith("ustar")) {
    const prefix = readString(block, 345, magic === "ustar\0" ? 155 : 131);
    if (prefix) name = `${prefix}/${name}`;
  }
  const size = readNumber(block, 124, 12);
  if (!Number.isSafeInteger(size) || size < 0)
    throw inputError(`${where}: tar header for "${name}" has an invalid size`);
  return {
    name,
    typeflag: String.fromCharCode(block[156]!),
    size,
    mode: readNumber(block, 100, 8) || 0,
    uid: readNumber(block, 108, 8) || 0,
    gid: readNumber(block, 116, 8) || 0,
    linkname: readString(block, 157, 100),
  };
}

/** PAX records: "<len> key=value\n" repeated. Malformed records end the parse (the spec has no recovery). */
export function parsePax(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number.parseInt(buf.toString("latin1", off, sp), 10);
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > buf.length) break;
    const rec = buf.toString("utf8", sp + 1, off + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

// Metadata entries (PAX, GNU long names) are buffered; cap them so a hostile header cannot allocate GBs.
const MAX_META = 1 << 20;

/** Streaming tar parser: feed chunks with `write`, call `end` at EOF. */
export class TarReader {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private state: "header" | "body" | "meta" | "pad" | "done" = "header";
  private remaining = 0;
  private padding = 0;
  private sink: EntryBodySink | undefined;
  private metaKind = "";
  private pax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private zeroBlocks = 0;
  private offset = 0;

  constructor(
    private readonly onEntry: OnEntry,
    private readonly where: string,
  ) {}

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== "done") {
      if (this.state === "body") {
        const n = Math.min(this.remaining, chunk.length - pos);
        if (this.sink) this.sink.data(n === chunk.length && pos === 0 ? chunk : chunk.subarray(pos, pos + n));
        this.remaining -= n;
        pos += n;
        if (this.remaining === 0) this.finishBody();
        continue;
      }
      if (this.state === "pad") {
        const n = Math.min(this.padding, chunk.length - pos);
        this.padding -= n;
        pos += n;
        if (this.padding === 0) this.state = "header";
        continue;
      }
      // header or meta: accumulate exactly the bytes needed
      const need = this.state === "header" ? BLOCK : this.remaining;
      const n = Math.min(need - this.pendingLen, chunk.length - pos);
      this.pending.push(chunk.subarray(pos, pos + n));
      this.pendingLen += n;
      pos += n;
      if (this.pendingLen === need) {
        const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, need);
        this.pending = [];
        this.pendingLen = 0;
        if (this.state === "header") this.onHeader(buf);
        else this.onMeta(buf);
      }
    }
    this.offset += chunk.length;
  }

  end(): void {
    if (this.state === "done") return;
    // A stream that stops at a header boundary without end blocks is accepted (GNU tar does too);
    // stopping inside a header or an entry body is truncation.
    if (this.state === "header" && this.pendingLen === 0) return;
    if (this.state === "pad" && this.zeroBlocks === 0) return;
    throw inputError(`${this.where}: truncated tar archive (ended inside an entry at byte ${this.offset})`);
  }

  private finishBody(): void {
    this.sink?.end();
    this.sink = undefined;
    this.enterPad();
  }

  private enterPad(): void {
    this.state = this.padding > 0 ? "pad" : "header";
  }

  private onHeader(block: Buffer): void {
    const raw = parseHeaderBlock(block, this.where);
    if (!raw) {
      if (++this.zeroBlocks >= 2) this.state = "done";
      return;
    }
    this.zeroBlocks = 0;
    this.padding = (BLOCK - (raw.size % BLOCK)) % BLOCK;
    const t = raw.typeflag;
    if (t === "x" || t === "g" || t === "L" || t === "K") {
      if (raw.size > MAX_META)
        throw inputError(`${this.where}: tar metadata entry of ${raw.size} bytes is too large`);
      this.metaKind = t;
      this.remaining = raw.size;
      if (raw.size === 0) this.enterPad();
      else this.state = "meta";
      return;
    }
    const pax = this.pax;
    const header: TarHeader = {
      path: this.longName ?? pax.get("path") ?? raw.name,
      type: TYPES[t] ?? "other",
      size: raw.size,
      mode: raw.mode,
      uid: raw.uid,
      gid: raw.gid,
      linkname: this.longLink ?? pax.get("linkpath") ?? raw.linkname,
      sparse: t === "S" || pax.has("GNU.sparse.major") || pax.has("GNU.sparse.size"),
    };
    const paxSize = pax.get("size");
    if (paxSize !== undefined) {
      const n = Number(paxSize);
      if (!Number.isSafeInteger(n) || n < 0)
        throw inputError(`${this.where}: invalid PAX size for "${header.path}"`);
      header.size = n;
      this.padding = (BLOCK - (n % BLOCK)) % BLOCK;
    }
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    // Only regular files carry data we hand out; anything else with a size is skipped.
    this.sink = this.onEntry(header);
    this.remaining = header.size;
    if (header.size === 0) {
      this.sink?.end();
      this.sink = undefined;
      this.enterPad();
    } else this.state = "body";
  }

  private onMeta(buf: Buffer): void {
    if (this.metaKind === "x") for (const [k, v] of parsePax(buf)) this.pax.set(k, v);
    else if (this.metaKind === "L") this.longName = readString(buf, 0, buf.length);
    else if (this.metaKind === "K") this.longLink = readString(buf, 0, buf.length);
    // "g" (global) headers only carry defaults we do not use
    this.enterPad();
  }
}

/** Read an async byte source through a TarReader. */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: OnEntry, where: string): Promise<void> {
  const reader = new TarReader(onEntry, where);
  for await (const chunk of source) reader.write(chunk);
  reader.end();
}
