import type { Command } from "commander";
import { AirbagError } from "../model/index.js";
import { exportBundle, importBundle, isBundle } from "../vulndb/bundle.js";
import { resolveDbPath } from "../vulndb/db-path.js";
import { type DatabaseStatus, databaseStatus } from "../vulndb/db-status.js";
import { type ImportStats, importIntoDatabase } from "../vulndb/importers/index.js";
import { loadSources, SOURCE_NAMES, selectSources } from "../vulndb/sources.js";
import { type UpdateProgress, updateDatabase } from "../vulndb/updater.js";
import { type GlobalFlags, warningSink, writeOutput } from "./run.js";

/** `airbag db update | import | export | status` — argument parsing and printing only. */

const DB_HELP = "database file (default: $AIRBAG_DB, else $XDG_CACHE_HOME/airbag/db.sqlite)";

interface DbFlags {
  db?: string;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** "7d", "36h", "90m", "600s", "2w"; a bare number is days. */
export function parseAge(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/i.exec(text);
  if (!m) throw new AirbagError("USAGE", `--max-age ${text}: expected a duration such as 7d, 36h or 90m`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, "": 86400 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * unit * 1000;
}

export function humanAge(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/** Progress on a TTY: one line rewritten in place, at most ten times a second; nothing otherwise. */
function progressLine(stream: NodeJS.WriteStream): ((e: UpdateProgress) => void) & { clear(): void } {
  const tty = stream.isTTY === true;
  let last = 0;
  let shown = false;
  const clear = () => {
    if (shown) stream.write("\r\x1b[K");
    shown = false;
  };
  const show = (e: UpdateProgress) => {
    if (!tty || e.phase === "done") return;
    const t = Date.now();
    if (t - last < 100) return;
    last = t;
    const text =
      e.phase === "download"
        ? `${e.source}: downloading ${mb(e.bytes)}${e.total ? ` of ${mb(e.total)}` : ""}`
        : `${e.source}: imported ${e.records} records`;
    stream.write(`\r\x1b[K${text}`);
    shown = true;
  };
  return Object.assign(show, { clear });
}

function importSummary(stats: ImportStats[]): string {
  return stats
    .map((s) => {
      const extra = [s.skipped ? `${s.skipped} skipped` : "", s.withdrawn ? `${s.withdrawn} withdrawn` : ""]
        .filter(Boolean)
        .join(", ");
      return `${s.format}: ${s.records} records from ${s.files} file(s)${extra ? ` (${extra})` : ""}`;
    })
    .join("\n");
}

export function renderStatus(s: DatabaseStatus, now = new Date()): string {
  const when = (iso?: string) => {
    const t = iso ? Date.parse(iso) : Number.NaN;
    if (!iso || Number.isNaN(t)) return iso ?? "-";
    return `${iso} (${humanAge(Math.max(0, (now.getTime() - t) / 1000))} ago)`;
  };
  const rows = Object.entries(s.sources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => [name, String(v.records), v.updatedAt ?? "-", v.checkedAt ?? "-"]);
  const header = ["SOURCE", "RECORDS", "UPDATED", "CHECKED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const c = s.counts;
  return [
    `database  ${s.path}`,
    `schema    v${s.schemaVersion}`,
    `built     ${when(s.builtAt)}`,
    `checked   ${when(s.checkedAt)}`,
    `age       ${s.ageSeconds !== undefined ? humanAge(s.ageSeconds) : "unknown"}${s.stale ? " (stale)" : ""}`,
    "",
    line(header),
    ...(rows.length ? rows.map(line) : ["(no sources imported)"]),
    "",
    `advisories ${c.advisories} · affected ${c.affected} · aliases ${c.aliases} · epss ${c.epss} · kev ${c.kev}`,
  ].join("\n");
}

export function registerDb(program: Command, flags: () => GlobalFlags): void {
  const db = program.command("db").description("manage the vulnerability database");

  db.command("update")
    .description("download the vulnerability feeds and update the database (atomically)")
    .option("--db <file>", DB_HELP)
    .option(
      "--source <name...>",
      `feeds to update: ${SOURCE_NAMES.join(", ")} (default: all but nvd, which joins when $NVD_API_KEY is set)`,
    )
    .option(
      "--sources-file <file>",
      "YAML/JSON: source → URL(s) (default: $XDG_CONFIG_HOME/airbag/sources.yaml)",
    )
    .action(async (opts: DbFlags & { source?: string[]; sourcesFile?: string }) => {
      const sink = warningSink(flags());
      const all = await loadSources({ ...(opts.sourcesFile ? { sourcesFile: opts.sourcesFile } : {}) });
      const sources = selectSources(all, opts.source);
      const progress = progressLine(process.stderr);
      const summary: string[] = [];
      try {
        await updateDatabase(resolveDbPath(opts.db), {
          sources,
          warn: sink.warn,
          onProgress: (e) => {
            progress(e);
            if (e.phase === "done")
              summary.push(
                `${e.source}: ${e.status}${e.status === "updated" ? ` (${e.records} records)` : ""}`,
              );
          },
        });
      } finally {
        progress.clear();
        if (summary.length) await writeOutput(summary.join("\n"), undefined);
        sink.summary();
      }
    });

  db.command("import")
    .description("import feed files, directories, zips or a bundle from `db export` (offline)")
    .argument("<path...>", "OSV/NVD/Debian/Alpine/KEV/EPSS files or directories, or one database bundle")
    .option("--db <file>", DB_HELP)
    .action(async (paths: string[], opts: DbFlags) => {
      const sink = warningSink(flags());
      const dbPath = resolveDbPath(opts.db);
      const bundles: string[] = [];
      for (const p of paths) if (await isBundle(p)) bundles.push(p);
      if (bundles.length > 1)
        throw new AirbagError("USAGE", `db import: ${bundles.join(", ")}: one database bundle at a time`);
      const feeds = paths.filter((p) => !bundles.includes(p));
      const out: string[] = [];
      if (bundles[0]) {
        const { manifest, stats } = await importBundle(bundles[0], dbPath, {
          feeds,
          ctx: { warn: sink.warn },
        });
        out.push(
          `${bundles[0]}: installed database (schema v${manifest.schemaVersion}, built ${manifest.builtAt ?? "?"}, ${manifest.counts.advisories} advisories)`,
        );
        if (stats.length) out.push(importSummary(stats));
      } else out.push(importSummary(await importIntoDatabase(dbPath, feeds, { warn: sink.warn })));
      await writeOutput(out.join("\n"), undefined);
      sink.summary();
    });

  db.command("export")
    .description("write the database as one verified file for air-gapped sites (import it with `db import`)")
    .argument("<file>", "bundle to write (a .tar.gz)")
    .option("--db <file>", DB_HELP)
    .action(async (file: string, opts: DbFlags) => {
      const r = await exportBundle(resolveDbPath(opts.db), file);
      await writeOutput(`${file}: ${mb(r.size)}, sha256 ${r.sha256}`, undefined);
    });

  db.command("status")
    .description("where the database is, how old, and what each source holds")
    .option("--db <file>", DB_HELP)
    .option("-f, --format <format>", "table | json", "table")
    .option("--max-age <age>", "warn when the data is older than this (7d, 36h, …)", "7d")
    .action(async (opts: DbFlags & { format: string; maxAge: string }) => {
      if (opts.format !== "table" && opts.format !== "json")
        throw new AirbagError("USAGE", `--format ${opts.format}: expected table or json`);
      const status = databaseStatus(resolveDbPath(opts.db), { maxAgeMs: parseAge(opts.maxAge) });
      await writeOutput(
        opts.format === "json" ? JSON.stringify(status, null, 2) : renderStatus(status),
        undefined,
      );
      if (status.stale)
        console.error(
          `airbag: warning: the vulnerability database is ${status.ageSeconds !== undefined ? `${humanAge(status.ageSeconds)} old` : "of unknown age"} (more than ${opts.maxAge}); run "airbag db update"`,
        );
    });
}
