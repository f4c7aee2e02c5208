import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { deserialize, serialize } from "node:v8";
import { deflateSync, inflateSync } from "node:zlib";
import Database from "better-sqlite3";
import { type LayerRecord, type LayerRecordStore, RECORD_FORMAT } from "./replay.js";

/**
 * The layer cache: what the walker derived from each layer (replay.ts operations: tree changes,
 * captured bytes, tap extracts), keyed by diffID + the fingerprint of the analyzers and detectors that
 * produced it, in a SQLite file of its own. Values are v8-serialised and deflated; the file is bounded
 * by evicting the least recently used layers. It is only a cache: every failure (a corrupt file, a
 * full disk, a lock held too long) costs a warning and a cold walk, never the scan.
 */

export const DEFAULT_CACHE_MAX_BYTES = 2 * 2 ** 30;
const SCHEMA_VERSION = 1;
const BUSY_TIMEOUT_MS = 10_000;

export interface LayerCacheOptions {
  /** evict least recently used layers beyond this many stored (compressed) bytes */
  maxBytes?: number;
  warn?(message: string): void;
  /** clock for last-used times (tests) */
  now?(): number;
}

interface Row {
  id: number;
  value: Buffer;
}

const CORRUPT = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_VTAB"]);

export class LayerCache implements LayerRecordStore {
  private db: Database.Database | undefined;
  private readonly maxBytes: number;
  private readonly warn: (m: string) => void;
  private readonly now: () => number;

  private constructor(
    readonly file: string,
    opts: LayerCacheOptions,
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.warn = opts.warn ?? (() => {});
    this.now = opts.now ?? Date.now;
  }

  /** Open (creating it and its directory) or, if that fails, a cache that stores nothing. */
  static open(file: string, opts: LayerCacheOptions = {}): LayerCache {
    const cache = new LayerCache(file, opts);
    cache.connect(true);
    return cache;
  }

  get enabled(): boolean {
    return this.db !== undefined;
  }

  private connect(retry: boolean): void {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      db = new Database(this.file, { timeout: BUSY_TIMEOUT_MS });
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version !== SCHEMA_VERSION) this.createSchema(db, version);
      this.db = db;
    } catch (err) {
      db?.close();
      if (retry && CORRUPT.has((err as { code?: string }).code ?? "")) {
        this.discard(err);
        this.connect(false);
      } else this.warn(`${this.file}: layer cache unavailable (${(err as Error).message}); not caching`);
    }
  }

  private createSchema(db: Database.Database, version: number): void {
    // auto_vacuum takes effect only before the first table exists (lets eviction give pages back)
    if (version === 0) db.pragma("auto_vacuum = INCREMENTAL");
    // a cache of another layout is dropped, not migrated; a concurrent scan may have just created it
    db.transaction(() => {
      if ((db.pragma("user_version", { simple: true }) as number) === SCHEMA_VERSION) return;
      db.exec(`
        DROP TABLE IF EXISTS layers;
        DROP TABLE IF EXISTS blobs;
        CREATE TABLE layers (
          id INTEGER PRIMARY KEY,
          diff_id TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          value BLOB NOT NULL,
          bytes INTEGER NOT NULL,
          last_used INTEGER NOT NULL,
          UNIQUE (diff_id, fingerprint)
        );
        CREATE INDEX layers_last_used ON layers (last_used);
        CREATE TABLE blobs (key TEXT PRIMARY KEY, diff_id TEXT NOT NULL, size INTEGER NOT NULL);
      `);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  /** A corrupt file is deleted (with SQLite's side files) and started afresh. */
  private discard(err: unknown): void {
    this.warn(`${this.file}: layer cache is corrupt (${(err as Error).message}); discarded`);
    this.db?.close();
    this.db = undefined;
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) rmSync(f, { force: true });
  }

  /** Run one cache operation; errors become warnings (and a corrupt file is replaced). */
  private guarded<T>(what: string, fn: (db: Database.Database) => T): T | undefined {
    const db = this.db;
    if (!db) return undefined;
    try {
      return fn(db);
    } catch (err) {
      if (CORRUPT.has((err as { code?: string }).code ?? "")) {
        this.discard(err);
        this.connect(false);
      } else this.warn(`${this.file}: layer cache ${what} failed (${(err as Error).message})`);
      return undefined;
    }
  }

  get(diffId: string, fingerprint: string): LayerRecord | undefined {
    const row = this.guarded("read", (db) => {
      const r = db
        .prepare("SELECT id, value FROM layers WHERE diff_id = ? AND fingerprint = ?")
        .get(diffId, fingerprint) as Row | undefined;
      if (r) db.prepare("UPDATE layers SET last_used = ? WHERE id = ?").run(this.now(), r.id);
      return r;
    });
    if (!row) return undefined;
    const record = decode(row.value);
    // an undecodable value (written by another format) is a miss, and is replaced by the next put
    if (!record) this.guarded("cleanup", (db) => db.prepare("DELETE FROM layers WHERE id = ?").run(row.id));
    return record;
  }

  put(diffId: string, fingerprint: string, record: LayerRecord): void {
    if (!this.db) return;
    const value = encode(record);
    // one layer may not crowd out the rest of the cache
    if (value.length > this.maxBytes / 4) return;
    this.guarded("write", (db) => {
      db.prepare(
        `INSERT INTO layers (diff_id, fingerprint, value, bytes, last_used) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (diff_id, fingerprint) DO UPDATE SET value = excluded.value, bytes = excluded.bytes,
           last_used = excluded.last_used`,
      ).run(diffId, fingerprint, value, value.length, this.now());
      this.evict(db);
    });
  }

  blobSize(key: string): number | undefined {
    const row = this.guarded("read", (db) => db.prepare("SELECT size FROM blobs WHERE key = ?").get(key)) as
      | { size: number }
      | undefined;
    return row?.size;
  }

  setBlobSize(key: string, diffId: string, size: number): void {
    this.guarded("write", (db) =>
      db.prepare("INSERT OR REPLACE INTO blobs (key, diff_id, size) VALUES (?, ?, ?)").run(key, diffId, size),
    );
  }

  /** Stored layers and their compressed bytes. */
  stats(): { layers: number; bytes: number } {
    const r = this.guarded("read", (db) =>
      db.prepare("SELECT COUNT(*) AS layers, COALESCE(SUM(bytes), 0) AS bytes FROM layers").get(),
    ) as { layers: number; bytes: number } | undefined;
    return r ?? { layers: 0, bytes: 0 };
  }

  /** Drop least recently used layers until the stored bytes fit the cap. */
  private evict(db: Database.Database): void {
    let total = (db.prepare("SELECT COALESCE(SUM(bytes), 0) AS b FROM layers").get() as { b: number }).b;
    if (total <= this.maxBytes) return;
    const oldest = db.prepare("SELECT id, bytes FROM layers ORDER BY last_used, id").iterate() as Iterable<{
      id: number;
      bytes: number;
    }>;
    const drop: number[] = [];
    for (const r of oldest) {
      if (total <= this.maxBytes) break;
      drop.push(r.id);
      total -= r.bytes;
    }
    const del = db.prepare("DELETE FROM layers WHERE id = ?");
    db.transaction(() => {
      for (const id of drop) del.run(id);
      db.exec("DELETE FROM blobs WHERE diff_id NOT IN (SELECT diff_id FROM layers)");
    })();
    db.pragma("incremental_vacuum");
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

function encode(record: LayerRecord): Buffer {
  return deflateSync(serialize({ format: RECORD_FORMAT, ops: record.ops }), { level: 1 });
}

function decode(value: Buffer): LayerRecord | undefined {
  try {
    const v = deserialize(inflateSync(value)) as { format?: unknown; ops?: unknown };
    if (v.format !== RECORD_FORMAT || !Array.isArray(v.ops)) return undefined;
    const ops = v.ops as LayerRecord["ops"];
    // deserialised buffers are views into the whole record: copy the few kept ones, free the rest
    for (const o of ops) if (o.op === "file" && o.content) o.content = Buffer.from(o.content);
    return { ops };
  } catch {
    return undefined;
  }
}
