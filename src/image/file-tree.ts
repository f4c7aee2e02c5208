import { resolveLinkTarget } from "./paths.js";

/**
 * The merged view of an image's layers, kept sparse: only files somebody asked to capture and symlinks
 * (needed to resolve paths the way the runtime does) are stored. Every other entry is only looked up,
 * so a 1M-file image costs a trie of its captured files and links, not of the whole filesystem.
 * Layer semantics follow the OCI image spec "Applying changesets": later layers replace, whiteouts
 * (`.wh.NAME`) delete, opaque markers (`.wh..wh..opq`) hide everything a lower layer put in a directory.
 */

export interface TreeEntry {
  kind: "file" | "symlink";
  /** index of the layer that wrote this entry */
  layer: number;
  mode: number;
  size: number;
  /** captured bytes (files only) */
  content?: Buffer;
  /** symlink target as written in the archive */
  target?: string;
  /** extracts of streaming analyzers, by analyzer id (files only) */
  results?: Record<string, unknown>;
}

interface Node {
  entry?: TreeEntry;
  children?: Map<string, Node>;
}

const MAX_LINK_HOPS = 40; // Linux MAXSYMLINKS

export class FileTree {
  private readonly root: Node = {};
  private count = 0;

  /** number of stored entries (captured files + symlinks) */
  get size(): number {
    return this.count;
  }

  private lookup(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    if (path === "") return node;
    for (const seg of path.split("/")) {
      node = node.children?.get(seg);
      if (!node) return undefined;
    }
    return node;
  }

  /** Remove entries that lower layers (index < layer) wrote at or below `node`; returns true if node is empty. */
  private prune(node: Node, layer: number): boolean {
    if (node.entry && node.entry.layer < layer) {
      node.entry = undefined;
      this.count--;
    }
    if (node.children) {
      for (const [name, child] of node.children) if (this.prune(child, layer)) node.children.delete(name);
      if (node.children.size === 0) node.children = undefined;
    }
    return !node.entry && !node.children;
  }

  /** Store a captured file or symlink; it replaces whatever lower layers had at that path (dir included). */
  put(path: string, entry: TreeEntry): void {
    let node = this.root;
    for (const seg of path.split("/")) {
      // a directory now passes through here: a lower layer's file or symlink at this prefix is gone
      if (node.entry && node.entry.layer < entry.layer) {
        node.entry = undefined;
        this.count--;
      }
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (!next) {
        next = {};
        node.children.set(seg, next);
      }
      node = next;
    }
    if (node.children) this.prune(node, entry.layer);
    if (!node.entry) this.count++;
    node.entry = entry;
  }

  /** A non-captured file (or device, fifo) written at `path` by `layer`: hides what lower layers had there. */
  replaceUntracked(path: string, layer: number): void {
    const node = this.lookup(path);
    if (node) this.prune(node, layer);
  }

  /** A directory entry: a lower layer's file or symlink at the same path is replaced by the directory. */
  dir(path: string, layer: number): void {
    const node = this.lookup(path);
    if (node?.entry && node.entry.layer < layer) {
      node.entry = undefined;
      this.count--;
    }
  }

  /** `.wh.NAME`: delete NAME (and everything below it) written by lower layers. */
  whiteout(path: string, layer: number): void {
    const node = this.lookup(path);
    if (node) this.prune(node, layer);
  }

  /** `.wh..wh..opq` in DIR: hide every lower-layer entry below DIR, keep the directory itself. */
  opaque(dir: string, layer: number): void {
    const node = this.lookup(dir);
    if (!node?.children) return;
    for (const [name, child] of node.children) if (this.prune(child, layer)) node.children.delete(name);
  }

  get(path: string): TreeEntry | undefined {
    return this.lookup(path)?.entry;
  }

  /**
   * Resolve symlinks in every component of `path` inside the image root (a link can never leave it:
   * `..` stops at `/`, absolute targets start at the image root). Returns the final path, or undefined
   * for a loop or more than 40 hops.
   */
  resolve(path: string): string | undefined {
    let hops = 0;
    let pending = path.split("/").filter((s) => s !== "" && s !== ".");
    const done: string[] = [];
    while (pending.length) {
      const seg = pending.shift()!;
      if (seg === "..") {
        done.pop();
        continue;
      }
      done.push(seg);
      const cur = done.join("/");
      const entry = this.get(cur);
      if (entry?.kind === "symlink") {
        if (++hops > MAX_LINK_HOPS) return undefined;
        const target = resolveLinkTarget(cur, entry.target ?? "");
        done.length = 0;
        pending = [...target.split("/").filter((s) => s !== ""), ...pending];
      }
    }
    return done.join("/");
  }

  /** Every stored entry with its path, depth-first in name order (deterministic output). */
  *entries(): Generator<[string, TreeEntry]> {
    const stack: [string, Node][] = [["", this.root]];
    while (stack.length) {
      const [path, node] = stack.pop()!;
      if (node.entry && path) yield [path, node.entry];
      if (node.children) {
        const names = [...node.children.keys()].sort().reverse();
        for (const name of names) stack.push([path ? `${path}/${name}` : name, node.children.get(name)!]);
      }
    }
  }
}
