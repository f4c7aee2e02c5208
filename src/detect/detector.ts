import type { LocatedFinding, Severity } from "../model/index.js";

/**
 * One detector = one file behind these interfaces. Detectors never read files themselves: the image
 * walker streams every regular file of every layer (including files a later layer deletes) past the
 * content scanners that `wants` it, and hands the image config to the config scanners.
 */

/** What a content scanner found in one file; the pipeline adds path, layer and the "deleted" note. */
export interface ContentHit {
  /** rule id, e.g. "aws-access-key-id", "miner.xmrig", "CIS-DI-0008" */
  id: string;
  kind: "secret" | "malware" | "misconfig";
  severity: Severity;
  title?: string;
  /** 1-based line of the match, when the content is text */
  line?: number;
  /** masked match (secrets never appear whole) */
  match?: string;
  /** what matched and why (rule, strings, pool address …) */
  evidence?: string;
  /**
   * The detector knows this hit is not a problem (Airbag's own rule files, recognised by SHA-256):
   * the finding goes to the report's `suppressed` list with this reason — never dropped.
   */
  suppressedBecause?: string;
}

export interface ContentConsumer {
  /** return false to stop receiving this file's bytes (nothing more to learn) */
  write(chunk: Buffer): boolean;
  end(): ContentHit[];
}

export interface ContentScanner {
  name: string;
  /** bump when output changes (per-layer result caching) */
  version: number;
  /**
   * "every-layer": hits in files a later layer deletes or replaces still count (secrets, malware ship
   * with the image); "final": only files present in the final image (setuid bits, leftover caches).
   */
  scope: "every-layer" | "final";
  /** runs for every regular file of every layer: must be cheap (path, size, mode bits) */
  wants(path: string, size: number, mode: number): boolean;
  consume(path: string, size: number, mode: number): ContentConsumer;
  /**
   * Findings that summarise many files ("89 .deb files left in the apt cache"), asked for once after
   * the walk; `path` is the directory or first file they are about. Such scanners keep state, so the
   * registry makes a fresh one per scan. They must derive that cross-file state in `consume()` from
   * path, size and mode alone: files of layers served from the layer cache are replayed without bytes.
   */
  finish?(): (ContentHit & { path: string })[];
  /** non-fatal problems found while loading rules (a YARA rule that uses an unsupported module …) */
  readonly warnings?: readonly string[];
}

/** The parts of an image config (OCI/Docker) detectors look at. */
export interface ImageMeta {
  /** image reference or name as given, e.g. "docker.io/library/nginx:latest" */
  name?: string;
  user?: string;
  env: string[];
  labels: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  exposedPorts: string[];
  healthcheck?: { test?: string[] };
  /** history[].created_by, in order, with the empty_layer flag */
  history: { createdBy: string; emptyLayer: boolean }[];
}

export interface ConfigFinding extends ContentHit {
  /** where in the config: "config.Env[3]", "history[5].created_by", "config.User" */
  field: string;
}

export interface ConfigScanner {
  name: string;
  version: number;
  scanConfig(meta: ImageMeta): ConfigFinding[];
}

export type { LocatedFinding };
