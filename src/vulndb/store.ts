/**
 * The vulnerability database: one SQLite file (better-sqlite3), schema in `schema.ts`.
 *
 * Reads answer the matcher (`advisoriesFor`, `enrich`) and `airbag db status`; writes come one advisory
 * at a time from `DbWriter` (build.ts), which batches them into transactions.
 */
import Database from "better-sqlite3";
import type { Advisory } from "../model/index.js";
import { AirbagError, inputError } from "../model/index.js";
import { DocBlocks } from "./doc-blocks.js";
import { EnrichmentReader } from "./enrichment.js";
import { FreshBuild } from "./fresh-build.js";
import { BULK_INDEXES, migrate, SCHEMA_VERSION, SLOT_BITS, SLOTS, storedVersion } from "./schema.js";
import {
  type AdvisoryRow,
  affectedFrom,
  affectedJson,
  docFields,
  docJson,
  storedAdvisory,
} from "./stored-advisory.js";
import {
  type DbStatus,
  type Enrichment,
  type EpssEntry,
  type KevEntry,
  packageKey,
  type UpsertMode,
} from "./types.js";

interface KevRow {
  cve: string;
  date_added: string | null;
  due_date: string | null;
  ransomware: number;
  vendor: string | null;
  product: string | null;
  name: string | null;
}

const opt = <K extends string, V>(key: K, v: V | null | undefined) =>
  (v === null || v === undefined ? {} : { [key]: v }) as { [P in K]?: V };

export class VulnDb {
  readonly path: string;
  readonly db: Database.Database;
  private readonly st;

  private readonly docs: DocBlocks;
  private readonly enrichment: EnrichmentReader;
  /** set between `beginBulk` and `endBulk` when the build started from an empty database */
  private fresh: FreshBuild | undefined;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.docs = new DocBlocks(db);
    this.enrichment = new EnrichmentReader(db, (ref) => this.docs.get(ref));
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      find: p("SELECT pk, doc FROM advisories WHERE id = ? AND source = ?"),
      insert: p("INSERT INTO advisories (id, source, severity, doc) VALUES (?, ?, ?, ?)"),
      update: p("UPDATE advisories SET severity = ?, doc = ? WHERE pk = ?"),
      delAlias: p("DELETE FROM aliases WHERE alias = ? AND advisory_pk = ?"),
      delAffected: p("DELETE FROM affected WHERE slot BETWEEN ? AND ?"),
      delAffectedPkg: p("DELETE FROM affected WHERE slot BETWEEN ? AND ? AND ecosystem = ? AND package = ?"),
      lastAffected: p("SELECT max(slot) AS slot FROM affected WHERE slot BETWEEN ? AND ?"),
      alias: p("INSERT OR IGNORE INTO aliases (alias, advisory_pk) VALUES (?, ?)"),
      affected: p("INSERT INTO affected (slot, ecosystem, package, json) VALUES (?, ?, ?, ?)"),
      epss: p("INSERT OR REPLACE INTO epss (cve, score, percentile) VALUES (?, ?, ?)"),
      kev: p(
        "INSERT OR REPLACE INTO kev (cve, date_added, due_date, ransomware, vendor, product, name) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      forPackage: p(
        `SELECT a.pk, a.id, a.source, a.severity, a.doc, f.json AS affected_json
         FROM affected f JOIN advisories a ON a.pk = (f.slot >> ${SLOT_BITS})
         WHERE f.ecosystem = ? AND f.package = ? ORDER BY f.slot`,
      ),
      affectedOf: p("SELECT ecosystem, package, json FROM affected WHERE slot BETWEEN ? AND ? ORDER BY slot"),
      byAlias: p(
        `SELECT pk, id, source, severity, doc FROM advisories WHERE id = @id
         UNION SELECT a.pk, a.id, a.source, a.severity, a.doc FROM aliases x
         JOIN advisories a ON a.pk = x.advisory_pk WHERE x.alias = @id
         ORDER BY pk`,
      ),
      get: p("SELECT pk, id, source, severity, doc FROM advisories WHERE id = ? AND source = ?"),
      getEpss: p("SELECT score, percentile FROM epss WHERE cve = ?"),
      getKev: p("SELECT * FROM kev WHERE cve = ?"),
      setMeta: p("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
      meta: p("SELECT key, value FROM meta"),
    };
  }

  /**
   * Open (creating and migrating when writable) the database at `path`. `readonly` refuses a missing or
   * empty file; `bulk` trades durability for speed — only for a private temp file (see `buildDatabase`).
   */
  static open(path: string, options: { readonly?: boolean; bulk?: boolean; now?: () => Date } = {}): VulnDb {
    let db: Database.Database;
    try {
      db = new Database(path, {
        readonly: options.readonly === true,
        fileMustExist: options.readonly === true,
      });
    } catch (err) {
      throw inputError(
        `${path}: cannot open the vulnerability database (${(err as Error).message}); run "airbag db update" or pass --db FILE`,
        err,
      );
    }
    try {
      const version = storedVersion(db);
      if (version > SCHEMA_VERSION)
        throw inputError(
          `${path}: database schema v${version} is newer than this airbag understands (v${SCHEMA_VERSION}); upgrade airbag or rebuild with "airbag db update"`,
        );
      if (options.readonly) {
        if (version < SCHEMA_VERSION)
          throw inputError(
            `${path}: not an airbag database or an older schema (v${version}); run "airbag db update"`,
          );
      } else {
        db.pragma(options.bulk ? "journal_mode = OFF" : "journal_mode = DELETE");
        db.pragma(options.bulk ? "synchronous = OFF" : "synchronous = NORMAL");
        if (options.bulk) db.pragma("cache_size = -131072");
        if (version < SCHEMA_VERSION) {
          migrate(db, version);
          if (version === 0)
            db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?)").run(
              (options.now?.() ?? new Date()).toISOString(),
            );
        }
      }
      return new VulnDb(path, db);
    } catch (err) {
      db.close();
      if (err instanceof AirbagError) throw err;
      throw inputError(`${path}: not a usable vulnerability database (${(err as Error).message})`, err);
    }
  }

  /** Is the file at `path` a database of an older schema (one `airbag db update` rebuilds)? */
  static isOlderSchema(path: string): boolean {
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        return storedVersion(db) < SCHEMA_VERSION;
      } finally {
        db.close();
      }
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Upsert one advisory in its own transaction (use a `DbWriter` for many). */
  upsert(a: Advisory, mode: UpsertMode = "replace"): void {
    this.db.transaction(() => {
      this.writeAdvisory(a, mode);
      this.docs.flush();
    })();
  }

  /** @internal write what is queued; call before committing the caller's transaction */
  flush(): void {
    this.docs.flush();
  }

  /** @internal forget what is queued; call after rolling the caller's transaction back */
  rolledBack(): void {
    this.docs.reset();
  }

  /** @internal a bulk build: drop the read-only indexes (created again by `endBulk`) */
  beginBulk(): void {
    this.db.exec(BULK_INDEXES.drop);
    this.fresh = FreshBuild.startIfEmpty(this.db);
  }

  /** @internal end of a bulk build: read indexes back, blocks of deleted documents gone */
  endBulk(): void {
    this.fresh?.finish();
    this.fresh = undefined;
    this.docs.prune();
    this.db.exec(BULK_INDEXES.create);
  }

  /** @internal one advisory, inside the caller's transaction */
  writeAdvisory(a: Advisory, mode: UpsertMode): void {
    const st = this.st;
    const fresh = this.fresh;
    const found = fresh
      ? fresh.find(a.id, a.source)
      : (st.find.get(a.id, a.source) as { pk: number; doc: number } | undefined);
    const old = found ? docFields(this.docs.get(found.doc)) : undefined;
    let { aliases, cvss, references } = a;
    if (old && mode === "merge") {
      aliases = [...new Set([...old.aliases, ...aliases])];
      references = [...new Set([...old.references, ...references])];
      const vectors = new Set(cvss.map((c) => `${c.source}\0${c.vector}`));
      cvss = [...cvss, ...old.cvss.filter((c) => !vectors.has(`${c.source}\0${c.vector}`))];
    }
    aliases = [...new Set(aliases)].filter((x) => x !== a.id);
    const doc = this.docs.add(docJson(a, { aliases, references, cvss }));
    let pk: number;
    let next = 0; // next free slot number for affected rows
    if (found) {
      pk = found.pk;
      const first = pk * SLOTS;
      const last = first + SLOTS - 1;
      st.update.run(a.severity ?? null, doc, pk);
      if (!fresh) for (const alias of old?.aliases ?? []) st.delAlias.run(alias, pk);
      if (mode === "replace") st.delAffected.run(first, last);
      else {
        for (const f of a.affected)
          st.delAffectedPkg.run(first, last, f.ecosystem, packageKey(f.ecosystem, f.package));
        const max = (st.lastAffected.get(first, last) as { slot: number | null }).slot;
        next = max === null ? 0 : max - first + 1;
      }
    } else {
      pk = Number(st.insert.run(a.id, a.source, a.severity ?? null, doc).lastInsertRowid);
      fresh?.added(a.id, a.source, pk);
    }
    if (next + a.affected.length > SLOTS)
      throw new AirbagError("INPUT", `${a.source} ${a.id}: more than ${SLOTS} affected entries`);
    const base = pk * SLOTS;
    if (fresh) fresh.setAliases(pk, aliases);
    else for (const alias of aliases) st.alias.run(alias, pk);
    for (const f of a.affected) {
      const key = packageKey(f.ecosystem, f.package);
      st.affected.run(base + next++, f.ecosystem, key, affectedJson(f, key));
    }
  }

  /** @internal */
  writeEpss(e: EpssEntry): void {
    this.st.epss.run(e.cve, e.score, e.percentile);
  }

  /** @internal */
  writeKev(k: KevEntry): void {
    this.st.kev.run(
      k.cve,
      k.dateAdded ?? null,
      k.dueDate ?? null,
      k.ransomware ? 1 : 0,
      k.vendor ?? null,
      k.product ?? null,
      k.name ?? null,
    );
  }

  /** Record when a source was last imported and how many records it now holds. */
  stampSource(source: string, updatedAt: string): void {
    const table = source === "epss" ? "epss" : source === "kev" ? "kev" : undefined;
    const count = table
      ? (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
      : (
          this.db.prepare("SELECT count(*) AS n FROM advisories WHERE source = ?").get(source) as {
            n: number;
          }
        ).n;
    this.st.setMeta.run(`source.${source}.updated_at`, updatedAt);
    this.st.setMeta.run(`source.${source}.records`, String(count));
  }

  /**
   * Remove what `source` holds — its advisories with their rows, or the whole `kev`/`epss` table — so a
   * re-downloaded feed replaces its earlier contents instead of piling onto them. `ecosystem` narrows it
   * to the advisories affecting that ecosystem (`Debian` also covers `Debian:12`): an osv.dev
   * per-ecosystem export replaces only its own slice. Returns the number of records removed.
   */
  deleteSource(source: string, ecosystem?: string): number {
    if (source === "kev" || source === "epss") return this.db.prepare(`DELETE FROM ${source}`).run().changes;
    const db = this.db;
    const run = () => {
      db.exec("CREATE TEMP TABLE IF NOT EXISTS doomed (pk INTEGER PRIMARY KEY); DELETE FROM temp.doomed");
      if (ecosystem === undefined)
        db.prepare("INSERT INTO temp.doomed SELECT pk FROM advisories WHERE source = ?").run(source);
      else
        db.prepare(
          `INSERT OR IGNORE INTO temp.doomed SELECT a.pk FROM affected f
           JOIN advisories a ON a.pk = (f.slot >> ${SLOT_BITS})
           WHERE a.source = ? AND (f.ecosystem = ? OR (f.ecosystem >= ? AND f.ecosystem < ?))`,
        ).run(source, ecosystem, `${ecosystem}:`, `${ecosystem};`);
      this.fresh?.forgetDoomed();
      db.exec(`DELETE FROM affected WHERE (slot >> ${SLOT_BITS}) IN (SELECT pk FROM temp.doomed)`);
      db.exec("DELETE FROM aliases WHERE advisory_pk IN (SELECT pk FROM temp.doomed)");
      return db.prepare("DELETE FROM advisories WHERE pk IN (SELECT pk FROM temp.doomed)").run().changes;
    };
    return db.inTransaction ? run() : db.transaction(run)();
  }

  /** One `meta` value (update bookkeeping: HTTP validators, check times). */
  getMeta(key: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)
      ?.value;
  }

  setMeta(key: string, value: string): void {
    this.st.setMeta.run(key, value);
  }

  private withAllAffected(row: AdvisoryRow): Advisory {
    const first = row.pk * SLOTS;
    const rows = this.st.affectedOf.all(first, first + SLOTS - 1) as {
      ecosystem: string;
      package: string;
      json: string;
    }[];
    const affected = rows.map((r) => affectedFrom(r.ecosystem, r.package, r.json));
    return storedAdvisory(row, affected, this.docRef);
  }

  private readonly docRef = (ref: number) => this.docs.get(ref);

  /**
   * Advisories with an affected entry for `pkg` in `ecosystem` (exact ecosystem string, e.g. `Debian:12`;
   * the name is compared by `packageKey`). Each advisory's `affected` holds only the matching entries.
   */
  advisoriesFor(ecosystem: string, pkg: string): Advisory[] {
    const key = packageKey(ecosystem, pkg);
    const rows = this.st.forPackage.all(ecosystem, key) as (AdvisoryRow & { affected_json: string })[];
    const byPk = new Map<number, Advisory>();
    for (const row of rows) {
      const f = affectedFrom(ecosystem, key, row.affected_json);
      const seen = byPk.get(row.pk);
      if (seen) seen.affected.push(f);
      else byPk.set(row.pk, storedAdvisory(row, [f], this.docRef));
    }
    return [...byPk.values()];
  }

  /** Every advisory whose id is `id` or that lists `id` as an alias, with all its affected entries. */
  byAlias(id: string): Advisory[] {
    return (this.st.byAlias.all({ id }) as AdvisoryRow[]).map((r) => this.withAllAffected(r));
  }

  get(source: string, id: string): Advisory | undefined {
    const row = this.st.get.get(id, source) as AdvisoryRow | undefined;
    return row ? this.withAllAffected(row) : undefined;
  }

  epss(cve: string): { score: number; percentile: number } | undefined {
    return this.st.getEpss.get(cve) as { score: number; percentile: number } | undefined;
  }

  kev(cve: string): KevEntry | undefined {
    const r = this.st.getKev.get(cve) as KevRow | undefined;
    if (!r) return undefined;
    return {
      cve: r.cve,
      ransomware: r.ransomware === 1,
      ...opt("dateAdded", r.date_added),
      ...opt("dueDate", r.due_date),
      ...opt("vendor", r.vendor),
      ...opt("product", r.product),
      ...opt("name", r.name),
    };
  }

  /** What NVD, EPSS and KEV know about any of `ids` (the matcher's `AdvisoryLookup.enrich`). */
  enrich(ids: string[]): Enrichment {
    return this.enrichment.enrich(ids);
  }

  status(): DbStatus {
    const meta = new Map(
      (this.st.meta.all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
    );
    const sources: DbStatus["sources"] = {};
    for (const [key, value] of meta) {
      const m = /^source\.(.+)\.(updated_at|records)$/.exec(key);
      if (!m) continue;
      const s = sources[m[1]!] ?? { records: 0 };
      sources[m[1]!] = s;
      if (m[2] === "updated_at") s.updatedAt = value;
      else s.records = Number(value);
    }
    const count = (t: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return {
      path: this.path,
      schemaVersion: Number(meta.get("schema_version") ?? 0),
      ...opt("builtAt", meta.get("built_at")),
      sources,
      counts: {
        advisories: count("advisories"),
        affected: count("affected"),
        aliases: count("aliases"),
        epss: count("epss"),
        kev: count("kev"),
      },
    };
  }
}
