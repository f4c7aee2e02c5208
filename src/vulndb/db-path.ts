/**
 * Where the vulnerability database lives (contract): `--db`, else `$AIRBAG_DB`, else
 * `$XDG_CACHE_HOME/airbag/db.sqlite`, else `~/.cache/airbag/db.sqlite`; and the work files kept beside it.
 */
import { readdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { type AirbagError, inputError } from "../model/index.js";

/** The one-line answer to "there is no database here" (exit 2), telling the user how to get one. */
export function missingDbError(dbPath: string): AirbagError {
  return inputError(
    `${dbPath}: no vulnerability database; run "airbag db update" (online) or "airbag db import BUNDLE" (offline), or pass --db FILE`,
  );
}

export function resolveDbPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.AIRBAG_DB) return resolve(env.AIRBAG_DB);
  // the XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored
  const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return join(cache ?? join(env.HOME || homedir(), ".cache"), "airbag", "db.sqlite");
}

/** `$XDG_CONFIG_HOME/airbag/<name>` (else `~/.config/airbag/<name>`): where the default sources file is. */
export function configPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  return join(config ?? join(env.HOME || homedir(), ".config"), "airbag", name);
}

/**
 * A private work path beside the database (same filesystem, so the final rename is atomic), named so
 * `removeLeftovers` recognises it: `<db>.tmp-<pid>-<tag>` for files, `<db>.download-<pid>` for the
 * download directory. `buildDatabase` names its copies `<db>.tmp-<pid>-<n>` the same way.
 */
export function workPath(dbPath: string, kind: "tmp" | "download", tag?: string): string {
  return `${dbPath}.${kind}-${process.pid}${tag ? `-${tag}` : ""}`;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, someone else's
  }
}

/**
 * Delete what a killed update / import left beside `dbPath`: temp copies and download directories of
 * processes that no longer run (a live one may be another update in progress), with the `-journal`
 * SQLite left beside a copy killed mid-build. Never touches the database itself or its own `-journal`
 * (`<db>-journal` lacks the `<db>.` prefix; a hot journal is SQLite's to roll back).
 */
export async function removeLeftovers(dbPath: string): Promise<string[]> {
  const dir = dirname(dbPath);
  const prefix = `${basename(dbPath)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(?:tmp|download)-(\d+)(?:-[^/]*)?$/.exec(name.slice(prefix.length));
    if (!m || alive(Number(m[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(join(dir, name));
  }
  return removed;
}
