import type { OsInfo, Package } from "../model/index.js";

/** A regular file the walker buffered because an analyzer asked for it (final state of the image). */
export interface CapturedFile {
  /** normalised path inside the image: no leading `/`, no `.`/`..` segments */
  path: string;
  content: Buffer;
  /** diffID of the layer that provided this version of the file */
  layer?: string;
  mode: number;
}

export interface AnalyzerContext {
  os?: OsInfo;
  /** any captured file by path (after symlink resolution), e.g. a dpkg package's copyright file */
  file(path: string): CapturedFile | undefined;
  warn(message: string): void;
}

/**
 * One ecosystem = one analyzer file. The walker offers every regular file's path to `match`; matching files
 * up to `maxFileSize` bytes are buffered and handed to `analyze` after all layers are applied.
 */
export interface Analyzer {
  name: string;
  /** bump when output changes, so cached per-layer results are invalidated */
  version: number;
  match(path: string): boolean;
  maxFileSize: number;
  /** must not throw on malformed content: report via ctx.warn and return what parsed */
  analyze(files: CapturedFile[], ctx: AnalyzerContext): Package[] | Promise<Package[]>;
}
