import { createReadStream } from "node:fs";
import { lstat, opendir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { inputError } from "../model/index.js";
import { DEFAULT_LIMITS, decompressed, type ExpansionLimits, newTap } from "./decompress.js";
import { parseDigest } from "./digest.js";
import { FileTree } from "./file-tree.js";
import { basename, dirname, normalizeEntryPath } from "./paths.js";
import { type EntryBodySink, readTar, type TarHeader } from "./tar.js";
import type { ImageSource, LayeredImage, LayerRef, RootfsImage } from "./types.js";

/**
 * One streaming pass over every layer (or a rootfs directory), applying the layers as the runtime does
 * and buffering only the files the caller asks for. See file-tree.ts for the layer semantics.
 */

/** A streaming consumer factory (see catalog/analyzer.ts StreamAnalyzer), keyed by `id`. */
export interface StreamTap {
  id: string;
  /**
   * Results of an every-layer tap are kept for every file of every layer, also when a later layer
   * deletes or replaces the file (secrets and malware still ship in the image's blobs); others only
   * for files of the final image.
   */
  everyLayer?: boolean;
  wants(path: string, size: number, mode: number): boolean;
  consume(path: string, size: number, mode: number): { write(chunk: Buffer): boolean; end(): unknown };
}

export interface WalkOptions {
  /** 0 = not wanted; otherwise the largest size (bytes) to buffer for this path */
  capture(path: string): number;
  streams?: readonly StreamTap[];
  warn(message: string): void;
  limits?: ExpansionLimits;
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
  const first = await walkOnce(src, opts.capture, opts);
  if (first.missing.size === 0) return collect(first, opts);
  // A wanted path is a link to a file nobody asked for (etc/os-release -> ../usr/lib/os-release):
  // walk again, this time also capturing the link targets. Rare, and bounded to one extra pass.
  const missing = first.missing;
  const capture = (p: string) => opts.capture(p) || (missing.has(p) ? LINKED_MAX : 0);
  const second = await walkOnce(src, capture, opts);
  return collect(second, opts);
}

interface Pass {
  tree: FileTree;
  layers: WalkedLayer[];
  missing: Set<string>;
  layered: LayeredRecord[];
}

interface LayeredRecord {
  path: string;
  layer: number;
  mode: number;
  size: number;
  results: Record<string, unknown>;
}

async function walkOnce(src: ImageSource, capture: (p: string) => number, opts: WalkOptions): Promise<Pass> {
  const tree = new FileTree();
  const missing = new Set<string>();
  const layered: LayeredRecord[] = [];
  if (src.kind === "rootfs") {
    await walkRootfs(src, tree, capture, opts, layered);
    findMissingLinks(tree, capture, missing);
    return { tree, layers: [], missing, layered };
  }
  const layers: WalkedLayer[] = [];
  for (const layer of src.layers) layers.push(await walkLayer(layer, tree, capture, missing, opts, layered));
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

async function walkLayer(
  layer: LayerRef,
  tree: FileTree,
  capture: (p: string) => number,
  missing: Set<string>,
  opts: WalkOptions,
  layered: LayeredRecord[],
): Promise<WalkedLayer> {
  const i = layer.index;
  const blobTap = newTap(layer.digest ? parseDigest(layer.digest, layer.where).node : "sha256");
  const plainTap = newTap();
  const onEntry = (h: TarHeader): EntryBodySink | undefined => {
    const p = normalizeEntryPath(h.path);
    if (p === undefined) {
      opts.warn(`${layer.where}: skipped entry "${h.path}" that escapes the image root`);
      return undefined;
    }
    if (p === "") return undefined;
    const base = basename(p);
    if (base.startsWith(".wh.")) {
      const victim = base.slice(4);
      if (base === ".wh..wh..opq") tree.opaque(dirname(p), i);
      else if (victim !== "" && victim !== "." && victim !== "..")
        tree.whiteout(dirname(p) ? `${dirname(p)}/${victim}` : victim, i);
      return undefined;
    }
    switch (h.type) {
      case "dir":
        tree.dir(p, i);
        return undefined;
      case "symlink":
        tree.put(p, { kind: "symlink", layer: i, mode: h.mode, size: 0, target: h.linkname });
        return undefined;
      case "hardlink":
        return hardlink(tree, p, h, i, capture, missing);
      case "file":
        return regularFile(tree, p, h, i, capture, opts, layer.where, layered);
      default:
        // devices, fifos: recorded as "something else is here now", never read
        tree.replaceUntracked(p, i);
        return undefined;
    }
  };
  await readTar(
    decompressed(await layer.open(), layer.where, blobTap, plainTap, opts.limits ?? DEFAULT_LIMITS),
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
  return { diffId, digest: layer.digest, size: blobTap.bytes };
}

function hardlink(
  tree: FileTree,
  p: string,
  h: TarHeader,
  i: number,
  capture: (p: string) => number,
  missing: Set<string>,
): undefined {
  const target = normalizeEntryPath(h.linkname);
  const te = target ? tree.get(target) : undefined;
  if (te?.kind === "file" && te.content) tree.put(p, { ...te, layer: i });
  else if (capture(p) > 0 && target) {
    tree.put(p, { kind: "file", layer: i, mode: h.mode, size: 0 });
    missing.add(target);
  } else tree.replaceUntracked(p, i);
  return undefined;
}

interface Feed {
  write(chunk: Buffer): void;
  /** the captured bytes and tap results, or undefined when nothing is kept */
  end():
    | { content?: Buffer; results?: Record<string, unknown>; layerResults?: Record<string, unknown> }
    | undefined;
}

/** Fan one file's bytes out to the capture buffer and every tap that wants it. */
function feedFor(
  p: string,
  size: number,
  mode: number,
  max: number,
  opts: WalkOptions,
  where: string,
): Feed | undefined {
  const taps = opts.streams?.filter((t) => t.wants(p, size, mode)) ?? [];
  const capturing = max > 0 && size <= max;
  if (max > 0 && !capturing)
    opts.warn(`${where}: ${p} is ${size} bytes, over the ${max}-byte limit for this file; skipped`);
  if (!capturing && taps.length === 0) return undefined;
  const buf = capturing ? Buffer.allocUnsafe(size) : undefined;
  let off = 0;
  // a tap that returned false from write() has seen enough: it gets no more bytes but still ends
  const active = taps.map((t) => {
    try {
      return {
        id: t.id,
        everyLayer: t.everyLayer === true,
        c: t.consume(p, size, mode) as ReturnType<StreamTap["consume"]> | undefined,
        feeding: true,
      };
    } catch (err) {
      opts.warn(`${where}: ${p}: ${t.id} failed: ${(err as Error).message}`);
      return { id: t.id, everyLayer: false, c: undefined, feeding: false };
    }
  });
  const fail = (a: (typeof active)[number], err: unknown) => {
    opts.warn(`${where}: ${p}: ${a.id} failed: ${(err as Error).message}`);
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
      let results: Record<string, unknown> | undefined;
      let layerResults: Record<string, unknown> | undefined;
      for (const a of active) {
        if (!a.c) continue;
        try {
          const r = a.c.end();
          if (r === undefined) continue;
          if (a.everyLayer) {
            layerResults ??= {};
            layerResults[a.id] = r;
          } else {
            results ??= {};
            results[a.id] = r;
          }
        } catch (err) {
          fail(a, err);
        }
      }
      if (!buf && !results && !layerResults) return undefined;
      return { content: buf, results, layerResults };
    },
  };
}

function regularFile(
  tree: FileTree,
  p: string,
  h: TarHeader,
  i: number,
  capture: (p: string) => number,
  opts: WalkOptions,
  where: string,
  layered: LayeredRecord[],
): EntryBodySink | undefined {
  const max = capture(p);
  if (h.sparse) {
    if (max > 0) opts.warn(`${where}: ${p} is a sparse file; not read`);
    tree.replaceUntracked(p, i);
    return undefined;
  }
  const feed = feedFor(p, h.size, h.mode, max, opts, where);
  if (!feed) {
    tree.replaceUntracked(p, i);
    return undefined;
  }
  const finish = () => {
    const kept = feed.end();
    if (kept?.layerResults)
      layered.push({ path: p, layer: i, mode: h.mode, size: h.size, results: kept.layerResults });
    // a file with every-layer results stays in the tree (without content) so that a later
    // whiteout or replacement shows up as "not present" in the final image
    if (kept)
      tree.put(p, {
        kind: "file",
        layer: i,
        mode: h.mode,
        size: h.size,
        content: kept.content,
        results: kept.results,
      });
    else tree.replaceUntracked(p, i);
  };
  if (h.size === 0) {
    finish();
    return undefined;
  }
  return { data: (chunk) => feed.write(chunk), end: finish };
}

async function walkRootfs(
  src: RootfsImage,
  tree: FileTree,
  capture: (p: string) => number,
  opts: WalkOptions,
  layered: LayeredRecord[],
) {
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
        if (target !== undefined) tree.put(p, { kind: "symlink", layer: 0, mode: 0o777, size: 0, target });
      } else if (d.isFile()) {
        const full = join(src.root, p);
        const max = capture(p);
        if (max === 0 && !opts.streams?.length) continue;
        const st = await lstat(full).catch(() => undefined);
        if (!st) continue;
        const feed = feedFor(p, st.size, st.mode, max, opts, src.root);
        if (!feed) continue;
        try {
          for await (const chunk of createReadStream(full, { highWaterMark: 1 << 20 }))
            feed.write(chunk as Buffer);
        } catch (err) {
          opts.warn(`${full}: cannot read (${(err as NodeJS.ErrnoException).code})`);
          continue;
        }
        const kept = feed.end();
        if (kept?.layerResults)
          layered.push({ path: p, layer: 0, mode: st.mode, size: st.size, results: kept.layerResults });
        if (kept)
          tree.put(p, {
            kind: "file",
            layer: 0,
            mode: st.mode,
            size: st.size,
            content: kept.content,
            results: kept.results,
          });
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
