/**
 * The write path of a bulk build that starts from an empty database (`airbag db import` into a new file,
 * a first `db update`). A million records keyed by random strings made two B-trees the bottleneck:
 * the unique (id, source) index, probed and grown once per record, and the aliases table (clustered by
 * alias). Past the page cache every record paid random page reads and splits, so a 1M import cost
 * ~20× the CPU of 100k. Here instead:
 *  - the (id, source) → pk of every advisory written so far is a JS map (complete: the database was
 *    empty), and the unique index is created once at the end, from sorted keys;
 *  - aliases are appended to a temp table keyed by slot (`pk × 2^20 + n`, in pk order, so a replaced
 *    advisory's aliases are a range delete) and copied into `aliases` sorted by alias at the end.
 * Reads of `aliases` (byAlias) see the staged rows only after `finish`.
 */
import type Database from "better-sqlite3";
import { ID_SOURCE_INDEX, SLOT_BITS, SLOTS } from "./schema.js";

export class FreshBuild {
  /** source → id → pk */
  private readonly pks = new Map<string, Map<string, number>>();
  private readonly st;

  private constructor(private readonly db: Database.Database) {
    db.exec(`
      DROP INDEX IF EXISTS advisories_id_source;
      CREATE TEMP TABLE IF NOT EXISTS bulk_aliases (slot INTEGER PRIMARY KEY, alias TEXT NOT NULL);
      DELETE FROM temp.bulk_aliases;
    `);
    this.st = {
      doc: db.prepare("SELECT doc FROM advisories WHERE pk = ?").pluck(),
      alias: db.prepare("INSERT INTO temp.bulk_aliases (slot, alias) VALUES (?, ?)"),
      delAliases: db.prepare("DELETE FROM temp.bulk_aliases WHERE slot BETWEEN ? AND ?"),
    };
  }

  /** A fresh build when `db` holds no advisory yet; otherwise undefined (the indexed path). */
  static startIfEmpty(db: Database.Database): FreshBuild | undefined {
    return db.prepare("SELECT 1 FROM advisories LIMIT 1").get() ? undefined : new FreshBuild(db);
  }

  find(id: string, source: string): { pk: number; doc: number } | undefined {
    const pk = this.pks.get(source)?.get(id);
    return pk === undefined ? undefined : { pk, doc: this.st.doc.get(pk) as number };
  }

  added(id: string, source: string, pk: number): void {
    const ids = this.pks.get(source) ?? new Map<string, number>();
    if (ids.size === 0) this.pks.set(source, ids);
    ids.set(id, pk);
  }

  /** Replace the aliases of advisory `pk`. */
  setAliases(pk: number, aliases: Iterable<string>): void {
    const base = pk * SLOTS;
    this.st.delAliases.run(base, base + SLOTS - 1);
    let n = 0;
    for (const alias of aliases) this.st.alias.run(base + n++, alias);
  }

  /** Before the advisories listed in `temp.doomed` are deleted: forget their keys and aliases. */
  forgetDoomed(): void {
    const doomed = this.db
      .prepare("SELECT a.id, a.source FROM temp.doomed d JOIN advisories a ON a.pk = d.pk")
      .raw();
    for (const [id, source] of doomed.iterate() as IterableIterator<[string, string]>)
      this.pks.get(source)?.delete(id);
    this.db.exec(
      `DELETE FROM temp.bulk_aliases WHERE (slot >> ${SLOT_BITS}) IN (SELECT pk FROM temp.doomed)`,
    );
  }

  /** Move the staged aliases into `aliases` and create the (id, source) index. */
  finish(): void {
    this.db.exec(`
      INSERT OR IGNORE INTO aliases (alias, advisory_pk)
        SELECT alias, slot >> ${SLOT_BITS} FROM temp.bulk_aliases ORDER BY 1, 2;
      DROP TABLE temp.bulk_aliases;
      ${ID_SOURCE_INDEX}
    `);
    this.pks.clear();
  }
}
