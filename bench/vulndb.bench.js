import { createReadStream, statSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mdTable } from "./lib/markdown.js";
import { measureInterleaved, row, runTaskInChild } from "./lib/measure.js";
import { ensureLangImage, LANG_PRESETS } from "./lib/synthetic-lang-image.js";
import { ECOSYSTEMS, ensureOsvFeed, OSV_PRESETS, packageName, versionString } from "./lib/synthetic-osv.js";

/**
 * Issue "Version semantics, vulnerability database and matching":
 *  - import of the whole Go vulndb (4.3k OSV records, bench/data/golang-vulndb-osv.zip) ≤ 2 s, against
 *    the parse floor (the same zip reader + JSON.parse of every record);
 *  - import of a synthetic 1M-record OSV feed (JSON lines, lib/synthetic-osv.js) ≤ 60 s, against its
 *    parse floor (read + split + JSON.parse of every line); the database file ≤ 300 MB;
 *  - matching a 10k-package inventory (Go modules of the Go vulndb + packages of every synthetic
 *    ecosystem) against Go vulndb + synthetic DB ≤ 100 ms, against only looking the rows up by name;
 *  - `scan()` with `scanners: ["vuln"]` on the language image of lang.bench.js (advisories added for a
 *    third of its packages) ≤ 1.3 × `catalog()` of the same image.
 */

export const name = "vulndb";

const LIB = process.env.AIRBAG_BENCH_DIST ?? new URL("../dist/index.js", import.meta.url).href;
const lib = await import(LIB);
const { zipTextEntries } = await import(new URL("./vulndb/importers/zip.js", LIB).href);
const { queriesFor } = await import(new URL("./match/matcher.js", LIB).href);
const { packageKey } = await import(new URL("./vulndb/index.js", LIB).href);

const GO_ZIP = fileURLToPath(new URL("./data/golang-vulndb-osv.zip", import.meta.url));
const GO_RECORDS = 4274; // 4291 files, 17 withdrawn
const quiet = { warn: () => {} };
const INVENTORY = { full: 10_000, quick: 10_000, tiny: 1_000 };

/** Read `file` in 1 MiB chunks and call `line` for every line (the floor of a JSON-lines import). */
async function eachLine(file, line) {
  let rest = "";
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, encoding: "utf8" })) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    for (const p of parts) line(p);
  }
  if (rest) line(rest);
}

/** Work done in child processes (see lib/child.js). */
export const tasks = {
  async generateFeed({ dir, spec }) {
    return ensureOsvFeed(dir, spec);
  },

  async generateImage({ dir, spec }) {
    return ensureLangImage(dir, spec);
  },

  async importGo({ db }) {
    await rm(db, { force: true });
    const stats = await lib.importIntoDatabase(db, [GO_ZIP], quiet);
    const records = stats.reduce((a, s) => a + s.records, 0);
    if (records !== GO_RECORDS) throw new Error(`Go vulndb import: ${records} records, want ${GO_RECORDS}`);
    return { records };
  },

  async parseGo() {
    let records = 0;
    for await (const { text } of zipTextEntries(GO_ZIP, quiet, (n) => n.endsWith(".json")))
      if (JSON.parse(text).id) records++;
    return { records };
  },

  async importFeed({ db, feed, records }) {
    await rm(db, { force: true });
    const stats = await lib.importIntoDatabase(db, [feed], quiet);
    const got = stats.reduce((a, s) => a + s.records, 0);
    if (got !== records) throw new Error(`synthetic import: ${got} records, want ${records}`);
    return { records: got, bytes: statSync(db).size };
  },

  async parseFeed({ feed }) {
    let records = 0;
    await eachLine(feed, (l) => {
      if (l && JSON.parse(l).id) records++;
    });
    return { records };
  },

  /** The matching database: the last synthetic import, plus the Go vulndb and the image's advisories. */
  async buildMatchDb({ from, db, extra }) {
    await rm(db, { force: true });
    await writeFile(db, await readFile(from));
    await lib.importIntoDatabase(db, [GO_ZIP, ...extra], quiet);
    const v = lib.VulnDb.open(db, { readonly: true });
    const counts = v.status().counts;
    v.close();
    return { counts, bytes: statSync(db).size };
  },

  /** Catalog the image and write OSV records affecting a third of its packages. */
  async imageAdvisories({ target, file }) {
    const inv = await lib.catalog(target);
    const lines = [];
    inv.packages.forEach((p, i) => {
      if (i % 3 !== 0) return;
      const q = queriesFor(p)[0];
      const events = i % 2 ? [{ introduced: "0" }] : [{ introduced: "0" }, { last_affected: q.version }];
      lines.push(
        JSON.stringify({
          id: `BENCH-IMG-${i}`,
          modified: "2026-01-01T00:00:00Z",
          aliases: [`CVE-2099-${10000 + i}`],
          summary: `Bench advisory for ${q.name}`,
          details: "Added by the vulndb bench so the image's packages match.",
          affected: [
            { package: { ecosystem: q.ecosystem, name: q.name }, ranges: [{ type: "ECOSYSTEM", events }] },
          ],
          references: [{ type: "WEB", url: `https://example.org/${i}` }],
        }),
      );
    });
    await writeFile(file, `${lines.join("\n")}\n`);
    return { packages: inv.packages.length, advisories: lines.length };
  },

  /** matchInventory over the open database; the time of the match only (after open and inventory load). */
  async match({ db, inventory }) {
    const inv = JSON.parse(await readFile(inventory, "utf8"));
    const v = lib.VulnDb.open(db, { readonly: true });
    const started = performance.now();
    const findings = lib.matchInventory(inv, v);
    const ms = performance.now() - started;
    v.close();
    if (findings.length === 0) throw new Error("match: no findings");
    return { ms, findings: findings.length };
  },

  /** Baseline: only fetch the advisory rows of every query by package name (no objects, no ranges). */
  async lookupOnly({ db, inventory }) {
    const inv = JSON.parse(await readFile(inventory, "utf8"));
    const v = lib.VulnDb.open(db, { readonly: true });
    const st = v.db
      .prepare(
        "SELECT a.pk, a.id, a.severity, a.doc, f.json FROM affected f JOIN advisories a ON a.pk = (f.slot >> 20) WHERE f.ecosystem = ? AND f.package = ?",
      )
      .raw();
    const started = performance.now();
    let rows = 0;
    for (const p of inv.packages)
      for (const q of queriesFor(p)) rows += st.all(q.ecosystem, packageKey(q.ecosystem, q.name)).length;
    const ms = performance.now() - started;
    v.close();
    return { ms, rows };
  },

  async scan({ target, db }) {
    const report = await lib.scan(target, { db, scanners: ["vuln"] });
    const n = report.findings.filter((f) => f.kind === "vulnerability").length;
    if (n === 0) throw new Error("scan: no vulnerability findings");
    return { packages: report.packages.length, findings: n };
  },

  async catalog({ target }) {
    const inv = await lib.catalog(target);
    return { packages: inv.packages.length };
  },
};

/**
 * The 10k-package inventory: 6 % Go modules named in the Go vulndb (half at a vulnerable old version),
 * the rest drawn uniformly from every synthetic ecosystem's pool; a fifth at versions inside the
 * synthetic ranges, the others above every fix (most of a real inventory is not vulnerable).
 */
async function writeInventory(file, spec, count) {
  const goNames = new Set();
  for await (const { text } of zipTextEntries(GO_ZIP, quiet, (n) => n.endsWith(".json")))
    for (const a of JSON.parse(text).affected ?? []) goNames.add(a.package.name);
  const go = [...goNames].sort();
  const packages = [];
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const pkg = (ecosystem, type, name, version) => ({
    id: `p${packages.length}`,
    ecosystem,
    name,
    version,
    purl: `pkg:${type}/${encodeURIComponent(name)}@${encodeURIComponent(version)}`,
    type,
    locations: [{ path: "bench" }],
    licenses: [],
  });
  const goCount = Math.round(count * 0.06);
  for (let i = 0; i < goCount; i++)
    packages.push(pkg("Go", "golang", go[Math.floor(rand() * go.length)], i % 2 ? "0.1.0" : "99.0.0"));
  const ecos = ECOSYSTEMS.filter((e, i) => ECOSYSTEMS.findIndex((x) => x.ecosystem === e.ecosystem) === i);
  while (packages.length < count) {
    const e = ecos[Math.floor(rand() * ecos.length)];
    const name = packageName(e.ecosystem, Math.floor(rand() * spec.pool));
    const inRange = rand() < 0.2;
    const v = inRange
      ? versionString(e.scheme, Math.floor(rand() * 10), Math.floor(rand() * 20), Math.floor(rand() * 10))
      : versionString(e.scheme, 10, 0, 0);
    packages.push(pkg(e.ecosystem, e.type, name, v));
  }
  const inv = {
    schemaVersion: 1,
    target: { name: "bench", kind: "sbom", digest: "", layers: [] },
    packages,
    warnings: [],
  };
  writeFileSync(file, JSON.stringify(inv));
  return packages.length;
}

const SELF = import.meta.url;
const inChild = (task, args) => () => runTaskInChild(SELF, task, args, { timeoutMs: 30 * 60_000 });
/** A contender timed inside the task (result.ms), e.g. matching after the database is open. */
const timedInside = (task, args) => async () => {
  const r = await runTaskInChild(SELF, task, args);
  return { ...r, ms: r.result.ms, cpuMs: null };
};

const fmtMs = (v) => (v == null ? "-" : `${Math.round(v)}`);
const mib = (b) => b / 2 ** 20;

/** ctx: { mode, runs, outDir, log }. Returns { rows, markdown }. */
export async function run(ctx) {
  const dir = join(ctx.outDir, `vulndb-${ctx.mode}`);
  await mkdir(dir, { recursive: true });
  const spec = OSV_PRESETS[ctx.mode];
  ctx.log(`synthetic OSV feed: preparing (${JSON.stringify(spec)})`);
  const { result: feed } = await runTaskInChild(
    SELF,
    "generateFeed",
    { dir: join(ctx.outDir, `osv-${ctx.mode}`), spec },
    { timeoutMs: 60 * 60_000 },
  );
  ctx.log(
    `feed: ${feed.reused ? "reused" : `generated in ${(feed.generatedMs / 1000).toFixed(1)} s`}, ${mib(feed.bytes).toFixed(0)} MiB`,
  );

  const goDb = join(dir, "go.sqlite");
  const synDb = join(dir, "synthetic.sqlite");
  const I = await measureInterleaved(
    {
      "import-go": inChild("importGo", { db: goDb }),
      "parse-go": inChild("parseGo", {}),
      "import-synthetic": inChild("importFeed", { db: synDb, feed: feed.file, records: spec.records }),
      "parse-synthetic": inChild("parseFeed", { feed: feed.file }),
    },
    ctx.runs,
    ctx.log,
  );
  const dbBytes = I["import-synthetic"].result.bytes;

  const imgSpec = LANG_PRESETS[ctx.mode];
  ctx.log(`lang image: preparing (${JSON.stringify(imgSpec)})`);
  const { result: img } = await runTaskInChild(
    SELF,
    "generateImage",
    { dir: join(ctx.outDir, `lang-${ctx.mode}`), spec: imgSpec },
    { timeoutMs: 60 * 60_000 },
  );
  const imgFeed = join(dir, "image-advisories.jsonl");
  const { result: imgAdv } = await runTaskInChild(SELF, "imageAdvisories", {
    target: img.target,
    file: imgFeed,
  });
  const matchDb = join(dir, "match.sqlite");
  const { result: mdb } = await runTaskInChild(
    SELF,
    "buildMatchDb",
    { from: synDb, db: matchDb, extra: [imgFeed] },
    { timeoutMs: 30 * 60_000 },
  );
  ctx.log(`match db: ${JSON.stringify(mdb.counts)}, ${mib(mdb.bytes).toFixed(0)} MiB`);
  const inventory = join(dir, "inventory.json");
  const invCount = await writeInventory(inventory, spec, INVENTORY[ctx.mode]);

  const M = await measureInterleaved(
    {
      match: timedInside("match", { db: matchDb, inventory }),
      "lookup-only": timedInside("lookupOnly", { db: matchDb, inventory }),
      scan: inChild("scan", { target: img.target, db: matchDb }),
      catalog: inChild("catalog", { target: img.target }),
    },
    ctx.runs,
    ctx.log,
  );

  const n = spec.records.toLocaleString("en");
  const rows = [
    row(
      "vulndb.import-go",
      I["import-go"].ms,
      "ms",
      "parse floor: the same zip reader + JSON.parse of every record",
      I["parse-go"].ms,
      I["import-go"].runs,
      I["import-go"].peakRssMB,
    ),
    row(
      "vulndb.import-synthetic",
      I["import-synthetic"].ms,
      "ms",
      `parse floor: read + split + JSON.parse of the ${n}-record JSON-lines feed`,
      I["parse-synthetic"].ms,
      I["import-synthetic"].runs,
      I["import-synthetic"].peakRssMB,
    ),
    row(
      "vulndb.db-size",
      mib(dbBytes),
      "MB",
      `size of the ${n}-record JSON-lines feed (MiB)`,
      mib(feed.bytes),
      I["import-synthetic"].runs,
      I["import-synthetic"].peakRssMB,
    ),
    row(
      "vulndb.match",
      M.match.ms,
      "ms",
      `only fetching the advisory rows of the ${invCount}-package inventory by package name`,
      M["lookup-only"].ms,
      M.match.runs,
      M.match.peakRssMB,
    ),
    row(
      "vulndb.scan",
      M.scan.ms,
      "ms",
      "catalog() of the same image (no vulnerability matching)",
      M.catalog.ms,
      M.scan.runs,
      M.scan.peakRssMB,
    ),
  ];

  const table = (R) =>
    mdTable(
      ["contender", "median ms", "samples ms", "peak RSS MB"],
      Object.entries(R).map(([k, r]) => [k, fmtMs(r.ms), r.samples.join(", "), fmtMs(r.peakRssMB)]),
    );
  const markdown = [
    "### vulndb (issue: Version semantics, vulnerability database and matching)",
    "",
    "Goals: `vulndb.import-go` ≤ 2000 ms; `vulndb.import-synthetic` ≤ 60000 ms and `vulndb.db-size` ≤ 300 MB",
    "(full mode, 1M records); `vulndb.match` ≤ 100 ms; `vulndb.scan` ratio ≤ 1.3.",
    "",
    `Synthetic feed: ${n} OSV records (${mib(feed.bytes).toFixed(0)} MiB JSON lines, ${Math.round(feed.bytes / spec.records)} bytes`,
    "a record on average; GHSA, PYSEC, MAL, Debian, Ubuntu and Alpine shapes over 11 ecosystems — see",
    `bench/lib/synthetic-osv.js); database ${mib(dbBytes).toFixed(0)} MiB. Imports run \`importIntoDatabase\` (a fresh`,
    "database file each run) in a fresh process:",
    "",
    table(I),
    "",
    `Matching: ${invCount} packages against the Go vulndb + the synthetic feed + ${imgAdv.advisories} advisories for`,
    `the image (${JSON.stringify(mdb.counts)}; ${mib(mdb.bytes).toFixed(0)} MiB). \`match\` and \`lookup-only\` are timed`,
    "inside their process after the database is opened (page cache warm); `scan` (scanners: vuln) and",
    `\`catalog\` are whole calls on the lang bench's image (${imgAdv.packages} packages):`,
    "",
    table(M),
    "",
    `Last match run: ${M.match.result.findings} findings; last scan: ${M.scan.result.findings} findings.`,
  ].join("\n");
  return { rows, markdown };
}
