/**
 * Where the layer cache lives: `<dir>/layer-cache.sqlite` for `--cache-dir DIR`, else beside the
 * vulnerability database (db-path.ts); and how big it may grow (`AIRBAG_CACHE_MAX_MB`, default 2 GiB).
 */
import { dirname, join, resolve } from "node:path";
import { inputError } from "../model/index.js";
import { resolveDbPath } from "./db-path.js";

export const LAYER_CACHE_FILE = "layer-cache.sqlite";
const DEFAULT_MAX_MB = 2048;

/** `dir` given: the cache in it; else next to the database `--db` / `$AIRBAG_DB` / the XDG cache names. */
export function cachePath(dir?: string, dbFlag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (dir) return join(resolve(dir), LAYER_CACHE_FILE);
  return join(dirname(resolveDbPath(dbFlag, env)), LAYER_CACHE_FILE);
}

/** The cache's size cap in bytes, from `AIRBAG_CACHE_MAX_MB` (MiB). */
export function cacheMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.AIRBAG_CACHE_MAX_MB;
  if (raw === undefined || raw.trim() === "") return DEFAULT_MAX_MB * 2 ** 20;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0)
    throw inputError(`AIRBAG_CACHE_MAX_MB: expected a positive number of MiB, got "${raw}"`);
  return Math.floor(mb * 2 ** 20);
}
