import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mdTable } from "./lib/markdown.js";

/**
 * `npm run bench`: runs every bench/*.bench.js (or `--only NAME`) and writes bench/results.json and
 * bench/RESULTS.md (contract: BRIEF.md "Benchmarks"). A bench module exports `name` and
 * `run(ctx) → { rows, markdown }`; adding a benchmark for a later issue is one new *.bench.js file.
 *
 *   --quick       3 runs on ~100 MB images (CI); default is ≥ 5 runs on ≥ 1 GB images
 *   --tiny        1 run on a few-MB image (smoke test of the harness itself)
 *   --only NAME   run one bench; the other benches' rows in results.json are kept
 *   --runs N      override the number of runs
 *   --out DIR     where results.json / RESULTS.md go (default bench/); images go to DIR/out
 *   --cpu-prof    also write a V8 CPU profile of one run (bench-specific)
 *   --dist DIR    measure the library build in DIR instead of dist/ (e.g. an older commit, for A/B)
 */

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const opts = {
    mode: "full",
    only: undefined,
    runs: undefined,
    out: BENCH_DIR,
    cpuProf: false,
    dist: join(BENCH_DIR, "..", "dist"),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") opts.mode = "quick";
    else if (a === "--tiny") opts.mode = "tiny";
    else if (a === "--only") opts.only = value();
    else if (a === "--runs") opts.runs = Number.parseInt(value(), 10);
    else if (a === "--out") opts.out = resolve(value());
    else if (a === "--cpu-prof") opts.cpuProf = true;
    else if (a === "--dist") opts.dist = resolve(value());
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.runs !== undefined && !(opts.runs >= 1)) throw new Error("--runs must be a positive integer");
  opts.runs ??= { full: 5, quick: 3, tiny: 1 }[opts.mode];
  return opts;
}

function libraryUnderTest(dist) {
  const root = join(BENCH_DIR, "..");
  const git = (...args) => spawnSync("git", args, { cwd: root, encoding: "utf8" }).stdout?.trim() ?? "";
  const head = git("rev-parse", "--short", "HEAD") || "unknown";
  const dirty = git("status", "--porcelain", "--", "src").length > 0;
  const where = relative(root, dist) || dist;
  return where === "dist"
    ? `dist/ built from HEAD ${head}${dirty ? " plus uncommitted changes in src/" : ""}`
    : `${where} (repository HEAD ${head})`;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

function machine(loadAtStart, dist) {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    library: libraryUnderTest(dist),
    load: `${loadAtStart} at start, ${load()} at end (1/5/15 min)`,
    date: new Date().toISOString(),
  };
}

function resultsMarkdown(rows, sections, m, mode, runs) {
  return [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` (bench/run.js). Last run: mode **${mode}**, ${runs} runs per figure`,
    "(median; each run in a fresh process). Ratios are value / baselineValue, both measured in the same run.",
    "",
    "## Machine",
    "",
    `- CPU: ${m.cpu} (${m.cores} cores available)`,
    `- Memory: ${m.memoryGiB} GiB`,
    `- Node: ${m.node}`,
    `- OS: ${m.os}`,
    `- Load average: ${m.load}`,
    `- Library under test: ${m.library}`,
    `- Date: ${m.date}`,
    "",
    "## Results",
    "",
    mdTable(
      ["name", "value", "unit", "baseline", "baselineValue", "ratio", "runs", "peakRssMB"],
      rows.map((r) => [r.name, r.value, r.unit, r.baseline, r.baselineValue, r.ratio, r.runs, r.peakRssMB]),
    ),
    "",
    ...sections.flatMap(([name, md]) => [`<!-- bench:${name} -->`, md, `<!-- /bench:${name} -->`, ""]),
  ].join("\n");
}

/** Sections of a previous RESULTS.md, so `--only` keeps the other benches' details. */
function previousSections(text) {
  const out = new Map();
  for (const m of text.matchAll(/<!-- bench:([\w.-]+) -->\n([\s\S]*?)\n<!-- \/bench:\1 -->/g))
    out.set(m[1], m[2]);
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const loadAtStart = load();
  const lib = join(opts.dist, "index.js");
  if (!existsSync(lib))
    throw new Error(`${lib} is missing: run \`npm run build\` first (npm run bench does)`);
  // read by the bench modules here and in every child process (which inherit the environment)
  process.env.AIRBAG_BENCH_DIST = pathToFileURL(lib).href;
  const files = (await readdir(BENCH_DIR)).filter((f) => f.endsWith(".bench.js")).sort();
  const benches = [];
  for (const f of files) benches.push(await import(pathToFileURL(join(BENCH_DIR, f)).href));
  const selected = benches.filter((b) => !opts.only || b.name === opts.only);
  if (selected.length === 0)
    throw new Error(`no bench named ${opts.only}; have: ${benches.map((b) => b.name).join(", ")}`);

  await mkdir(opts.out, { recursive: true });
  const jsonPath = join(opts.out, "results.json");
  const mdPath = join(opts.out, "RESULTS.md");
  const previous = existsSync(jsonPath) ? JSON.parse(await readFile(jsonPath, "utf8")) : [];
  const sections = existsSync(mdPath) ? previousSections(await readFile(mdPath, "utf8")) : new Map();
  const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
  const ctx = { mode: opts.mode, runs: opts.runs, outDir: join(opts.out, "out"), cpuProf: opts.cpuProf, log };

  const fresh = new Map();
  for (const b of selected) {
    log(`== ${b.name} (mode ${opts.mode}, ${opts.runs} runs)`);
    const started = performance.now();
    const { rows, markdown } = await b.run(ctx);
    fresh.set(b.name, rows);
    sections.set(
      b.name,
      `${markdown}\n\n_${b.name}: mode ${opts.mode}, ${opts.runs} runs, ${new Date().toISOString()}_`,
    );
    log(`== ${b.name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    for (const r of rows)
      log(
        `   ${r.name}: ${r.value} ${r.unit} (baseline ${r.baselineValue}, ratio ${r.ratio}, peak RSS ${r.peakRssMB} MB)`,
      );
  }
  const owner = (rowName) =>
    benches.find((b) => rowName === b.name || rowName.startsWith(`${b.name}.`))?.name;
  const kept = Array.isArray(previous) ? previous.filter((r) => !fresh.has(owner(r.name))) : [];
  const rows = benches.flatMap((b) => fresh.get(b.name) ?? kept.filter((r) => owner(r.name) === b.name));
  const order = benches.map((b) => b.name).filter((n) => sections.has(n));
  await writeFile(jsonPath, `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(
    mdPath,
    resultsMarkdown(
      rows,
      order.map((n) => [n, sections.get(n)]),
      machine(loadAtStart, opts.dist),
      opts.mode,
      opts.runs,
    ),
  );
  log(`wrote ${jsonPath} and ${mdPath}`);
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
