import type Database from "better-sqlite3";
import { inputError } from "../../model/index.js";

/**
 * Numbered schema migrations of the embedded SQLite store. Append only: a shipped migration is never
 * edited; a new one gets the next number. JSON is kept as TEXT, times as ISO-8601 TEXT (UTC), which
 * sorts chronologically.
 */
export const SQLITE_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  host TEXT,
  secret_sha256 TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE TABLE scans (
  digest TEXT PRIMARY KEY,
  refs TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  summary TEXT NOT NULL,
  kinds TEXT NOT NULL,
  worst INTEGER NOT NULL,
  signed INTEGER,
  report TEXT
);
CREATE INDEX scans_scanned_at ON scans (scanned_at);
CREATE TABLE scan_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  digest TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX scan_history_at ON scan_history (scanned_at);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  origin TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  digest TEXT,
  error TEXT,
  owner TEXT,
  lease_until TEXT,
  not_before TEXT
);
CREATE INDEX jobs_state ON jobs (state, created_at);
CREATE UNIQUE INDEX jobs_live_target ON jobs (target) WHERE state IN ('queued', 'running');
CREATE TABLE hosts (
  host TEXT PRIMARY KEY,
  agent_version TEXT,
  last_seen TEXT NOT NULL,
  ack_seq INTEGER NOT NULL DEFAULT 0,
  inventory_seq INTEGER NOT NULL DEFAULT -1,
  containers TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE agent_events (
  host TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (host, seq)
);
CREATE TABLE detections (
  host TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  detection TEXT NOT NULL,
  PRIMARY KEY (host, seq)
);
CREATE INDEX detections_at ON detections (at);
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  at TEXT NOT NULL,
  alert TEXT NOT NULL
);
CREATE INDEX alerts_at ON alerts (at);
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  request TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  state TEXT NOT NULL,
  decision TEXT,
  delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX approvals_host ON approvals (host, state);
CREATE TABLE bench (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host TEXT NOT NULL,
  at TEXT NOT NULL,
  score REAL NOT NULL,
  percent REAL NOT NULL,
  summary TEXT NOT NULL
);
CREATE TABLE policies (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  yaml TEXT NOT NULL,
  by TEXT NOT NULL,
  at TEXT NOT NULL
);
`,
  },
];

/** Apply what is missing in one IMMEDIATE transaction; refuse a database a newer airbag migrated. */
export function migrateSqlite(db: Database.Database, path: string): void {
  const latest = SQLITE_MIGRATIONS.at(-1)!.version;
  db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    );
    const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
    const have = row.v;
    if ((have ?? 0) > latest)
      throw inputError(
        `--database ${path}: schema version ${have} is newer than this airbag supports (${latest}); upgrade airbag`,
      );
    for (const m of SQLITE_MIGRATIONS) {
      if (m.version <= (have ?? 0)) continue;
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        m.version,
        new Date().toISOString(),
      );
    }
  }).immediate();
}
