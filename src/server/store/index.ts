import { homedir } from "node:os";
import { join } from "node:path";
import { inputError } from "../../model/index.js";
import { redactUrl } from "./common.js";
import { PgStore } from "./postgres.js";
import { SqliteStore } from "./sqlite.js";
import type { ServerStore } from "./types.js";

export { redactUrl } from "./common.js";
export { PgStore } from "./postgres.js";
export { SqliteStore } from "./sqlite.js";
export type * from "./types.js";

/** `$XDG_STATE_HOME/airbag/server.sqlite` (`~/.local/state/airbag/server.sqlite`). */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME?.trim() || join(homedir(), ".local", "state");
  return join(base, "airbag", "server.sqlite");
}

export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/**
 * `--database` → where the store lives: `sqlite:PATH` or a bare path → SQLite; `postgres://…` or
 * `postgresql://…` → PostgreSQL; nothing → the default SQLite file. Anything else is an input error.
 */
export function parseDatabaseUrl(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): StoreLocation {
  const v = url?.trim();
  if (!v) return { kind: "sqlite", path: defaultStorePath(env) };
  if (/^postgres(ql)?:\/\//i.test(v)) {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw inputError(
        `--database ${redactUrl(v)}: not a valid PostgreSQL URL (postgres://user@host:port/db)`,
      );
    }
    if (!u.hostname && !u.searchParams.get("host"))
      throw inputError(`--database ${redactUrl(v)}: no host in the PostgreSQL URL`);
    return { kind: "postgres", url: v };
  }
  if (/^sqlite:/i.test(v)) {
    const path = v.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (!path) throw inputError(`--database ${v}: no file after "sqlite:" (use sqlite:/path/server.sqlite)`);
    return { kind: "sqlite", path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
    throw inputError(`--database ${redactUrl(v)}: unsupported scheme (use sqlite:PATH or postgres://…)`);
  return { kind: "sqlite", path: v };
}

/** Open (and migrate) the server's store. */
export async function openStore(url: string | undefined): Promise<ServerStore> {
  const loc = parseDatabaseUrl(url);
  return loc.kind === "postgres" ? PgStore.open(loc.url) : SqliteStore.open(loc.path);
}
