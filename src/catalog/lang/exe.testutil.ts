import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { StreamAnalyzer } from "../analyzer.js";

/** Deterministic PRNG (mulberry32) for chunk sizes. */
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

export interface Fed<R> {
  result: R | undefined;
  /** bytes handed to the consumer before it returned false (or the whole file) */
  fed: number;
  stoppedEarly: boolean;
  writes: number;
}

/**
 * Feed `data` (bytes or a file path) to a fresh consumer in chunks of 1..maxChunk bytes (exactly maxChunk
 * with `fixed`), as the walker does. The chunk buffer is reused: consumers must copy what they keep.
 */
export function feed<R>(
  analyzer: StreamAnalyzer<R>,
  data: Buffer | string,
  opts: { seed?: number; maxChunk?: number; path?: string; fixed?: boolean } = {},
): Fed<R> {
  const size = typeof data === "string" ? statSync(data).size : data.length;
  const c = analyzer.consume(opts.path ?? "bin/x", size);
  const next = rng(opts.seed ?? 1);
  const max = opts.maxChunk ?? 1 << 20;
  const fd = typeof data === "string" ? openSync(data, "r") : undefined;
  const buf = Buffer.alloc(max);
  let fed = 0;
  let writes = 0;
  let stoppedEarly = false;
  try {
    while (fed < size) {
      const n = Math.min(size - fed, opts.fixed ? max : 1 + Math.floor(next() * max));
      let chunk: Buffer;
      if (fd === undefined) chunk = (data as Buffer).subarray(fed, fed + n);
      else chunk = buf.subarray(0, readSync(fd, buf, 0, n, fed));
      fed += chunk.length;
      writes++;
      if (!c.write(chunk)) {
        stoppedEarly = fed < size;
        break;
      }
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { result: c.end(), fed, stoppedEarly, writes };
}
