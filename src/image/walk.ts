import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, opendir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_LIMITS, type ExpansionLimits } from "./decompress.js";
import { FileTree } from "./file-tree.js";
import {
  type ApplyContext,
  applyFile,
  type LayeredRecord,
  type LayerRecordStore,
  limitFor,
  RECORD_FORMAT,
  recordSuffices,
  replayLayer,
} from "./replay.js";
import type { ImageSource, LayeredImage, LayerRef, RootfsImage } from "./types.js";
import { feedFor, walkLayer } from "./walk-layer.js";

/**
 * One streaming pass over every layer (or a rootfs directory), applying the layers as the runtime does
 * and buffering only the files the caller asks for. See file-tree.ts for the layer semantics, replay.ts
 * for how a layer becomes tree operations, and layer-cache.ts for layers applied without reading them.
 */

/** A streaming consumer factory (see catalog/analyzer.ts StreamAnalyzer), keyed by `id`. */
export interface StreamTap {
  id: string;
  /** bump when the extracts change; a tap without one turns the layer cache off */
  version?: number | string;
  /**
   * Results of an every-layer tap are kept for every file of every layer, also when a later layer
   * deletes or replaces the file (secrets and malware still ship in the image's blobs); others only
   * for files of the final image.
   */
  everyLayer?: boolean;
  wants(path: string, size: number, mode: number): boolean;
  consume(path: string, size: number, mode: number): { write(chunk: Buffer): boolean; end(): unknown };
  /**
   * For taps that keep per-scan state across files (a detector's `finish`): a file of a cached layer
   * this tap wants, whose bytes are not read again (its extract comes from the cache).
   */
  replay?(path: string, size: number, mode: number): void;
}

export interface WalkOptions {
  /** 0 = not wanted; otherwise the largest size (bytes) to buffer for this path */
  capture(path: string): number;
  streams?: readonly StreamTap[];
  warn(message: string): void;
  limits?: ExpansionLimits;
  /** per-layer results (layer-cache.ts); used for layers the image config names by diffID */
  cache?: LayerRecordStore;
  /** identifies `capture`'s rules (analyzers, versions, limits) in cache keys; no key, no cache */
  cacheKey?: string;
}

export interface WalkedFile {
  /** the path as asked for */
  path: string;
  /** the path after symlink resolution (equal to `path` for plain files) */
  realPath: string;
  content: Buffer;
  layer?: string;
  mode: number;
}

export interface WalkedLayer {
  diffId: string;
  digest?: string;
  size: number;
}

export interface StreamedResult {
  path: string;
  layer?: string;
  mode: number;
  size: number;
  /** extracts by tap id */
  results: Record<string, unknown>;
}

export interface LayeredResult extends StreamedResult {
  /** false when a later layer deleted or replaced this file */
  present: boolean;
}

export interface WalkResult {
  files: WalkedFile[];
  /** files of the final image that some stream tap extracted something from */
  streamed: StreamedResult[];
  /** every-layer taps' extracts, per (layer, path), in walk order */
  layered: LayeredResult[];
  layers: WalkedLayer[];
}

/** Capture limit for files reached only through a symlink or hardlink of a wanted path. */
const LINKED_MAX = 64 << 20;

export async function walkImage(src: ImageSource, opts: WalkOptions): Promise<WalkResult> {
  const cache = cacheFor(src, opts);
  const first = await walkOnce(src, () => 0, opts, cache);
  if (first.missing.size === 0) return collect(first, opts);
  // A wanted path is a link to a file nobody asked for (etc/os-release -> ../usr/lib/os-release):
  // walk again, this time also capturing the link targets. Rare, and bounded to one extra pass; cached
  // layers whose record holds every newly wanted file are not read again.
  const missing = first.missing;
  const second = await walkOnce(src, (p) => (missing.has(p) ? LINKED_MAX : 0), opts, cache);
  return collect(second, opts);
}

interface Pass {
  tree: FileTree;
  layers: WalkedLayer[];
  missing: Set<string>;
  layered: LayeredRecord[];
}

interface CacheUse {
  store: LayerRecordStore;
  fingerprint: string;
}

/**
 * The cache key besides the diffID: the capture rules and every tap's id and version, so any analyzer
 * or detector change misses. Rootfs targets have no diffIDs and are never cached.
 */
function cacheFor(src: ImageSource, opts: WalkOptions): CacheUse | undefined {
  if (src.kind !== "layers" || !opts.cache || !opts.cacheKey) return undefined;
  const taps = opts.streams ?? [];
  if (taps.some((t) => t.version === undefined)) return undefined;
  const fingerprint = createHash("sha256")
    .update(
      JSON.stringify({
        format: RECORD_FORMAT,
        capture: opts.cacheKey,
        taps: taps.map((t) => [t.id, String(t.version), t.everyLayer === true]),
        limits: opts.limits ?? DEFAULT_LIMITS,
      }),
    )
    .digest("hex");
  return { store: opts.cache, fingerprint };
}

const DIFF_ID = /^sha256:[0-9a-f]{64}$/;

/** Only a layer the image config names (diff_ids) is looked up or stored; digest alone is not enough. */
const cacheable = (layer: LayerRef): layer is LayerRef & { diffId: string } =>
  layer.diffId !== undefined && DIFF_ID.test(layer.diffId);

const blobKey = (layer: LayerRef & { diffId: string }) => layer.digest ?? `?${layer.diffId}`;

async function walkOnce(
  src: ImageSource,
  linked: (p: string) => number,
  opts: WalkOptions,
  cache: CacheUse | undefined,
): Promise<Pass> {
  const tree = new FileTree();
  const missing = new Set<string>();
  const layered: LayeredRecord[] = [];
  const capture = (p: string) => opts.capture(p) || linked(p);
  const context = (layer: number, where: string): ApplyContext => ({
    tree,
    layer,
    where,
    rules: opts.capture,
    linked,
    missing,
    layered,
    warn: opts.warn,
  });
  if (src.kind === "rootfs") {
    await walkRootfs(src, context(0, src.root), opts);
    findMissingLinks(tree, capture, missing);
    return { tree, layers: [], missing, layered };
  }
  const layers: WalkedLayer[] = [];
  for (const layer of src.layers) {
    const ctx = context(layer.index, layer.where);
    const use = cache && cacheable(layer) ? cache : undefined;
    if (use && cacheable(layer)) {
      const size = layer.size ?? use.store.blobSize(blobKey(layer));
      const record = size === undefined ? undefined : use.store.get(layer.diffId, use.fingerprint);
      if (record && size !== undefined && recordSuffices(record, ctx)) {
        replayLayer(ctx, record, opts.streams);
        layers.push({ diffId: layer.diffId, digest: layer.digest, size });
        continue;
      }
    }
    const walked = await walkLayer(layer, ctx, opts.streams, opts.limits, use !== undefined);
    layers.push({ diffId: walked.diffId, digest: walked.digest, size: walked.size });
    if (use && walked.ops && cacheable(layer)) {
      use.store.put(layer.diffId, use.fingerprint, { ops: walked.ops });
      if (layer.size === undefined) use.store.setBlobSize(blobKey(layer), layer.diffId, walked.size);
    }
  }
  findMissingLinks(tree, capture, missing);
  return { tree, layers, missing, layered };
}

function findMissingLinks(tree: FileTree, capture: (p: string) => number, missing: Set<string>): void {
  for (const [path, entry] of tree.entries()) {
    if (entry.kind !== "symlink" || capture(path) === 0) continue;
    const real = tree.resolve(path);
    if (real === undefined) continue;
    const target = tree.get(real);
    if (!target || (target.kind === "file" && !target.content)) missing.add(real);
  }
}

async function walkRootfs(src: RootfsImage, ctx: ApplyContext, opts: WalkOptions) {
  const skipTop = new Set(["proc", "sys", "dev"]);
  const stack = [""];
  while (stack.length) {
    const rel = stack.pop()!;
    let dir: Awaited<ReturnType<typeof opendir>>;
    try {
      dir = await opendir(join(src.root, rel), { bufferSize: 256 });
    } catch (err) {
      opts.warn(`${join(src.root, rel)}: cannot read directory (${(err as NodeJS.ErrnoException).code})`);
      continue;
    }
    for await (const d of dir) {
      const p = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        if (!(rel === "" && skipTop.has(d.name))) stack.push(p);
      } else if (d.isSymbolicLink()) {
        const target = await readlink(join(src.root, p)).catch(() => undefined);
        if (target !== undefined)
          ctx.tree.put(p, { kind: "symlink", layer: 0, mode: 0o777, size: 0, target });
      } else if (d.isFile()) {
        const full = join(src.root, p);
        const cap = ctx.rules(p);
        const max = limitFor(ctx, p, cap);
        if (max === 0 && !opts.streams?.length) continue;
        const st = await lstat(full).catch(() => undefined);
        if (!st) continue;
        const feed = feedFor(p, st.size, st.mode, { cap, max }, opts.streams);
        if (!feed) {
          applyFile(ctx, { op: "file", path: p, mode: st.mode, size: st.size, cap });
          continue;
        }
        try {
          for await (const chunk of createReadStream(full, { highWaterMark: 1 << 20 }))
            feed.write(chunk as Buffer);
        } catch (err) {
          opts.warn(`${full}: cannot read (${(err as NodeJS.ErrnoException).code})`);
          continue;
        }
        applyFile(ctx, feed.end());
      }
    }
  }
}

function collect({ tree, layers, layered }: Pass, opts: WalkOptions): WalkResult {
  const files: WalkedFile[] = [];
  const streamed: StreamedResult[] = [];
  for (const [path, entry] of tree.entries()) {
    if (entry.results)
      streamed.push({
        path,
        layer: layers[entry.layer]?.diffId,
        mode: entry.mode,
        size: entry.size,
        results: entry.results,
      });
    if (opts.capture(path) === 0) continue;
    let real = path;
    let target = entry;
    if (entry.kind === "symlink") {
      const r = tree.resolve(path);
      const t = r === undefined ? undefined : tree.get(r);
      if (r === undefined || !t) {
        if (r === undefined) opts.warn(`${path}: symlink loop or too many links; skipped`);
        continue;
      }
      real = r;
      target = t;
    }
    if (target.kind !== "file" || !target.content) continue;
    files.push({
      path,
      realPath: real,
      content: target.content,
      layer: layers[target.layer]?.diffId,
      mode: target.mode,
    });
  }
  return {
    files,
    streamed,
    layers,
    layered: layered.map((r) => {
      const now = tree.get(r.path);
      return {
        path: r.path,
        layer: layers[r.layer]?.diffId,
        mode: r.mode,
        size: r.size,
        results: r.results,
        present: now?.kind === "file" && now.layer === r.layer,
      };
    }),
  };
}

export type { LayeredImage };
