import { parseElfLayout } from "./elf.js";
import { parseMachoLayout } from "./macho.js";
import { parsePeLayout } from "./pe.js";

/**
 * What the streaming binary analyzers need to know about an executable, read from its first bytes only
 * (ELF program headers, Mach-O load commands and PE section tables all sit at the start of the file):
 * which file ranges are loaded where, and which of them are writable data.
 */
export interface Segment {
  fileOff: number;
  fileSize: number;
  vaddr: number;
  writable: boolean;
}

export interface ExeLayout {
  format: "elf" | "macho" | "pe";
  bigEndian: boolean;
  segments: Segment[];
  /** ELF: PT_NOTE file ranges */
  notes?: { off: number; size: number }[];
  /** ELF: file offset of the section header table (0 = none) */
  shoff?: number;
}

/** Bytes of the file start the layout parsers look at; headers past this are treated as unreadable. */
export const HEAD_BYTES = 64 * 1024;

export type ExeFormat = ExeLayout["format"];

/** The container format from the first 4 bytes, or undefined for anything else (scripts, data, fat Mach-O). */
export function sniffExe(b: Buffer): ExeFormat | undefined {
  if (b.length < 4) return undefined;
  if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return "elf";
  const m = b.readUInt32LE(0);
  if (m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe) return "macho";
  if (b[0] === 0x4d && b[1] === 0x5a) return "pe";
  return undefined;
}

/** Parse the header tables held in `head` (the first bytes of the file). Never throws. */
export function parseLayout(head: Buffer): ExeLayout | undefined {
  try {
    switch (sniffExe(head)) {
      case "elf":
        return parseElfLayout(head);
      case "macho":
        return parseMachoLayout(head);
      case "pe":
        return parsePeLayout(head);
      default:
        return undefined;
    }
  } catch {
    return undefined; // a table running past `head`: RangeError from the Buffer readers
  }
}

/** File offset of virtual address `va`, or undefined when no segment maps it from file bytes. */
export function vaToOffset(layout: ExeLayout, va: number): number | undefined {
  for (const s of layout.segments)
    if (va >= s.vaddr && va < s.vaddr + s.fileSize) return s.fileOff + (va - s.vaddr);
  return undefined;
}

/** A 64-bit field as a number, or -1 when it cannot be an offset/address in a real file. */
export function u64(b: Buffer, off: number, be: boolean): number {
  const v = be ? b.readBigUInt64BE(off) : b.readBigUInt64LE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

export const u32 = (b: Buffer, off: number, be: boolean): number =>
  be ? b.readUInt32BE(off) : b.readUInt32LE(off);
export const u16 = (b: Buffer, off: number, be: boolean): number =>
  be ? b.readUInt16BE(off) : b.readUInt16LE(off);

/**
 * Finds every occurrence of `needle` in a byte stream fed chunk by chunk, including occurrences that
 * straddle chunk boundaries. Only the last `needle.length - 1` bytes are kept between calls.
 */
export class NeedleScanner {
  private tail: Buffer = Buffer.alloc(0);
  private tailEnd = -1;
  constructor(readonly needle: Buffer) {}

  /** `chunk` holds the stream bytes at [pos, pos + chunk.length); calls `hit` with absolute offsets */
  scan(chunk: Buffer, pos: number, hit: (off: number) => void): void {
    const n = this.needle.length;
    if (this.tailEnd === pos && this.tail.length > 0) {
      // occurrences starting in the kept tail and ending in this chunk
      const joined = Buffer.concat([this.tail, chunk.subarray(0, n - 1)]);
      const start = pos - this.tail.length;
      for (
        let i = joined.indexOf(this.needle);
        i !== -1 && i < this.tail.length;
        i = joined.indexOf(this.needle, i + 1)
      )
        hit(start + i);
    } else this.tail = Buffer.alloc(0);
    for (let i = chunk.indexOf(this.needle); i !== -1; i = chunk.indexOf(this.needle, i + 1)) hit(pos + i);
    const keep = n - 1;
    this.tail =
      chunk.length >= keep
        ? Buffer.from(chunk.subarray(chunk.length - keep))
        : Buffer.concat([this.tail, chunk]).subarray(-keep);
    this.tailEnd = pos + chunk.length;
  }
}

/** Overlap of the stream chunk [pos, pos+len) with the file range [off, off+size), as chunk indices. */
export function overlap(pos: number, len: number, off: number, size: number): [number, number] | undefined {
  const a = Math.max(pos, off);
  const b = Math.min(pos + len, off + size);
  return a < b ? [a - pos, b - pos] : undefined;
}

/** A consumer of the stream bytes from absolute offset `next` on. */
export interface ByteTap {
  next: number;
  /** bytes starting at `next`; return false when done */
  feed(piece: Buffer): boolean;
  /** the bytes it waited for are gone (passed before it was added, or the stream ended) */
  lost?(): void;
}

/** Taps waiting for stream bytes at known offsets (captures of a later part of the file). */
export class TapSet {
  private taps: ByteTap[] = [];

  get size(): number {
    return this.taps.length;
  }

  add(t: ByteTap): void {
    this.taps.push(t);
  }

  /** Hand chunk [pos, pos+len) to every tap that wants part of it; taps added meanwhile are fed too. */
  feed(chunk: Buffer, pos: number): void {
    const end = pos + chunk.length;
    for (let progress = true; progress; ) {
      progress = false;
      for (const t of [...this.taps]) {
        if (t.next >= end) continue;
        if (t.next < pos) {
          this.drop(t);
          t.lost?.();
          continue;
        }
        const piece = chunk.subarray(t.next - pos);
        t.next = end;
        progress = true;
        if (!t.feed(piece)) this.drop(t);
      }
    }
  }

  /** the stream ended: every tap still waiting is lost */
  close(): void {
    const left = this.taps;
    this.taps = [];
    for (const t of left) t.lost?.();
  }

  private drop(t: ByteTap): void {
    const i = this.taps.indexOf(t);
    if (i >= 0) this.taps.splice(i, 1);
  }
}

/** A tap collecting exactly `len` bytes from `off`, then calling `done` (or `done(undefined)` if lost). */
export function fixedTap(off: number, len: number, done: (b: Buffer | undefined) => void): ByteTap {
  const buf = Buffer.alloc(len);
  let got = 0;
  return {
    next: off,
    feed(piece) {
      got += piece.copy(buf, got, 0, Math.min(piece.length, len - got));
      if (got < len) return true;
      done(buf);
      return false;
    },
    lost: () => done(undefined),
  };
}

/** Does the first part of the file hold every header the layout parsers need? (≥ 4 bytes sniffed) */
export function headSize(fileSize: number): number {
  return Math.max(4, Math.min(fileSize, HEAD_BYTES));
}

/** Executable bit, or a name that is executable code on Windows / a shared object. */
export const looksExecutable = (path: string, mode: number): boolean =>
  (mode & 0o111) !== 0 ||
  path.endsWith(".exe") ||
  path.endsWith(".dll") ||
  path.endsWith(".so") ||
  path.includes(".so.");
