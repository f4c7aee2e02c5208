import { createHash, type Hash } from "node:crypto";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import { AirbagError, inputError } from "../model/index.js";
import { ZstdFrameWatch } from "./zstd-frames.js";

export type Compression = "gzip" | "zstd" | "none";

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}

/** Limits that keep a hostile layer (decompression bomb) from running for hours. */
export interface ExpansionLimits {
  /** absolute cap on the uncompressed bytes of one layer */
  maxLayerBytes: number;
  /** uncompressed/compressed ratio refused once past `ratioAfterBytes` (gzip tops out near 1032:1) */
  maxRatio: number;
  ratioAfterBytes: number;
  /** total declared zstd window bytes past which the same ratio applies to them (see zstd-frames.ts) */
  zstdWindowsAfterBytes?: number;
}

export const DEFAULT_LIMITS: ExpansionLimits = {
  maxLayerBytes: 64 * 2 ** 30,
  maxRatio: 500,
  ratioAfterBytes: 256 * 2 ** 20,
  zstdWindowsAfterBytes: 64 * 2 ** 20,
};

export interface DigestTap {
  hash: Hash;
  bytes: number;
}

export function newTap(alg = "sha256"): DigestTap {
  return { hash: createHash(alg), bytes: 0 };
}

async function* tapped(src: AsyncIterable<Buffer>, tap: DigestTap): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    tap.hash.update(chunk);
    tap.bytes += chunk.length;
    yield chunk;
  }
}

async function* zstdChunks(
  src: AsyncIterable<Buffer>,
  where: string,
  limits: ExpansionLimits,
): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // declared windows cost the decoder CPU and memory before any output exists: judged up front
  const frames = new ZstdFrameWatch(where, limits.maxRatio, limits.zstdWindowsAfterBytes ?? 64 * 2 ** 20);
  const d = new ZstdDecompress((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  try {
    for await (const chunk of src) {
      frames.feed(chunk);
      d.push(chunk);
      while (out.length) yield out.shift()!;
    }
    d.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof AirbagError) throw err;
    throw inputError(`${where}: corrupt zstd stream (${(err as Error).message})`, err);
  }
  while (out.length) yield out.shift()!;
}

async function* gunzipChunks(src: AsyncIterable<Buffer>, where: string): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const input = Readable.from(src, { objectMode: false });
  input.on("error", (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith("Z_") || e.code === "ERR_ZLIB_INITIALIZATION_FAILED")
      throw inputError(`${where}: corrupt or truncated gzip stream (${e.message})`, err);
    throw err;
  } finally {
    input.destroy();
  }
}

/**
 * Bytes of a (possibly compressed) blob, decompressed by sniffing the magic bytes rather than trusting
 * media types (docker-archive layers carry none). `compressed` sees the blob as stored, `plain` the
 * uncompressed stream: their digests are the blob digest and the diffID.
 */
export async function* decompressed(
  blob: AsyncIterable<Buffer>,
  where: string,
  compressed: DigestTap,
  plain: DigestTap,
  limits: ExpansionLimits = DEFAULT_LIMITS,
): AsyncGenerator<Buffer> {
  const it = tapped(blob, compressed)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  const kind = sniffCompression(head);
  const src =
    kind === "gzip"
      ? gunzipChunks(rest(), where)
      : kind === "zstd"
        ? zstdChunks(rest(), where, limits)
        : rest();
  for await (const chunk of src) {
    plain.hash.update(chunk);
    plain.bytes += chunk.length;
    if (plain.bytes > limits.maxLayerBytes)
      throw inputError(
        `${where}: layer expands beyond ${limits.maxLayerBytes} bytes; refusing (decompression bomb?)`,
      );
    if (
      kind !== "none" &&
      plain.bytes > limits.ratioAfterBytes &&
      plain.bytes > compressed.bytes * limits.maxRatio
    )
      throw inputError(
        `${where}: layer expands more than ${limits.maxRatio}x (${plain.bytes} bytes from ${compressed.bytes}); refusing (decompression bomb?)`,
      );
    yield chunk;
  }
}
