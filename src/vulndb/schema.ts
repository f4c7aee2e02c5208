/**
 * The vulnerability database schema and its migrations. `meta.schema_version` is the number of migrations
 * applied; opening a database runs the missing ones, and refuses a database newer than this code.
 *
 * Layout (one SQLite file), sized for a million records:
 *  - advisories  one row per (id, source): the columns below, plus `json` = `{aliases, references}`
 *                (empty lists omitted)
 *  - aliases     (alias, advisory_pk) — one B-tree keyed by alias: `byAlias("CVE-…")` finds GHSA/GO/DSA
 *  - affected    one row per affected package, indexed by (ecosystem, package name key — see
 *                `packageKey`); `json` = the Affected without `ecosystem` (and without `package` when the
 *                key is the name as spelled; `versions` when empty). Ranges are evaluated in JS by the
 *                matcher, per ecosystem's version order.
 *  - cvss        (advisory_pk, source, version, vector, score); score NULL when not computable
 *  - epss, kev   per-CVE enrichment
 *  - meta        key/value: schema_version, built_at, `source.<name>.updated_at` / `.records`
 *
 * `affected.slot` and `cvss.slot` are `advisory_pk × 2^20 + n`: an advisory's rows are one contiguous
 * rowid range, so replacing them is a range delete and no (advisory_pk) index is needed — on a 1M-record
 * build that index cost more time and space than it saved. References are not a table: nobody queries
 * them by URL, and a row per URL cost a third of the import time.
 */
import type Database from "better-sqlite3";

type Db = Database.Database;

export const MIGRATIONS: ReadonlyArray<(db: Db) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE advisories (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        source TEXT NOT NULL,
        summary TEXT,
        details TEXT,
        published TEXT,
        modified TEXT,
        severity TEXT,
        json TEXT NOT NULL
      );
      CREATE UNIQUE INDEX advisories_id_source ON advisories(id, source);
      CREATE TABLE aliases (
        alias TEXT NOT NULL,
        advisory_pk INTEGER NOT NULL,
        PRIMARY KEY (alias, advisory_pk)
      ) WITHOUT ROWID;
      CREATE TABLE affected (
        slot INTEGER PRIMARY KEY,
        advisory_pk INTEGER NOT NULL,
        ecosystem TEXT NOT NULL,
        package TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX affected_package ON affected(ecosystem, package);
      CREATE TABLE cvss (
        slot INTEGER PRIMARY KEY,
        advisory_pk INTEGER NOT NULL,
        source TEXT NOT NULL,
        version TEXT NOT NULL,
        vector TEXT NOT NULL,
        score REAL
      );
      CREATE TABLE epss (cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL) WITHOUT ROWID;
      CREATE TABLE kev (
        cve TEXT PRIMARY KEY,
        date_added TEXT,
        due_date TEXT,
        ransomware INTEGER NOT NULL,
        vendor TEXT,
        product TEXT,
        name TEXT
      ) WITHOUT ROWID;
    `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Rows of one advisory in `affected`/`cvss` live at slots [pk × SLOTS, pk × SLOTS + SLOTS). */
export const SLOTS = 2 ** 20;

/** The schema version stored in the file (0 for an empty file). */
export function storedVersion(db: Db): number {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  return row ? Number(row.value) : 0;
}

/** Apply the migrations after `from`, each in its own transaction. */
export function migrate(db: Db, from: number): void {
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(v + 1));
    })();
  }
}
