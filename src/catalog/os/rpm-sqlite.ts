import Database from "better-sqlite3";
import { inputError } from "../../model/index.js";
import type { RpmBlob } from "./rpm-bdb.js";

/**
 * Reader for `rpmdb.sqlite` (rpm ≥ 4.16 default backend): table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`.
 * The file is opened from memory, so nothing is written to disk and the image content is never modified.
 */
export function readSqlitePackages(buf: Uint8Array, warn: (msg: string) => void = () => {}): RpmBlob[] {
  if (buf.length < 100 || Buffer.from(buf.subarray(0, 16)).toString("latin1") !== "SQLite format 3\0") {
    throw inputError("rpmdb.sqlite: not an SQLite 3 database");
  }
  // rpm keeps its database in WAL mode (header bytes 18/19 = 2), and SQLite refuses to open a deserialized
  // WAL database. Flipping them to 1 (rollback journal) on a private copy makes it readable; pages still
  // sitting in an un-checkpointed -wal file are not seen (rpm checkpoints when it closes the database).
  const copy = Buffer.from(buf);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database | undefined;
  try {
    db = new Database(copy, { readonly: true });
    const rows = db.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").all() as {
      hnum: unknown;
      blob: unknown;
    }[];
    const out: RpmBlob[] = [];
    for (const r of rows) {
      if ((typeof r.hnum !== "number" && typeof r.hnum !== "bigint") || !(r.blob instanceof Uint8Array)) {
        warn(`rpmdb.sqlite: row ${String(r.hnum)} has no blob; skipped`);
        continue;
      }
      out.push({ id: Number(r.hnum), blob: r.blob });
    }
    return out;
  } catch (err) {
    throw inputError(`rpmdb.sqlite: ${(err as Error).message}`, err);
  } finally {
    db?.close();
  }
}
