import type { FileTree } from "./file-tree.js";
import { normalizeEntryPath } from "./paths.js";

/**
 * What the walker derives from one layer, as a list of operations on the merged tree: one per tar
 * entry, in archive order, with the captured bytes and tap results of regular files. A layer read from
 * its blob is turned into these operations and applied at once; the layer cache stores them, so a
 * cached layer is applied again without opening its blob. Both paths share `applyOp`, which is what
 * makes a cached walk equal to an uncached one.
 */

/** Bump when the meaning of an operation changes: older cache records stop matching. */
export const RECORD_FORMAT = 1;

export interface FileOp {
  op: "file";
  path: string;
  mode: number;
  size: number;
  /** the capture rules' limit for this path (0 = not wanted); the rules are part of the cache key */
  cap: number;
  /** a sparse tar member: never read */
  sparse?: true;
  /** captured bytes, when a capture rule wanted the file when the layer was read */
  content?: Buffer;
  /** final-image tap extracts, by tap id */
  results?: Record<string, unknown>;
  /** every-layer tap extracts, by tap id */
  layerResults?: Record<string, unknown>;
  /** taps that failed on this file (messages without the layer's name) */
  tapWarnings?: string[];
  /** ids of the taps with a `replay` hook that wanted this file */
  replays?: string[];
}

export type LayerOp =
  /** a warning about the layer itself, without the layer's name (which differs between images) */
  | { op: "warn"; message: string }
  | { op: "whiteout"; path: string }
  | { op: "opaque"; path: string }
  | { op: "dir"; path: string }
  /** device, fifo: something else is here now, never read */
  | { op: "other"; path: string }
  | { op: "symlink"; path: string; mode: number; target: string }
  /** `target` as written in the archive */
  | { op: "hardlink"; path: string; mode: number; target: string }
  | FileOp;

export interface LayerRecord {
  ops: LayerOp[];
}

/** Every-layer tap extracts of one file of one layer (see walk.ts LayeredResult). */
export interface LayeredRecord {
  path: string;
  layer: number;
  mode: number;
  size: number;
  results: Record<string, unknown>;
}

/** Where operations are applied: one layer of one walk pass. */
export interface ApplyContext {
  tree: FileTree;
  /** index of the layer */
  layer: number;
  /** the layer's name in messages */
  where: string;
  /** the caller's capture rules: 0 = not wanted, else the largest size to buffer */
  rules(path: string): number;
  /** what this pass captures beyond the rules (the second pass: link targets nobody asked for) */
  linked(path: string): number;
  /** link targets a wanted path needs but nobody captured (filled here for hardlinks) */
  missing: Set<string>;
  layered: LayeredRecord[];
  warn(message: string): void;
}

/** A tap as replay sees it (walk.ts StreamTap). */
export interface ReplayTap {
  id: string;
  replay?(path: string, size: number, mode: number): void;
}

/** The per-layer store the walker reads and fills (layer-cache.ts implements it with SQLite). */
export interface LayerRecordStore {
  get(diffId: string, fingerprint: string): LayerRecord | undefined;
  put(diffId: string, fingerprint: string, record: LayerRecord): void;
  /** stored size of a blob the manifest gives no size for, by digest (or `?` + diffID without one) */
  blobSize(key: string): number | undefined;
  setBlobSize(key: string, diffId: string, size: number): void;
}

/** The capture limit for `path` in this pass; `rule` = the rules' value when already known (recorded). */
export function limitFor(ctx: ApplyContext, path: string, rule?: number): number {
  return (rule ?? ctx.rules(path)) || ctx.linked(path);
}

export function applyOp(ctx: ApplyContext, o: LayerOp): void {
  const { tree, layer } = ctx;
  switch (o.op) {
    case "warn":
      ctx.warn(`${ctx.where}: ${o.message}`);
      return;
    case "whiteout":
      tree.whiteout(o.path, layer);
      return;
    case "opaque":
      tree.opaque(o.path, layer);
      return;
    case "dir":
      tree.dir(o.path, layer);
      return;
    case "other":
      tree.replaceUntracked(o.path, layer);
      return;
    case "symlink":
      tree.put(o.path, { kind: "symlink", layer, mode: o.mode, size: 0, target: o.target });
      return;
    case "hardlink":
      applyHardlink(ctx, o.path, o.mode, o.target);
      return;
    case "file":
      applyFile(ctx, o);
      return;
  }
}

function applyHardlink(ctx: ApplyContext, p: string, mode: number, linkname: string): void {
  const { tree, layer } = ctx;
  const target = normalizeEntryPath(linkname);
  const te = target ? tree.get(target) : undefined;
  if (te?.kind === "file" && te.content) tree.put(p, { ...te, layer });
  else if (limitFor(ctx, p) > 0 && target) {
    tree.put(p, { kind: "file", layer, mode, size: 0 });
    ctx.missing.add(target);
  } else tree.replaceUntracked(p, layer);
}

/**
 * A regular file: keep its captured bytes if a capture rule wants them now, and its tap extracts. A file
 * with every-layer extracts stays in the tree (without content) so that a later whiteout or replacement
 * shows up as "not present" in the final image.
 */
export function applyFile(ctx: ApplyContext, f: FileOp): void {
  const { tree, layer } = ctx;
  const max = limitFor(ctx, f.path, f.cap);
  if (f.sparse) {
    if (max > 0) ctx.warn(`${ctx.where}: ${f.path} is a sparse file; not read`);
    tree.replaceUntracked(f.path, layer);
    return;
  }
  const capturing = max > 0 && f.size <= max;
  if (max > 0 && !capturing)
    ctx.warn(`${ctx.where}: ${f.path} is ${f.size} bytes, over the ${max}-byte limit for this file; skipped`);
  for (const w of f.tapWarnings ?? []) ctx.warn(`${ctx.where}: ${w}`);
  const content = capturing ? f.content : undefined;
  if (f.layerResults)
    ctx.layered.push({ path: f.path, layer, mode: f.mode, size: f.size, results: f.layerResults });
  if (content || f.results || f.layerResults)
    tree.put(f.path, { kind: "file", layer, mode: f.mode, size: f.size, content, results: f.results });
  else tree.replaceUntracked(f.path, layer);
}

/** Can `record` stand in for reading the layer in this pass (are all wanted bytes in it)? */
export function recordSuffices(record: LayerRecord, ctx: ApplyContext): boolean {
  for (const o of record.ops) {
    if (o.op !== "file" || o.sparse || o.content) continue;
    const max = limitFor(ctx, o.path, o.cap);
    if (max > 0 && o.size <= max) return false;
  }
  return true;
}

/**
 * Apply a cached layer. Taps that keep per-scan state across files (`replay`) are told about the files
 * they wanted; their per-file extracts come from the record.
 */
export function replayLayer(ctx: ApplyContext, record: LayerRecord, taps: readonly ReplayTap[] = []): void {
  const stateful = new Map(taps.filter((t) => t.replay).map((t) => [t.id, t]));
  for (const o of record.ops) {
    if (o.op === "file" && o.replays)
      for (const id of o.replays) stateful.get(id)?.replay?.(o.path, o.size, o.mode);
    applyOp(ctx, o);
  }
}
