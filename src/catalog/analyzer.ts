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

/**
 * For files too big or too many to buffer (executables, jars): the analyzer sees the bytes as they
 * stream past and keeps only what it extracts. `wants` runs for every regular file of every layer, so it
 * must be cheap (path suffix, size, mode bits). A consumer may stop early by returning false from `write`.
 */
export interface StreamConsumer<R = unknown> {
  write(chunk: Buffer): boolean;
  /** the extract of this file, or undefined when it held nothing of interest */
  end(): R | undefined;
}

export interface StreamedFile<R = unknown> {
  path: string;
  layer?: string;
  mode: number;
  size: number;
  result: R;
}

export interface StreamAnalyzer<R = unknown> {
  name: string;
  version: number;
  wants(path: string, size: number, mode: number): boolean;
  consume(path: string, size: number): StreamConsumer<R>;
  /** turn the extracts of files present in the final image into packages; must not throw */
  analyze(files: StreamedFile<R>[], ctx: AnalyzerContext): Package[] | Promise<Package[]>;
}
