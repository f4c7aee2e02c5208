import type pg from "pg";
import { inputError } from "../../model/index.js";
import { redactUrl } from "./common.js";

/**
 * Numbered schema migrations of the PostgreSQL store (same tables as migrations-sqlite.ts, with JSONB
 * and timestamptz). Append only: a shipped migration is never edited; a new one gets the next number.
 * pg-boss keeps its own tables in its own schema (`pgboss`) and migrates them itself.
 */
export const PG_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE tokens (
  id text PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL,
  host text,
  secret_sha256 text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE TABLE scans (
  digest text PRIMARY KEY,
  refs jsonb NOT NULL,
  scanned_at timestamptz NOT NULL,
  summary jsonb NOT NULL,
  kinds jsonb NOT NULL,
  worst integer NOT NULL,
  signed boolean,
  report jsonb
);
CREATE INDEX scans_scanned_at ON scans (scanned_at);
CREATE TABLE scan_history (
  id bigserial PRIMARY KEY,
  digest text NOT NULL,
  scanned_at timestamptz NOT NULL,
  summary jsonb NOT NULL
);
CREATE INDEX scan_history_at ON scan_history (scanned_at);
CREATE TABLE jobs (
  id text PRIMARY KEY,
  target text NOT NULL,
  state text NOT NULL,
  origin text NOT NULL,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  worker text,
  digest text,
  error text,
  owner text,
  lease_until timestamptz,
  not_before timestamptz
);
CREATE INDEX jobs_state ON jobs (state, created_at);
CREATE UNIQUE INDEX jobs_live_target ON jobs (target) WHERE state IN ('queued', 'running');
CREATE TABLE hosts (
  host text PRIMARY KEY,
  agent_version text,
  last_seen timestamptz NOT NULL,
  ack_seq bigint NOT NULL DEFAULT 0,
  inventory_seq bigint NOT NULL DEFAULT -1,
  containers jsonb NOT NULL DEFAULT '[]'
);
CREATE TABLE agent_events (
  host text NOT NULL,
  seq bigint NOT NULL,
  type text NOT NULL,
  at timestamptz NOT NULL,
  body jsonb NOT NULL,
  PRIMARY KEY (host, seq)
);
CREATE TABLE detections (
  host text NOT NULL,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  detection jsonb NOT NULL,
  PRIMARY KEY (host, seq)
);
CREATE INDEX detections_at ON detections (at);
CREATE TABLE alerts (
  id text PRIMARY KEY,
  host text NOT NULL,
  at timestamptz NOT NULL,
  alert jsonb NOT NULL
);
CREATE INDEX alerts_at ON alerts (at);
CREATE TABLE approvals (
  id text PRIMARY KEY,
  host text NOT NULL,
  request jsonb NOT NULL,
  requested_at timestamptz NOT NULL,
  state text NOT NULL,
  decision jsonb,
  delivered boolean NOT NULL DEFAULT false
);
CREATE INDEX approvals_host ON approvals (host, state);
CREATE TABLE bench (
  id bigserial PRIMARY KEY,
  host text NOT NULL,
  at timestamptz NOT NULL,
  score double precision NOT NULL,
  percent double precision NOT NULL,
  summary jsonb NOT NULL
);
CREATE TABLE policies (
  version serial PRIMARY KEY,
  yaml text NOT NULL,
  by text NOT NULL,
  at timestamptz NOT NULL
);
`,
  },
];

/** a distinct 64-bit advisory lock key for migrations ("airbag" in ASCII) */
const MIGRATION_LOCK = 0x616972626167;

/** Apply what is missing in one transaction under an advisory lock; refuse a newer schema. */
export async function migratePg(pool: pg.Pool, url: string): Promise<void> {
  const latest = PG_MIGRATIONS.at(-1)!.version;
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    // two servers/workers starting together: the second waits here, then finds nothing to do
    await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await c.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)",
    );
    const have = Number(
      (await c.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")).rows[0].v,
    );
    if (have > latest)
      throw inputError(
        `--database ${redactUrl(url)}: schema version ${have} is newer than this airbag supports (${latest}); upgrade airbag`,
      );
    for (const m of PG_MIGRATIONS) {
      if (m.version <= have) continue;
      await c.query(m.sql);
      await c.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", [m.version]);
    }
    await c.query("COMMIT");
  } catch (err) {
    await c.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}
