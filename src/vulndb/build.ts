/**
 * Writing the database: a batching writer, and `buildDatabase`, which builds or changes the database in a
 * private temp file opened in bulk mode (journal_mode=OFF, synchronous=OFF: nothing to recover, a failed
 * build is simply deleted) and renames it over the real file at the end, so readers never see a
 * half-written database. The read-only indexes are dropped for the build and created once at its end; a
 * build that starts from an empty file also defers the (id, source) index and the aliases (fresh-build.ts).
 */
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Advisory } from "../model/index.js";
import { VulnDb } from "./store.js";
import type { AdvisorySink, EpssEntry, KevEntry, UpsertMode } from "./types.js";

/** Batched writes: BEGIN … COMMIT every `batchSize` records (importers await file reads in between). */
export class DbWriter implements AdvisorySink {
  private pending = 0;
  private readonly touched = new Set<string>();
  constructor(
    private readonly store: VulnDb,
    private readonly batchSize = 5000,
  ) {}

  private before(): void {
    if (!this.store.db.inTransaction) this.store.db.exec("BEGIN");
  }
  private after(): void {
    if (++this.pending >= this.batchSize) {
      this.store.flush();
      this.store.db.exec("COMMIT");
      this.pending = 0;
    }
  }
  advisory(a: Advisory, mode: UpsertMode = "replace"): void {
    this.before();
    this.store.writeAdvisory(a, mode);
    this.touched.add(a.source);
    this.after();
  }
  epss(e: EpssEntry): void {
    this.before();
    this.store.writeEpss(e);
    this.touched.add("epss");
    this.after();
  }
  kev(k: KevEntry): void {
    this.before();
    this.store.writeKev(k);
    this.touched.add("kev");
    this.after();
  }
  /** Commit and stamp every source written with `updatedAt` and its record count. */
  finish(updatedAt: string): string[] {
    this.before();
    this.store.flush();
    for (const s of this.touched) this.store.stampSource(s, updatedAt);
    this.store.db.exec("COMMIT");
    this.pending = 0;
    return [...this.touched];
  }
  abort(): void {
    if (this.store.db.inTransaction) this.store.db.exec("ROLLBACK");
    this.store.rolledBack();
  }
}

let tmpCounter = 0;

/**
 * Build or change the database at `path` atomically: work on a private copy (`fromExisting`) or an empty
 * temp file in bulk mode, then rename it over `path`. On failure the temp file is removed and `path` is
 * untouched.
 */
export async function buildDatabase<T>(
  path: string,
  work: (db: VulnDb) => Promise<T>,
  options: { fromExisting?: boolean; now?: () => Date } = {},
): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  const exists = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (options.fromExisting && exists) await copyFile(path, tmp);
  let db: VulnDb | undefined;
  try {
    db = VulnDb.open(tmp, { bulk: true, ...(options.now ? { now: options.now } : {}) });
    db.beginBulk();
    const result = await work(db);
    db.endBulk();
    db.db.pragma("optimize");
    db.close();
    await rename(tmp, path);
    return result;
  } catch (err) {
    db?.close();
    await rm(tmp, { force: true });
    throw err;
  }
}
