import { inputError } from "../model/index.js";
import { DEFAULT_LIMITS, decompressed, type ExpansionLimits, newTap } from "./decompress.js";
import { parseDigest } from "./digest.js";
import { basename, dirname, normalizeEntryPath } from "./paths.js";
import { type ApplyContext, applyOp, type FileOp, type LayerOp, limitFor } from "./replay.js";
import { type EntryBodySink, readTar, type TarHeader } from "./tar.js";
import type { LayerRef } from "./types.js";

/**
 * Reading one layer blob: verify its digest, size and diffID while streaming, turn each tar entry into
 * a tree operation (replay.ts) and apply it, feeding regular files to the capture buffer and the taps.
 */

/** What the walker needs of a stream tap (walk.ts StreamTap). */
export interface FeedTap {
  id: string;
  everyLayer?: boolean;
  wants(path: string, size: number, mode: number): boolean;
  consume(path: string, size: number, mode: number): { write(chunk: Buffer): boolean; end(): unknown };
  replay?(path: string, size: number, mode: number): void;
}

export interface LayerWalk {
  diffId: string;
  digest?: string;
  /** bytes of the stored blob */
  size: number;
  /** the layer's operations, when asked to record them (for the layer cache) */
  ops?: LayerOp[];
}

interface Feed {
  write(chunk: Buffer): void;
  /** the file's operation: captured bytes, tap extracts and tap failures */
  end(): FileOp;
}

/**
 * Fan one file's bytes out to the capture buffer and every tap that wants it; `cap` = the capture
 * rules' limit for the file, `max` = this pass's.
 */
export function feedFor(
  p: string,
  size: number,
  mode: number,
  limits: { cap: number; max: number },
  streams: readonly FeedTap[] = [],
): Feed | undefined {
  const capturing = limits.max > 0 && size <= limits.max;
  const taps = streams.filter((t) => t.wants(p, size, mode));
  if (!capturing && taps.length === 0) return undefined;
  const buf = capturing ? Buffer.allocUnsafe(size) : undefined;
  let off = 0;
  const tapWarnings: string[] = [];
  // a tap that returned false from write() has seen enough: it gets no more bytes but still ends
  const active = taps.map((t) => {
    try {
      return {
        id: t.id,
        everyLayer: t.everyLayer === true,
        c: t.consume(p, size, mode) as ReturnType<FeedTap["consume"]> | undefined,
        feeding: true,
      };
    } catch (err) {
      tapWarnings.push(`${p}: ${t.id} failed: ${(err as Error).message}`);
      return { id: t.id, everyLayer: false, c: undefined, feeding: false };
    }
  });
  const fail = (a: (typeof active)[number], err: unknown) => {
    tapWarnings.push(`${p}: ${a.id} failed: ${(err as Error).message}`);
    a.c = undefined;
  };
  return {
    write(chunk) {
      if (buf) {
        chunk.copy(buf, off);
        off += chunk.length;
      }
      for (const a of active) {
        if (!a.c || !a.feeding) continue;
        try {
          a.feeding = a.c.write(chunk);
        } catch (err) {
          fail(a, err);
        }
      }
    },
    end() {
      const op: FileOp = { op: "file", path: p, mode, size, cap: limits.cap };
      if (buf) op.content = buf;
      const replays = taps.filter((t) => t.replay).map((t) => t.id);
      if (replays.length) op.replays = replays;
      for (const a of active) {
        if (!a.c) continue;
        try {
          const r = a.c.end();
          if (r === undefined) continue;
          const into = a.everyLayer ? "layerResults" : "results";
          op[into] = { ...op[into], [a.id]: r };
        } catch (err) {
          fail(a, err);
        }
      }
      if (tapWarnings.length) op.tapWarnings = tapWarnings;
      return op;
    },
  };
}

export async function walkLayer(
  layer: LayerRef,
  ctx: ApplyContext,
  streams: readonly FeedTap[] | undefined,
  limits: ExpansionLimits | undefined,
  record: boolean,
): Promise<LayerWalk> {
  const ops: LayerOp[] | undefined = record ? [] : undefined;
  const apply = (o: LayerOp) => {
    applyOp(ctx, o);
    ops?.push(o);
  };
  const blobTap = newTap(layer.digest ? parseDigest(layer.digest, layer.where).node : "sha256");
  const plainTap = newTap();
  const onEntry = (h: TarHeader): EntryBodySink | undefined => {
    const p = normalizeEntryPath(h.path);
    if (p === undefined) {
      apply({ op: "warn", message: `skipped entry "${h.path}" that escapes the image root` });
      return undefined;
    }
    if (p === "") return undefined;
    const base = basename(p);
    if (base.startsWith(".wh.")) {
      const victim = base.slice(4);
      if (base === ".wh..wh..opq") apply({ op: "opaque", path: dirname(p) });
      else if (victim !== "" && victim !== "." && victim !== "..")
        apply({ op: "whiteout", path: dirname(p) ? `${dirname(p)}/${victim}` : victim });
      return undefined;
    }
    switch (h.type) {
      case "dir":
        apply({ op: "dir", path: p });
        return undefined;
      case "symlink":
        apply({ op: "symlink", path: p, mode: h.mode, target: h.linkname });
        return undefined;
      case "hardlink":
        apply({ op: "hardlink", path: p, mode: h.mode, target: h.linkname });
        return undefined;
      case "file":
        return regularFile(p, h, ctx, streams, apply);
      default:
        apply({ op: "other", path: p });
        return undefined;
    }
  };
  await readTar(
    decompressed(await layer.open(), layer.where, blobTap, plainTap, limits ?? DEFAULT_LIMITS),
    onEntry,
    layer.where,
  );
  const diffId = `sha256:${plainTap.hash.digest("hex")}`;
  const blobDigest = layer.digest ? `${layer.digest.split(":")[0]}:${blobTap.hash.digest("hex")}` : undefined;
  if (layer.digest && blobDigest !== layer.digest)
    throw inputError(
      `${layer.where}: blob digest mismatch: expected ${layer.digest}, content is ${blobDigest}`,
    );
  if (layer.size !== undefined && layer.size !== blobTap.bytes)
    throw inputError(`${layer.where}: blob is ${blobTap.bytes} bytes but the manifest says ${layer.size}`);
  if (layer.diffId && diffId !== layer.diffId)
    throw inputError(
      `${layer.where}: diffID mismatch: config says ${layer.diffId}, layer content is ${diffId}`,
    );
  return { diffId, digest: layer.digest, size: blobTap.bytes, ...(ops ? { ops } : {}) };
}

function regularFile(
  p: string,
  h: TarHeader,
  ctx: ApplyContext,
  streams: readonly FeedTap[] | undefined,
  apply: (o: LayerOp) => void,
): EntryBodySink | undefined {
  const cap = ctx.rules(p);
  if (h.sparse) {
    apply({ op: "file", path: p, mode: h.mode, size: h.size, cap, sparse: true });
    return undefined;
  }
  const feed = feedFor(p, h.size, h.mode, { cap, max: limitFor(ctx, p, cap) }, streams);
  if (!feed) {
    apply({ op: "file", path: p, mode: h.mode, size: h.size, cap });
    return undefined;
  }
  if (h.size === 0) {
    apply(feed.end());
    return undefined;
  }
  return { data: (chunk) => feed.write(chunk), end: () => apply(feed.end()) };
}
