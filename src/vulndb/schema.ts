/**
 * The vulnerability database schema and its migrations. `meta.schema_version` is the number of migrations
 * applied; opening a database runs the missing ones, and refuses a database newer than this code.
 *
 * Layout (schema v2; one SQLite file), sized for a million records:
 *  - advisories  one row per (id, source): `severity` and `doc`, the address of its document in
 *                `doc_blocks` (summary, details, dates, aliases, references, CVSS — see doc-blocks.ts and
 *                stored-advisory.ts)
 *  - doc_blocks  documents deflated `PER_BLOCK` at a time
 *  - aliases     (alias, advisory_pk) — one B-tree keyed by alias: `byAlias("CVE-…")` finds GHSA/GO/DSA
 *  - affected    one row per affected package, indexed by (ecosystem, package name key — see
 *                `packageKey`); `json` = the Affected without `ecosystem`, ranges in compact form (see
 *                stored-advisory.ts). Ranges are evaluated in JS by the matcher, per ecosystem's version
 *                order.
 *  - epss, kev   per-CVE enrichment
 *  - meta        key/value: schema_version, built_at, `source.<name>.updated_at` / `.records`
 *
 * `affected.slot` is `advisory_pk × 2^20 + n`: an advisory's rows are one contiguous rowid range (and
 * `slot >> 20` is its advisory), so replacing them is a range delete and no (advisory_pk) index is
 * needed. A bulk build drops `affected_package` and creates it once at the end (`BULK_INDEXES`): sorted
 * once, the index is built in a fraction of the time and packs its pages full. A build from an empty
 * file also creates `advisories_id_source` and fills `aliases` (sorted) only at its end (fresh-build.ts).
 *
 * v1 → v2 (blocks of documents, no cvss table) rebuilds: the old tables are dropped and the update
 * bookkeeping in `meta` cleared, so the next `airbag db update` downloads every feed again.
 */
import type Database from "better-sqlite3";

type Db = Database.Database;

/** Indexes only reads need: dropped for a bulk build, created once at its end. */
export const BULK_INDEXES = {
  create: "CREATE INDEX IF NOT EXISTS affected_package ON affected(ecosystem, package);",
  drop: "DROP INDEX IF EXISTS affected_package;",
};

/** The (id, source) lookup of writers; a fresh bulk build creates it at its end (fresh-build.ts). */
export const ID_SOURCE_INDEX =
  "CREATE UNIQUE INDEX IF NOT EXISTS advisories_id_source ON advisories(id, source);";

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
  (db) =>
    db.exec(`
      DROP TABLE IF EXISTS cvss;
      DROP TABLE IF EXISTS affected;
      DROP TABLE IF EXISTS aliases;
      DROP TABLE IF EXISTS advisories;
      DELETE FROM epss;
      DELETE FROM kev;
      DELETE FROM meta WHERE key NOT IN ('schema_version', 'built_at');
      CREATE TABLE advisories (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        source TEXT NOT NULL,
        severity TEXT,
        doc INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX advisories_id_source ON advisories(id, source);
      CREATE TABLE doc_blocks (block INTEGER PRIMARY KEY, data BLOB NOT NULL);
      CREATE TABLE aliases (
        alias TEXT NOT NULL,
        advisory_pk INTEGER NOT NULL,
        PRIMARY KEY (alias, advisory_pk)
      ) WITHOUT ROWID;
      CREATE TABLE affected (
        slot INTEGER PRIMARY KEY,
        ecosystem TEXT NOT NULL,
        package TEXT NOT NULL,
        json TEXT NOT NULL
      );
      ${BULK_INDEXES.create}
    `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Rows of one advisory in `affected`/`cvss` live at slots [pk × SLOTS, pk × SLOTS + SLOTS). */
export const SLOTS = 2 ** 20;
export const SLOT_BITS = 20;

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
