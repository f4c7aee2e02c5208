/**
 * `airbag db update`: download the selected feeds and replace their records in the database.
 *
 * Two phases, so a killed update never leaves a half-written database:
 *  1. download — each feed URL is streamed to a file in `<db>.download-<pid>/` (conditional requests:
 *     a 304 means unchanged, nothing downloaded);
 *  2. commit — when anything changed, one `buildDatabase` copy of the database takes every downloaded
 *     feed and is renamed over the original. Nothing changed → no rebuild, only the check time is
 *     recorded in place (one small SQLite transaction).
 * A kill in either phase leaves the previous database as it was; the next run deletes the leftovers.
 *
 * Replacement, not accumulation: a feed's download is its whole truth, so its previous records are
 * deleted before the new ones go in — per osv.dev ecosystem for the OSV zips (only changed ecosystems
 * are re-imported), per source otherwise (a multi-URL source such as Alpine is re-downloaded whole when
 * any of its files changed). NVD is the exception after its first full download: it is fetched
 * incrementally (lastModStartDate/lastModEndDate windows) and upserted.
 *
 * Failures: a source whose download fails keeps its previous records; the sources that succeeded are
 * still committed, and the update then throws AirbagError NETWORK naming each failed source and URL.
 */
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AirbagError } from "../model/index.js";
import { buildDatabase, DbWriter } from "./build.js";
import { removeLeftovers, workPath } from "./db-path.js";
import { download, fileHead, type HttpSettings, type Validators } from "./download.js";
import { importPath } from "./importers/index.js";
import type { FeedSource, SourceName } from "./sources.js";
import { VulnDb } from "./store.js";
import type { AdvisorySink } from "./types.js";

export type SourceStatus = "updated" | "unchanged" | "failed";

export type UpdateProgress =
  | { phase: "download"; source: SourceName; url: string; bytes: number; total?: number }
  | { phase: "import"; source: SourceName; records: number }
  | { phase: "done"; source: SourceName; status: SourceStatus; records: number; error?: string };

export interface SourceReport {
  name: SourceName;
  status: SourceStatus;
  /** records imported by this update */
  records: number;
  /** bytes downloaded (after Content-Encoding) */
  bytes: number;
  error?: string;
}

export interface UpdateResult {
  path: string;
  /** false when every feed answered "unchanged": the database file was not rewritten */
  rebuilt: boolean;
  sources: SourceReport[];
}

export interface UpdateOptions {
  sources: FeedSource[];
  http?: HttpSettings;
  onProgress?: (event: UpdateProgress) => void;
  /** non-fatal problems in the downloaded feeds (skipped records), named by URL */
  warn?: (message: string) => void;
  now?: () => Date;
}

/** Files downloaded and replaced together. */
interface Unit {
  source: FeedSource;
  /** osv.dev ecosystem: replace only the advisories affecting it */
  scope?: string;
  urls: string[];
  files: { url: string; file: string; validators: Validators }[];
  state: "changed" | "unchanged" | "failed";
  error?: string;
  /** NVD after its first full download: upsert, keep what the window did not mention */
  incremental?: boolean;
  /** meta entries to record with the commit */
  meta: [string, string][];
}

const NVD_WINDOW_MS = 120 * 24 * 3600 * 1000; // NVD refuses date ranges longer than 120 days
const META_VALIDATORS = (url: string) => `http.${url}`;
const META_WRITES = (name: string) => `feed.${name}.writes`;
const META_NVD_END = "feed.nvd.last_mod_end";

function extensionFor(source: SourceName, url: string): string {
  const m = /\.(zip|json|jsonl|ndjson|ya?ml|csv)(\.gz)?$/i.exec(new URL(url).pathname);
  if (m) return m[0].toLowerCase();
  return source === "osv" ? ".zip" : source === "epss" ? ".csv" : ".json";
}

/** A 200 that is a captive portal or an error page must not replace a source's records with nothing. */
async function checkLooksLikeFeed(file: string, unit: Unit): Promise<void> {
  const text = await fileHead(file, 512);
  if (unit.scope && !text.startsWith("PK"))
    throw new Error("the server sent something that is not a zip archive");
  if (/^\s*</.test(text)) throw new Error("the server sent an HTML/XML page, not a feed");
}

class Updater {
  private readonly dir: string;
  private readonly bytes = new Map<SourceName, number>();
  private files = 0;

  constructor(
    private readonly dbPath: string,
    private readonly opts: UpdateOptions,
    /** the database as it was before this update (undefined when there is none yet) */
    private readonly prior: VulnDb | undefined,
  ) {
    this.dir = workPath(dbPath, "download");
  }

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  bytesOf(name: SourceName): number {
    return this.bytes.get(name) ?? 0;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private fileFor(unit: Unit, url: string): string {
    return join(this.dir, `${unit.source.name}-${++this.files}${extensionFor(unit.source.name, url)}`);
  }

  private validators(url: string): Validators | undefined {
    const raw = this.prior?.getMeta(META_VALIDATORS(url));
    return raw ? (JSON.parse(raw) as Validators) : undefined;
  }

  private async get(unit: Unit, url: string, file: string, options: Partial<Parameters<typeof download>[0]>) {
    const name = unit.source.name;
    const before = this.bytes.get(name) ?? 0;
    const out = await download({
      url,
      file,
      ...(this.opts.http ? { settings: this.opts.http } : {}),
      ...options,
      onBytes: (bytes, total) => {
        this.bytes.set(name, before + bytes);
        this.opts.onProgress?.({
          phase: "download",
          source: name,
          url,
          bytes: before + bytes,
          ...(total !== undefined ? { total: before + total } : {}),
        });
      },
    });
    return out;
  }

  /** Download a unit: conditionally; if only some of its URLs changed, the rest again unconditionally. */
  async fetchUnit(unit: Unit): Promise<void> {
    const outcomes = new Map<string, Awaited<ReturnType<typeof download>>>();
    const files = new Map<string, string>();
    const fetchOne = async (url: string, conditional: boolean) => {
      const file = this.fileFor(unit, url);
      files.set(url, file);
      const validators = conditional ? this.validators(url) : undefined;
      outcomes.set(url, await this.get(unit, url, file, validators ? { validators } : {}));
    };
    try {
      for (const url of unit.urls) await fetchOne(url, true);
      if ([...outcomes.values()].every((o) => o.status === "unchanged")) {
        unit.state = "unchanged";
        return;
      }
      for (const url of unit.urls) if (outcomes.get(url)?.status === "unchanged") await fetchOne(url, false);
      for (const url of unit.urls) {
        const o = outcomes.get(url)!;
        if (o.status !== "downloaded") throw new Error(`${url}: 304 to an unconditional request`);
        const file = files.get(url)!;
        await checkLooksLikeFeed(file, unit).catch((err: Error) => {
          throw new AirbagError("NETWORK", `${url}: ${err.message}`);
        });
        unit.files.push({ url, file, validators: o.validators });
      }
      unit.state = "changed";
    } catch (err) {
      unit.state = "failed";
      unit.error = `${unit.source.name}: ${(err as Error).message}`;
      await Promise.all([...files.values()].map((f) => rm(f, { force: true })));
      unit.files = [];
    }
  }

  /**
   * NVD API 2.0: the whole catalogue on the first run, then only what changed since the last run, in
   * windows of at most 120 days; pages of `resultsPerPage` walked by startIndex, `delayMs` apart.
   */
  async fetchNvd(unit: Unit, now: Date): Promise<void> {
    const source = unit.source;
    const base = unit.urls[0]!;
    const lastEnd = this.prior?.getMeta(META_NVD_END);
    const hasRecords = (this.prior?.status().sources.nvd?.records ?? 0) > 0;
    const windows: ([Date, Date] | undefined)[] = [];
    if (lastEnd && hasRecords) {
      unit.incremental = true;
      for (let t = new Date(lastEnd).getTime(); t < now.getTime(); t += NVD_WINDOW_MS)
        windows.push([new Date(t), new Date(Math.min(t + NVD_WINDOW_MS, now.getTime()))]);
    } else windows.push(undefined);
    const nvdDate = (d: Date) => d.toISOString().replace("Z", "+00:00");
    let requests = 0;
    let changed = 0;
    try {
      for (const window of windows) {
        let startIndex = 0;
        for (;;) {
          const url = new URL(base);
          url.searchParams.set("resultsPerPage", String(source.resultsPerPage ?? 2000));
          url.searchParams.set("startIndex", String(startIndex));
          if (window) {
            url.searchParams.set("lastModStartDate", nvdDate(window[0]));
            url.searchParams.set("lastModEndDate", nvdDate(window[1]));
          }
          if (requests++ > 0) await sleep(source.delayMs ?? 6000);
          const file = join(this.dir, `nvd-${++this.files}.json.gz`);
          await this.get(unit, url.href, file, {
            gzip: true,
            retryStatuses: [403], // NVD's answer to a client over its rate limit
            ...(source.apiKey ? { headers: { apiKey: source.apiKey } } : {}),
          });
          unit.files.push({ url: url.href, file, validators: {} });
          const text = await fileHead(file, 4096);
          const total = /"totalResults"\s*:\s*(\d+)/.exec(text);
          const returned = /"resultsPerPage"\s*:\s*(\d+)/.exec(text);
          if (!total || !returned)
            throw new AirbagError("NETWORK", `${url.href}: not an NVD API 2.0 response (no totalResults)`);
          if (startIndex === 0) changed += Number(total[1]);
          startIndex += Number(returned[1]);
          if (Number(returned[1]) === 0 || startIndex >= Number(total[1])) break;
        }
      }
      unit.meta.push([META_NVD_END, now.toISOString()]);
      // an incremental window with no changes is no reason to rewrite the database
      unit.state = changed > 0 || !unit.incremental ? "changed" : "unchanged";
      if (unit.state === "unchanged") await Promise.all(unit.files.map((f) => rm(f.file, { force: true })));
    } catch (err) {
      unit.state = "failed";
      unit.error = `nvd: ${(err as Error).message}`;
      await Promise.all(unit.files.map((f) => rm(f.file, { force: true })));
      unit.files = [];
    }
  }

  /** Import every changed unit into a copy of the database and swap it in. Returns records per source. */
  async commit(units: Unit[], stamp: string): Promise<Map<SourceName, number>> {
    const imported = new Map<SourceName, number>();
    const { onProgress, warn, now } = this.opts;
    return buildDatabase(
      this.dbPath,
      async (db) => {
        const writer = new DbWriter(db);
        const cleared = new Set<string>();
        const written = new Map<SourceName, Set<string>>();
        try {
          for (const unit of units.filter((u) => u.state === "changed")) {
            const name = unit.source.name;
            const writes = written.get(name) ?? new Set<string>();
            written.set(name, writes);
            if (!unit.incremental) {
              const before = JSON.parse(db.getMeta(META_WRITES(name)) ?? "[]") as string[];
              for (const s of new Set([...unit.source.writes, ...before])) {
                db.deleteSource(s, unit.scope);
                cleared.add(s);
              }
            }
            let count = imported.get(name) ?? 0;
            const tick = () => {
              if (++count % 1000 === 0) onProgress?.({ phase: "import", source: name, records: count });
            };
            const sink: AdvisorySink = {
              advisory: (a, mode) => {
                writer.advisory(a, mode);
                writes.add(a.source);
                tick();
              },
              epss: (e) => {
                writer.epss(e);
                writes.add("epss");
                tick();
              },
              kev: (k) => {
                writer.kev(k);
                writes.add("kev");
                tick();
              },
            };
            for (const f of unit.files) {
              const stats = await importPath(f.file, sink, {
                warn: (m) => warn?.(m.split(f.file).join(f.url)),
                ...(now ? { now } : {}),
              });
              if (!stats.some((s) => s.records > 0)) warn?.(`${name}: ${f.url}: no records in the download`);
              await rm(f.file, { force: true });
            }
            imported.set(name, count);
            onProgress?.({ phase: "import", source: name, records: count });
          }
          writer.finish(stamp);
        } catch (err) {
          writer.abort();
          throw err;
        }
        db.db.transaction(() => {
          for (const s of cleared) db.stampSource(s, stamp); // a feed that became empty still counts as updated
          for (const unit of units.filter((u) => u.state === "changed"))
            for (const f of unit.files)
              if (f.validators.etag || f.validators.lastModified)
                db.setMeta(META_VALIDATORS(f.url), JSON.stringify(f.validators));
          for (const [name, writes] of written) {
            const before = JSON.parse(db.getMeta(META_WRITES(name)) ?? "[]") as string[];
            db.setMeta(META_WRITES(name), JSON.stringify([...new Set([...before, ...writes])].sort()));
          }
          recordChecks(db, units, stamp);
          db.setMeta("built_at", stamp);
        })();
        return imported;
      },
      { fromExisting: true, ...(now ? { now } : {}) },
    );
  }
}

/** Sources whose every unit succeeded are current as of `stamp`, changed or not. */
function recordChecks(db: VulnDb, units: Unit[], stamp: string): void {
  for (const unit of units) if (unit.state !== "failed") for (const [k, v] of unit.meta) db.setMeta(k, v);
  const bySource = new Map<FeedSource, Unit[]>();
  for (const u of units) bySource.set(u.source, [...(bySource.get(u.source) ?? []), u]);
  for (const [source, list] of bySource) {
    if (list.some((u) => u.state === "failed")) continue;
    const writes = JSON.parse(db.getMeta(META_WRITES(source.name)) ?? "[]") as string[];
    for (const s of new Set([...source.writes, ...writes])) db.setMeta(`source.${s}.checked_at`, stamp);
  }
  if (!units.some((u) => u.state === "failed")) db.setMeta("checked_at", stamp);
}

function unitsOf(source: FeedSource): Unit[] {
  const unit = (urls: string[], scope?: string): Unit => ({
    source,
    urls,
    files: [],
    state: "unchanged",
    meta: [],
    ...(scope ? { scope } : {}),
  });
  // osv.dev's per-ecosystem zips replace independently; any other multi-file source is one truth
  if (source.name === "osv" && source.urls.every((u) => u.scope))
    return source.urls.map((u) => unit([u.url], u.scope));
  return [unit(source.urls.map((u) => u.url))];
}

/**
 * Update the database at `dbPath` (created when missing) from `options.sources`. Resolves when every
 * source succeeded; otherwise commits the ones that did and throws AirbagError NETWORK naming the rest.
 */
export async function updateDatabase(dbPath: string, options: UpdateOptions): Promise<UpdateResult> {
  const now = options.now ?? (() => new Date());
  await removeLeftovers(dbPath);
  // a database of an older schema is rebuilt from scratch: its migration drops the old tables
  const prior =
    existsSync(dbPath) && !VulnDb.isOlderSchema(dbPath) ? VulnDb.open(dbPath, { readonly: true }) : undefined;
  const updater = new Updater(dbPath, options, prior);
  const units = options.sources.flatMap(unitsOf);
  let imported = new Map<SourceName, number>();
  let rebuilt = false;
  try {
    await updater.prepare();
    const started = now();
    for (const unit of units) {
      if (unit.source.name === "nvd") await updater.fetchNvd(unit, started);
      else await updater.fetchUnit(unit);
    }
    prior?.close();
    const stamp = now().toISOString();
    if (units.some((u) => u.state === "changed")) {
      imported = await updater.commit(units, stamp);
      rebuilt = true;
    } else if (prior && units.some((u) => u.state === "unchanged")) {
      // nothing new: record the check in place instead of rewriting a possibly large file
      const db = VulnDb.open(dbPath);
      try {
        db.db.transaction(() => recordChecks(db, units, stamp))();
      } finally {
        db.close();
      }
    }
  } finally {
    prior?.close();
    await updater.cleanup();
  }
  const reports = options.sources.map((source): SourceReport => {
    const mine = units.filter((u) => u.source === source);
    const failed = mine.filter((u) => u.state === "failed");
    const status: SourceStatus = failed.length
      ? "failed"
      : mine.some((u) => u.state === "changed")
        ? "updated"
        : "unchanged";
    const report: SourceReport = {
      name: source.name,
      status,
      records: imported.get(source.name) ?? 0,
      bytes: updater.bytesOf(source.name),
      ...(failed.length ? { error: failed.map((u) => u.error).join("; ") } : {}),
    };
    options.onProgress?.({
      phase: "done",
      source: source.name,
      status,
      records: report.records,
      ...(report.error ? { error: report.error } : {}),
    });
    return report;
  });
  const failures = units.filter((u) => u.state === "failed").map((u) => u.error!);
  if (failures.length) {
    const kept = reports.some((r) => r.status !== "failed") ? "; the other sources were updated" : "";
    throw new AirbagError("NETWORK", `db update: ${failures.join("; ")}${kept}`);
  }
  return { path: dbPath, rebuilt, sources: reports };
}
