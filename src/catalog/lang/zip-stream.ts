import { RawInflater } from "./inflate.js";

/**
 * Streaming zip reader over local file headers (APPNOTE.TXT §4.3), for archives seen once as a byte
 * stream — a 200 MB fat jar inside an image layer is never held in memory. Bytes are pushed with
 * `write()` in chunks of any size; for each entry `onEntry` decides whether it wants the content, which
 * then arrives decompressed through a sink. The central directory is never needed: reading stops at its
 * first record.
 *
 * Where an entry's data ends:
 * - sizes in the local header (or its ZIP64 extra field, id 0x0001): skip or feed exactly that many bytes;
 *   unwanted deflated entries are skipped without decoding;
 * - flag bit 3 (sizes in a data descriptor after the data) and deflate, content wanted: the inflater
 *   finds the end while decoding;
 * - flag bit 3 otherwise (stored, not wanted, encrypted / unsupported methods): scan for the descriptor,
 *   accepting a position only when the descriptor's compressed size equals the distance from the data
 *   start and a zip signature follows it (with or without the optional descriptor signature, 32- or
 *   64-bit sizes). A writer that states a wrong size there loses the rest of that archive (warned).
 *
 * Bytes before the first local header (launch scripts of "fully executable" Spring Boot jars,
 * self-extractor stubs) are skipped up to `maxPreamble`. Never throws on malformed input: problems go to
 * `warn` and the reader stops (`failed`), keeping what it already delivered.
 */

export const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_DIGSIG = 0x05054b50;
const SIG_EXTRA_DATA = 0x08064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_SPAN_TEMP = 0x30304b50;
const END_SIGS = new Set([SIG_CENTRAL, SIG_EOCD, SIG_EOCD64, SIG_DIGSIG, SIG_EXTRA_DATA]);
const LOCAL_BYTES = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const PK = Buffer.from("PK", "latin1");
/** a descriptor with its signature and 64-bit sizes is 24 bytes; +4 for the next signature, +4 slack */
const SCAN_KEEP = 32;
/** how much of a new chunk is copied to complete the previous chunk's undecided tail */
const BRIDGE = 4096;
const EMPTY = Buffer.alloc(0);

export interface ZipEntry {
  name: string;
  /** offset of the local header in this stream */
  offset: number;
  flags: number;
  method: number;
  /** compressed size when the local header states it (not for deflated flag-bit-3 entries) */
  compressedSize?: number;
  size?: number;
}

export interface ZipEntrySink {
  /** decompressed bytes, valid only during the call; return false to receive no more */
  data(chunk: Buffer): boolean;
  /** `complete` = every byte of the entry was delivered */
  end(complete: boolean): void;
}

/** Shared by a reader and the readers of archives nested in it, to bound work per outer file. */
export interface ZipBudget {
  entries: number;
  inflated: number;
  maxEntries: number;
  maxInflated: number;
}

export interface ZipReaderOptions {
  onEntry(entry: ZipEntry): ZipEntrySink | undefined;
  warn(message: string): void;
  budget?: ZipBudget;
  /** bytes that may precede the first local header (default 4 MiB) */
  maxPreamble?: number;
}

type State = "start" | "header" | "data" | "inflate" | "scan" | "descriptor" | "done" | "failed";

interface Current {
  entry: ZipEntry;
  sink?: ZipEntrySink;
  /** compressed bytes still to come (state "data") */
  left: number;
  inflater?: RawInflater;
  dataStart: number;
  descriptor: boolean;
}

export class ZipStreamReader {
  state: State = "start";
  /** local headers read */
  entries = 0;
  private pend: Buffer = EMPTY;
  /** stream offset of the first byte of the buffer being processed */
  private base = 0;
  private cur?: Current;
  /** one decoder per reader, reset for each entry: its 256 KiB window is not reallocated per class file */
  private inflater?: RawInflater;
  private readonly budget: ZipBudget;

  constructor(private readonly opts: ZipReaderOptions) {
    this.budget = opts.budget ?? { entries: 0, inflated: 0, maxEntries: 1_000_000, maxInflated: 2 ** 31 };
  }

  get finished(): boolean {
    return this.state === "done" || this.state === "failed";
  }

  /** Push the next bytes; false once the reader needs no more (central directory reached, or failed). */
  write(chunk: Buffer): boolean {
    if (this.finished) return false;
    if (chunk.length === 0) return true;
    let buf = chunk;
    let i = 0;
    let fed = false;
    if (this.pend.length) {
      // The undecided tail of the last chunk (a split header, a descriptor, the scan margin) is joined
      // with only the start of this one: copying every whole chunk behind a 32-byte tail would copy
      // each nested jar once more.
      const pend = this.pend;
      this.pend = EMPTY;
      const take = Math.min(chunk.length, BRIDGE);
      const bridge = Buffer.concat([pend, chunk.subarray(0, take)]);
      i = this.feed(bridge, 0);
      if (!this.finished && i >= pend.length) {
        this.base += pend.length; // past the old tail: carry on in the chunk itself
        i -= pend.length;
      } else if (this.finished || take === chunk.length) {
        buf = bridge;
        fed = true;
      } else buf = Buffer.concat([pend, chunk]); // a header longer than the bridge
      // (steps that need more input return before changing any state, so feeding resumes exactly)
    }
    if (!fed) i = this.feed(buf, i);
    if (!this.finished && i < buf.length) this.pend = Buffer.from(buf.subarray(i)); // always a copy
    this.base += buf.length - this.pend.length;
    return !this.finished;
  }

  /** Run the state machine over `buf` from `i`; returns where it stopped (end, or more input needed). */
  private feed(buf: Buffer, i: number): number {
    while (i < buf.length && !this.finished) {
      const next = this.step(buf, i);
      if (next < 0) break; // needs more bytes than this buffer holds
      i = next;
    }
    return i;
  }

  /** The input is complete: report truncation, close an open entry. */
  end(): void {
    if (this.finished) return;
    const at = this.base + this.pend.length;
    if (this.state === "start") this.fail("not a zip archive (no local file header)");
    else if (this.state === "header" || this.state === "descriptor")
      this.fail(`truncated at offset ${at}: the central directory is missing`);
    else this.fail(`truncated at offset ${at} inside entry "${this.cur?.entry.name}"`);
  }

  /** Stop reading with a warning (e.g. a limit of the caller's). */
  abort(message: string): void {
    if (!this.finished) this.fail(message);
  }

  private fail(message: string): void {
    this.opts.warn(message);
    this.state = "failed";
    this.closeEntry(false);
    this.pend = Buffer.alloc(0);
  }

  private closeEntry(complete: boolean): void {
    const c = this.cur;
    if (!c) return;
    this.cur = undefined;
    if (c.sink) c.sink.end(complete);
  }

  /** Handle bytes from `buf[i]`; returns the new index, or -1 when more input is needed. */
  private step(buf: Buffer, i: number): number {
    switch (this.state) {
      case "start":
        return this.start(buf, i);
      case "header":
        return this.header(buf, i);
      case "data":
        return this.data(buf, i);
      case "inflate":
        return this.inflate(buf, i);
      case "scan":
        return this.scan(buf, i);
      case "descriptor":
        return this.descriptor(buf, i);
      default:
        return buf.length;
    }
  }

  private start(buf: Buffer, i: number): number {
    if (buf.length - i < 4) return -1;
    const sig = buf.readUInt32LE(i);
    const at = this.base + i;
    if (sig === SIG_LOCAL) {
      this.state = "header";
      return i;
    }
    if (at === 0 && sig === SIG_EOCD) {
      this.state = "done"; // an empty archive
      return buf.length;
    }
    if (at === 0 && (sig === SIG_DESCRIPTOR || sig === SIG_SPAN_TEMP)) return i + 4; // spanning marker
    const found = buf.indexOf(LOCAL_BYTES, i);
    const max = this.opts.maxPreamble ?? 4 << 20;
    if (found >= 0 && this.base + found <= max) {
      this.state = "header";
      return found;
    }
    if (this.base + buf.length > max) {
      this.fail("not a zip archive (no local file header)");
      return buf.length;
    }
    return Math.max(i, buf.length - 3); // a signature may straddle the next chunk
  }

  private header(buf: Buffer, i: number): number {
    if (buf.length - i < 30) return -1;
    const at = this.base + i;
    const sig = buf.readUInt32LE(i);
    if (sig !== SIG_LOCAL) {
      if (END_SIGS.has(sig)) this.state = "done";
      else this.fail(`unexpected bytes at offset ${at} (no local header or central directory)`);
      return buf.length;
    }
    const nameLen = buf.readUInt16LE(i + 26);
    const extraLen = buf.readUInt16LE(i + 28);
    if (buf.length - i < 30 + nameLen + extraLen) return -1;
    if (++this.budget.entries > this.budget.maxEntries) {
      this.fail(`stopped after ${this.budget.maxEntries} entries`);
      return buf.length;
    }
    this.entries++;
    const flags = buf.readUInt16LE(i + 6);
    const method = buf.readUInt16LE(i + 8);
    let csize = buf.readUInt32LE(i + 18);
    let usize = buf.readUInt32LE(i + 22);
    const name = buf.toString("utf8", i + 30, i + 30 + nameLen);
    const zip64 = readZip64(buf.subarray(i + 30 + nameLen, i + 30 + nameLen + extraLen), usize, csize);
    if (zip64) ({ usize, csize } = zip64);
    const dataStart = i + 30 + nameLen + extraLen;
    const descriptor = (flags & 8) !== 0;
    const encrypted = (flags & 1) !== 0;
    const inflatable = method === 8 && !encrypted;
    // with bit 3 a deflated entry's header sizes are meaningless (usually 0); a stored one may carry them
    const known = !descriptor || (!inflatable && csize > 0);
    const entry: ZipEntry = {
      name,
      offset: at,
      flags,
      method,
      ...(known ? { compressedSize: csize, size: usize } : {}),
    };
    let sink = this.opts.onEntry(entry);
    if (this.finished) return buf.length; // the callback aborted
    if (sink && (encrypted || (method !== 0 && method !== 8))) {
      this.opts.warn(
        `entry "${name}": ${encrypted ? "encrypted" : `compression method ${method}`}; not read`,
      );
      sink.end(false);
      sink = undefined;
    }
    const cur: Current = { entry, sink, left: csize, dataStart: this.base + dataStart, descriptor };
    this.cur = cur;
    if (inflatable && sink) {
      this.inflater ??= new RawInflater();
      cur.inflater = this.inflater.reset((c) => this.deliver(cur, c));
    }
    // A flag-bit-3 deflated entry nobody wants is skipped like a stored one, by finding its descriptor
    // (its compressed size must equal the distance and a zip signature must follow): decoding it just to
    // find where it ends costs ~10x more (a `jar`-built library inside a fat jar is thousands of them).
    this.state = known ? "data" : inflatable && sink ? "inflate" : "scan";
    return dataStart;
  }

  /** Hand decompressed bytes to the entry's sink; false = the sink (or the budget) wants no more. */
  private deliver(cur: Current, chunk: Buffer): boolean {
    if (!cur.sink) return false;
    if (cur.sink.data(chunk) === false) {
      cur.sink.end(false);
      cur.sink = undefined;
      return false;
    }
    return true;
  }

  private countInflated(inf: RawInflater, before: number): boolean {
    this.budget.inflated += inf.totalOut - before;
    if (this.budget.inflated <= this.budget.maxInflated) return true;
    this.fail(`stopped after inflating ${this.budget.maxInflated} bytes (zip bomb?)`);
    return false;
  }

  private data(buf: Buffer, i: number): number {
    const cur = this.cur!;
    const take = Math.min(cur.left, buf.length - i);
    const inf = cur.inflater;
    if (inf && cur.sink) {
      const before = inf.totalOut;
      inf.push(buf, i, i + take);
      if (!this.countInflated(inf, before)) return buf.length;
      if (inf.failed && cur.sink) {
        this.opts.warn(`entry "${cur.entry.name}": corrupt deflate data (${inf.error})`);
        cur.sink.end(false);
        cur.sink = undefined;
      }
    } else if (cur.sink && cur.entry.method === 0 && take > 0) this.deliver(cur, buf.subarray(i, i + take));
    cur.left -= take;
    i += take;
    if (cur.left > 0) return i;
    if (cur.sink && inf && !inf.done) {
      this.opts.warn(`entry "${cur.entry.name}": deflate data ends early`);
      this.closeEntry(false);
    } else this.closeEntry(true);
    this.state = cur.descriptor ? "descriptor" : "header";
    this.cur = cur.descriptor ? cur : undefined;
    return i;
  }

  private inflate(buf: Buffer, i: number): number {
    const cur = this.cur!;
    const inf = cur.inflater!;
    const before = inf.totalOut;
    const used = inf.push(buf, i, buf.length);
    if (!this.countInflated(inf, before)) return buf.length;
    if (inf.failed) {
      // without a size there is no way to find the next entry
      this.fail(`entry "${cur.entry.name}": corrupt deflate data (${inf.error})`);
      return buf.length;
    }
    if (!inf.done) return buf.length;
    const sink = cur.sink;
    cur.sink = undefined;
    sink?.end(true);
    this.state = "descriptor";
    return i + used;
  }

  /** After a flag-bit-3 entry: skip the data descriptor (12–24 bytes). */
  private descriptor(buf: Buffer, i: number): number {
    if (buf.length - i < 28) return -1;
    const cur = this.cur!;
    const csize = this.base + i - cur.dataStart;
    const len = descriptorLength(buf, i, csize);
    this.cur = undefined;
    if (len < 0) {
      this.fail(`entry "${cur.entry.name}": no valid data descriptor at offset ${this.base + i}`);
      return buf.length;
    }
    this.state = "header";
    return i + len;
  }

  /** Stored (or undecodable) entry of unknown size: find the descriptor that closes it. */
  private scan(buf: Buffer, i: number): number {
    const cur = this.cur!;
    for (let q = buf.indexOf(PK, i); q >= 0 && q + 4 <= buf.length; q = buf.indexOf(PK, q + 1)) {
      const sig = buf.readUInt32LE(q);
      if (sig !== SIG_LOCAL && sig !== SIG_CENTRAL) continue;
      for (const v of DESCRIPTOR_FORMS) {
        const dd = q - v.len;
        if (dd < i) continue;
        const csize = this.base + dd - cur.dataStart;
        if (v.sig && buf.readUInt32LE(dd) !== SIG_DESCRIPTOR) continue;
        const off = dd + (v.sig ? 8 : 4);
        const stated = v.wide
          ? buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 2 ** 32
          : buf.readUInt32LE(off);
        if (stated !== (v.wide ? csize : csize % 2 ** 32)) continue;
        if (cur.sink && dd > i) this.deliver(cur, buf.subarray(i, dd));
        this.closeEntry(true);
        this.state = "header";
        return q;
      }
    }
    // no end in sight: hand out all but the last bytes, which may begin the descriptor
    const safe = buf.length - SCAN_KEEP;
    if (safe <= i) return -1;
    if (cur.sink) this.deliver(cur, buf.subarray(i, safe));
    return safe;
  }
}

const DESCRIPTOR_FORMS = [
  { len: 16, sig: true, wide: false },
  { len: 12, sig: false, wide: false },
  { len: 24, sig: true, wide: true },
  { len: 20, sig: false, wide: true },
];

/**
 * Length of the data descriptor at `buf[i]` for an entry of `csize` compressed bytes: the form whose
 * size field matches and which is followed by a zip signature; -1 when none fits.
 */
function descriptorLength(buf: Buffer, i: number, csize: number): number {
  let fallback = -1;
  for (const v of DESCRIPTOR_FORMS) {
    if (v.sig && buf.readUInt32LE(i) !== SIG_DESCRIPTOR) continue;
    const off = i + (v.sig ? 8 : 4);
    const stated = v.wide
      ? buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 2 ** 32
      : buf.readUInt32LE(off);
    const next = buf.readUInt32LE(i + v.len);
    const followed = next === SIG_LOCAL || END_SIGS.has(next);
    if (stated === (v.wide ? csize : csize % 2 ** 32) && followed) return v.len;
    if (followed && fallback < 0) fallback = v.len;
  }
  return fallback;
}

/** ZIP64 extended information (header id 0x0001) of a local header: the 64-bit sizes. */
function readZip64(
  extra: Buffer,
  usize: number,
  csize: number,
): { usize: number; csize: number } | undefined {
  for (let o = 0; o + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(o);
    const len = extra.readUInt16LE(o + 2);
    const body = extra.subarray(o + 4, Math.min(extra.length, o + 4 + len));
    o += 4 + len;
    if (id !== 1) continue;
    const u64 = (k: number) => body.readUInt32LE(k) + body.readUInt32LE(k + 4) * 2 ** 32;
    // only a 32-bit field set to 0xFFFFFFFF defers to this record. The local header's record must hold
    // both sizes (APPNOTE 4.5.3); some writers store only the one that overflowed (fixed order:
    // uncompressed, then compressed)
    if (usize !== 0xffffffff && csize !== 0xffffffff) return undefined;
    if (body.length >= 16) return { usize: u64(0), csize: u64(8) };
    if (body.length >= 8) return usize === 0xffffffff ? { usize: u64(0), csize } : { usize, csize: u64(0) };
    return undefined;
  }
  return undefined;
}
