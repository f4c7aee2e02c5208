import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/**
 * A small zip writer for tests: every variant a streaming reader must cope with (data descriptors with
 * and without their signature, stored entries with flag bit 3, ZIP64 extra fields and descriptors, a
 * preamble) plus archives generated chunk by chunk so a 200 MB jar never exists in memory.
 */

export interface ZipSpec {
  name: string;
  /** content, or a generator called (twice, for size and CRC) to stream it */
  data?: Buffer | string | (() => Iterable<Buffer>);
  /** 0 stored, 8 deflate (default); or precompressed raw deflate bytes with their uncompressed size */
  method?: 0 | 8;
  raw?: { compressed: () => Iterable<Buffer>; size: number; crc: number };
  /** flag bit 3: sizes in a descriptor after the data */
  descriptor?: boolean;
  /** write the descriptor's optional signature (default true) */
  descriptorSig?: boolean;
  /** with `descriptor`: still state the sizes in the local header */
  headerSizes?: boolean;
  /** 0xFFFFFFFF sizes + ZIP64 extra field (and a 64-bit descriptor) */
  zip64?: boolean;
  flags?: number;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u64 = (n: number) => Buffer.concat([u32(n % 2 ** 32), u32(Math.floor(n / 2 ** 32))]);

function* iter(d: ZipSpec["data"]): Iterable<Buffer> {
  if (typeof d === "function") yield* d();
  else if (d !== undefined) yield Buffer.from(d);
}

/** The archive as a sequence of chunks (data chunks are yielded as given, never concatenated). */
export function* zipChunks(entries: ZipSpec[], opts: { preamble?: Buffer } = {}): Generator<Buffer> {
  let offset = 0;
  const central: Buffer[] = [];
  const emit = function* (b: Buffer) {
    offset += b.length;
    yield b;
  };
  if (opts.preamble) yield* emit(opts.preamble);
  for (const e of entries) {
    const method = e.raw ? 8 : (e.method ?? 8);
    let size = 0;
    let crc = 0;
    let compressed: () => Iterable<Buffer>;
    if (e.raw) {
      ({ size, crc } = e.raw);
      compressed = e.raw.compressed;
    } else {
      for (const c of iter(e.data)) {
        size += c.length;
        crc = crc32(c, crc);
      }
      if (method === 8) {
        const def = deflateRawSync(Buffer.concat([...iter(e.data)]));
        compressed = () => [def];
      } else compressed = () => iter(e.data);
    }
    let csize = 0;
    for (const c of compressed()) csize += c.length;
    const flags = (e.flags ?? 0) | (e.descriptor ? 8 : 0) | 0x800;
    const hide = e.descriptor && !e.headerSizes;
    const name = Buffer.from(e.name);
    const extra = e.zip64
      ? Buffer.concat([u16(1), u16(16), u64(hide ? 0 : size), u64(hide ? 0 : csize)])
      : Buffer.alloc(0);
    const sizes = e.zip64
      ? [u32(0xffffffff), u32(0xffffffff)]
      : [u32(hide ? 0 : csize), u32(hide ? 0 : size)];
    const at = offset;
    yield* emit(
      Buffer.concat([
        u32(0x04034b50),
        u16(e.zip64 ? 45 : 20),
        u16(flags),
        u16(method),
        u16(0),
        u16(0x21),
        u32(hide ? 0 : crc),
        ...sizes,
        u16(name.length),
        u16(extra.length),
        name,
        extra,
      ]),
    );
    for (const c of compressed()) yield* emit(c);
    if (e.descriptor) {
      const sig = e.descriptorSig === false ? [] : [u32(0x08074b50)];
      const s = e.zip64 ? [u64(csize), u64(size)] : [u32(csize), u32(size)];
      yield* emit(Buffer.concat([...sig, u32(crc), ...s]));
    }
    const cdExtra = e.zip64 ? Buffer.concat([u16(1), u16(16), u64(size), u64(csize)]) : Buffer.alloc(0);
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(0x031e),
        u16(e.zip64 ? 45 : 20),
        u16(flags),
        u16(method),
        u16(0),
        u16(0x21),
        u32(crc),
        ...(e.zip64 ? [u32(0xffffffff), u32(0xffffffff)] : [u32(csize), u32(size)]),
        u16(name.length),
        u16(cdExtra.length),
        u16(0),
        u16(0),
        u16(0),
        u32(0o100644 << 16),
        u32(at),
        name,
        cdExtra,
      ]),
    );
  }
  const cd = Buffer.concat(central);
  yield* emit(cd);
  const eocd = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(central.length),
    u16(central.length),
    u32(cd.length),
    u32(offset - cd.length),
    u16(0),
  ]);
  yield* emit(eocd);
}

export const zipBuffer = (entries: ZipSpec[], opts: { preamble?: Buffer } = {}): Buffer =>
  Buffer.concat([...zipChunks(entries, opts)]);

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Split `data` into chunks of 1..max bytes chosen by `seed`. */
export function chunksOf(data: Buffer, seed: number, max: number): Buffer[] {
  const next = rng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(next() * max);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Write a tree of files (path → content) under `dir`. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

/** Run the JDK's `jar` tool (streams deflated entries with data descriptors, as java.util.zip does). */
export function jarTool(args: string[], cwd: string): void {
  execFileSync("jar", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export const pomProperties = (g: string, a: string, v: string) =>
  `#Created by Apache Maven 3.9.6\nversion=${v}\ngroupId=${g}\nartifactId=${a}\n`;
