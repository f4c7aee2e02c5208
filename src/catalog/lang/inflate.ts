/**
 * Incremental raw DEFLATE (RFC 1951) decoder with a synchronous push API.
 *
 * Why our own: the zip reader runs inside a synchronous `StreamConsumer.write`, and Node's zlib offers
 * no synchronous *incremental* inflate (`inflateRawSync` needs the whole input; `_processChunk` in sync
 * mode closes the engine after one call). A data-descriptor entry (flag bit 3) has no size up front, so
 * the only exact way to find where it ends is to decode it; and a jar nested deflated inside a war must
 * be decoded as it streams past to stay memory-bounded. This decoder keeps a 32 KiB window plus a small
 * output buffer and at most a few hundred bytes of unconsumed input (a block header split across pushes),
 * and reports exactly how many input bytes the stream used, so the zip reader resumes right after it.
 *
 * Resumption is by checkpoint: every symbol (and every block header) is decoded whole or not at all.
 * Reads past the valid input hit zero padding; when a symbol turns out to need those bits we roll back to
 * its start and keep the tail for the next push.
 */

// RFC 1951 3.2.5: base values and extra bits of the length (257..285) and distance (0..29) codes
// biome-ignore format: tables
const LEN_BASE = Uint16Array.of(3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258);
// biome-ignore format: tables
const LEN_EXTRA = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0);
// biome-ignore format: tables
const DIST_BASE = Uint16Array.of(1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577);
// biome-ignore format: tables
const DIST_EXTRA = Uint8Array.of(0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13);
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** 15-bit reversal: DEFLATE sends Huffman codes most-significant bit first inside an LSB-first stream. */
const REV15 = new Uint16Array(1 << 15);
for (let i = 0; i < REV15.length; i++) {
  let r = 0;
  for (let b = 0; b < 15; b++) if (i & (1 << b)) r |= 1 << (14 - b);
  REV15[i] = r;
}

/** Lookup table indexed by the next `bits` input bits; entry = symbol << 4 | code length, 0 = no code. */
interface Table {
  t: Uint16Array;
  bits: number;
}

function buildTable(lens: Uint8Array): Table | undefined {
  const count = new Uint16Array(16);
  let max = 0;
  for (const l of lens) {
    count[l]!++;
    if (l > max) max = l;
  }
  count[0] = 0;
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - count[l]!;
    if (left < 0) return undefined; // over-subscribed
  }
  // incomplete codes are accepted: an unused slot stays 0 and is reported if a stream ever reaches it
  const next = new Uint16Array(16);
  for (let l = 1, code = 0; l <= 15; l++) {
    code = (code + count[l - 1]!) << 1;
    next[l] = code;
  }
  const t = new Uint16Array(1 << max);
  for (let sym = 0; sym < lens.length; sym++) {
    const l = lens[sym]!;
    if (l === 0) continue;
    const rev = REV15[next[l]!++]! >>> (15 - l);
    for (let j = rev; j < t.length; j += 1 << l) t[j] = (sym << 4) | l;
  }
  return { t, bits: max };
}

const FIXED_LIT = buildTable(
  Uint8Array.from({ length: 288 }, (_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8)),
)!;
const FIXED_DIST = buildTable(new Uint8Array(32).fill(5))!;

const WINDOW = 1 << 15;
const OUT_SIZE = 1 << 18;
/** zero bytes after the valid input: one symbol overshoots by at most 48 bits plus a 3-byte read */
const PAD = 16;
const NEED = -1;
const SLICE = 16 << 10;
const EMPTY = new Uint8Array(0);
const BAD = -2;

enum Mode {
  Header,
  Stored,
  Block,
  Done,
  Error,
}

export class RawInflater {
  /** total bytes produced */
  totalOut = 0;
  error?: string;
  private mode = Mode.Header;
  private last = false;
  private lit: Table = FIXED_LIT;
  private dist: Table = FIXED_DIST;
  private storedLeft = 0;
  private left = EMPTY;
  private leftBit = 0;
  private scratch = new Uint8Array(SLICE + PAD + 1024);
  private readonly out = new Uint8Array(OUT_SIZE);
  private op = 0;
  private flushed = 0;

  /** `onData` gets output slices valid only during the call; return false to stop receiving output. */
  constructor(private onData?: (chunk: Buffer) => boolean | undefined) {}

  get done(): boolean {
    return this.mode === Mode.Done;
  }
  get failed(): boolean {
    return this.mode === Mode.Error;
  }

  /** Stop handing out output (decoding continues, e.g. to find the end of the stream). */
  mute(): void {
    this.onData = undefined;
  }

  /** Start a new stream, reusing the buffers (a zip reader decodes its entries one after another). */
  reset(onData?: (chunk: Buffer) => boolean | undefined): this {
    this.onData = onData;
    this.totalOut = 0;
    this.error = undefined;
    this.mode = Mode.Header;
    this.last = false;
    this.storedLeft = 0;
    this.left = EMPTY;
    this.leftBit = 0;
    this.op = 0;
    this.flushed = 0;
    return this;
  }

  /**
   * Decode `input[start, end)`. Returns how many of those bytes belong to the stream: all of them until
   * the final block ends, then the count up to the byte holding its last bit.
   */
  push(input: Uint8Array, start = 0, end = input.length): number {
    // in bounded slices: only what is decoded gets copied (with padding) into the scratch buffer, not the
    // rest of a 1 MiB chunk after a 300-byte class file
    for (let pos = start; pos < end && this.mode < Mode.Done; ) {
      const stop = Math.min(end, pos + SLICE);
      const used = this.slice(input, pos, stop);
      if (this.mode === Mode.Done) {
        this.emit();
        return pos - start + used;
      }
      pos = stop;
    }
    this.emit();
    return end - start;
  }

  private slice(input: Uint8Array, start: number, end: number): number {
    const L = this.left.length;
    const total = L + (end - start);
    if (this.scratch.length < total + PAD) this.scratch = new Uint8Array(total + PAD + 1024);
    const b = this.scratch;
    b.set(this.left, 0);
    b.set(input.subarray(start, end), L);
    b.fill(0, total, total + PAD);
    const p = this.run(b, this.leftBit, total * 8);
    if (this.mode === Mode.Done || this.mode === Mode.Error) {
      this.left = EMPTY;
      return Math.max(0, ((p + 7) >> 3) - L);
    }
    this.left = b.slice(p >> 3, total);
    this.leftBit = p & 7;
    return end - start;
  }

  private fail(msg: string): number {
    this.mode = Mode.Error;
    this.error = msg;
    return BAD;
  }

  /** Decode from bit `p` with `lim` valid bits; returns the committed bit position. */
  private run(b: Uint8Array, p: number, lim: number): number {
    for (;;) {
      if (this.mode === Mode.Header) {
        if (p + 3 > lim) return p;
        const hdr = (b[p >> 3]! | (b[(p >> 3) + 1]! << 8)) >>> (p & 7);
        const type = (hdr >> 1) & 3;
        let q = p + 3;
        if (type === 0) {
          q = (q + 7) & ~7;
          if (q + 32 > lim) return p;
          const i = q >> 3;
          const len = b[i]! | (b[i + 1]! << 8);
          const nlen = b[i + 2]! | (b[i + 3]! << 8);
          if (len !== (~nlen & 0xffff)) {
            this.fail("stored block length check failed");
            return p;
          }
          this.storedLeft = len;
          this.mode = Mode.Stored;
          q += 32;
        } else if (type === 1) {
          this.lit = FIXED_LIT;
          this.dist = FIXED_DIST;
          this.mode = Mode.Block;
        } else if (type === 2) {
          const r = this.dynamic(b, q, lim);
          if (r === NEED || r === BAD) return p;
          q = r;
          this.mode = Mode.Block;
        } else {
          this.fail("invalid block type");
          return p;
        }
        this.last = (hdr & 1) === 1;
        p = q;
      } else if (this.mode === Mode.Stored) {
        const n = Math.min(this.storedLeft, (lim - p) >> 3);
        this.copyIn(b, p >> 3, n);
        p += n * 8;
        this.storedLeft -= n;
        if (this.storedLeft > 0) return p;
        this.mode = this.last ? Mode.Done : Mode.Header;
      } else if (this.mode === Mode.Block) {
        p = this.block(b, p, lim);
        if (this.mode === Mode.Block || this.mode === Mode.Error) return p;
      } else return p;
      if (this.mode === Mode.Done) return p;
    }
  }

  /** Parse a dynamic block's code tables starting after the 3 header bits. */
  private dynamic(b: Uint8Array, p: number, lim: number): number {
    if (p + 14 > lim) return NEED;
    const v = (b[p >> 3]! | (b[(p >> 3) + 1]! << 8) | (b[(p >> 3) + 2]! << 16)) >>> (p & 7);
    const hlit = (v & 31) + 257;
    const hdist = ((v >> 5) & 31) + 1;
    const hclen = ((v >> 10) & 15) + 4;
    p += 14;
    if (hlit > 286 || hdist > 30) return this.fail("too many length or distance codes");
    if (p + hclen * 3 > lim) return NEED;
    const cl = new Uint8Array(19);
    for (let i = 0; i < hclen; i++, p += 3)
      cl[CL_ORDER[i]!] = ((b[p >> 3]! | (b[(p >> 3) + 1]! << 8)) >>> (p & 7)) & 7;
    const clt = buildTable(cl);
    if (!clt || clt.bits === 0) return this.fail("invalid code-length code");
    const mask = (1 << clt.bits) - 1;
    const lens = new Uint8Array(hlit + hdist);
    for (let i = 0; i < lens.length; ) {
      const w = (b[p >> 3]! | (b[(p >> 3) + 1]! << 8) | (b[(p >> 3) + 2]! << 16)) >>> (p & 7);
      const e = clt.t[w & mask]!;
      if (e === 0) return p + clt.bits > lim ? NEED : this.fail("invalid code-length symbol");
      const sym = e >> 4;
      const l = e & 15;
      let rep = 0;
      let val = 0;
      if (sym < 16) {
        if (p + l > lim) return NEED;
        lens[i++] = sym;
        p += l;
        continue;
      }
      if (sym === 16) {
        if (p + l + 2 > lim) return NEED;
        if (i === 0) return this.fail("repeat with no previous length");
        rep = 3 + ((w >> l) & 3);
        val = lens[i - 1]!;
        p += l + 2;
      } else if (sym === 17) {
        if (p + l + 3 > lim) return NEED;
        rep = 3 + ((w >> l) & 7);
        p += l + 3;
      } else {
        if (p + l + 7 > lim) return NEED;
        rep = 11 + ((w >> l) & 127);
        p += l + 7;
      }
      if (i + rep > lens.length) return this.fail("code lengths overflow");
      lens.fill(val, i, i + rep);
      i += rep;
    }
    if (lens[256] === 0) return this.fail("no end-of-block code");
    const lit = buildTable(lens.subarray(0, hlit));
    const dist = buildTable(lens.subarray(hlit));
    if (!lit || !dist) return this.fail("invalid Huffman code");
    this.lit = lit;
    this.dist = dist;
    return p;
  }

  /** The hot loop: literals and back-references until end of block or end of input. */
  private block(b: Uint8Array, p: number, lim: number): number {
    const lt = this.lit.t;
    const lm = (1 << this.lit.bits) - 1;
    const dt = this.dist.t;
    const dm = (1 << this.dist.bits) - 1;
    const out = this.out;
    let op = this.op;
    for (;;) {
      if (op > OUT_SIZE - 258) {
        this.op = op;
        this.emit();
        this.slide();
        op = this.op;
      }
      const s = p;
      let e = lt[((b[p >> 3]! | (b[(p >> 3) + 1]! << 8) | (b[(p >> 3) + 2]! << 16)) >>> (p & 7)) & lm]!;
      if (e === 0)
        return s + this.lit.bits > lim ? this.pause(op, s) : this.bad(op, s, "invalid literal/length code");
      p += e & 15;
      const sym = e >> 4;
      if (sym < 256) {
        if (p > lim) return this.pause(op, s);
        out[op++] = sym;
        continue;
      }
      if (sym === 256) {
        if (p > lim) return this.pause(op, s);
        this.mode = this.last ? Mode.Done : Mode.Header;
        this.op = op;
        return p;
      }
      const li = sym - 257;
      if (li >= 29) return p > lim ? this.pause(op, s) : this.bad(op, s, "invalid length code");
      const lx = LEN_EXTRA[li]!;
      let len = LEN_BASE[li]!;
      if (lx) {
        len += ((b[p >> 3]! | (b[(p >> 3) + 1]! << 8)) >>> (p & 7)) & ((1 << lx) - 1);
        p += lx;
      }
      e = dt[((b[p >> 3]! | (b[(p >> 3) + 1]! << 8) | (b[(p >> 3) + 2]! << 16)) >>> (p & 7)) & dm]!;
      const di = e >> 4;
      p += e & 15;
      if (e === 0 || di >= 30)
        return p + this.dist.bits > lim ? this.pause(op, s) : this.bad(op, s, "invalid distance code");
      const dx = DIST_EXTRA[di]!;
      let dist = DIST_BASE[di]!;
      if (dx) {
        dist +=
          ((b[p >> 3]! | (b[(p >> 3) + 1]! << 8) | (b[(p >> 3) + 2]! << 16)) >>> (p & 7)) & ((1 << dx) - 1);
        p += dx;
      }
      if (p > lim) return this.pause(op, s);
      if (dist > op) return this.bad(op, s, "distance too far back");
      if (dist >= len) {
        out.copyWithin(op, op - dist, op - dist + len);
        op += len;
      } else for (const stop = op + len; op < stop; op++) out[op] = out[op - dist]!;
    }
  }

  /** The symbol starting at `s` needs bits we do not have yet: resume from it on the next push. */
  private pause(op: number, s: number): number {
    this.op = op;
    return s;
  }

  private bad(op: number, s: number, msg: string): number {
    this.op = op;
    this.fail(msg);
    return s;
  }

  /** Copy stored-block bytes through the window. */
  private copyIn(b: Uint8Array, from: number, n: number): void {
    while (n > 0) {
      if (this.op >= OUT_SIZE) {
        this.emit();
        this.slide();
      }
      const k = Math.min(n, OUT_SIZE - this.op);
      this.out.set(b.subarray(from, from + k), this.op);
      this.op += k;
      from += k;
      n -= k;
    }
  }

  private emit(): void {
    const n = this.op - this.flushed;
    if (n <= 0) return;
    this.totalOut += n;
    const cb = this.onData;
    const chunk = Buffer.from(this.out.buffer, this.out.byteOffset + this.flushed, n);
    this.flushed = this.op;
    if (cb && cb(chunk) === false) this.onData = undefined;
  }

  /** Keep the last 32 KiB as history at the front of the output buffer. */
  private slide(): void {
    this.out.copyWithin(0, this.op - WINDOW, this.op);
    this.op = WINDOW;
    this.flushed = WINDOW;
  }
}
