import { rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { mdTable } from "./lib/markdown.js";
import { measureInterleaved, median, row, runTaskInChild } from "./lib/measure.js";
import { topSelfTime } from "./lib/profile.js";
import { ensureImage, PRESETS } from "./lib/synthetic-image.js";

/**
 * Issue "Secrets, hidden cryptominers/malware and misconfiguration in images": all content and config
 * detectors together (`scan(target, { scanners: ["secret", "malware", "misconfig"] })`, no vulnerability
 * database) add ≤ 30 % to the catalog-only walk of the same ≈ 1 GB synthetic image (`catalog(target)`),
 * with peak RSS ≤ 250 MB. Both walk the layers once; the difference is what the detectors cost. Runs are
 * interleaved in fresh processes, medians reported. The image is the catalog bench's (same generator,
 * same preset, reused when present).
 *
 * `npm run bench -- --only detect`, or alone: `node bench/detect.bench.js [--quick|--tiny] [--runs N]`.
 */

export const name = "detect";

// the library under test: ../dist by default, another build with `bench/run.js --dist DIR`
const { catalog, scan } = await import(process.env.AIRBAG_BENCH_DIST ?? "../dist/index.js");

const DETECTORS = ["secret", "malware", "misconfig"];

export const tasks = {
  async catalog({ target, expectedPackages }) {
    const inv = await catalog(target);
    if (inv.packages.length !== expectedPackages)
      throw new Error(`catalog found ${inv.packages.length} packages, expected ${expectedPackages}`);
    return { packages: inv.packages.length };
  },

  async detect({ target, expectedPackages }) {
    const report = await scan(target, { scanners: DETECTORS });
    if (report.packages.length !== expectedPackages)
      throw new Error(`scan found ${report.packages.length} packages, expected ${expectedPackages}`);
    const byKind = {};
    for (const f of report.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    return { packages: report.packages.length, byKind, ids: [...new Set(report.findings.map((f) => f.id))] };
  },
};

const SELF = import.meta.url;
const inChild = (task, args, execArgv) => () => runTaskInChild(SELF, task, args, { execArgv });
const IMAGE = { full: "full", quick: "quick", tiny: "tiny" };
const MiB = 2 ** 20;
const mb = (b) => (b / MiB).toFixed(1);

/** "r1, r2, … (median m)" of per-iteration ratios: each pair ran back to back under the same load. */
const pairRatios = (a, b) => a.samples.map((v, i) => v / b.samples[i]);
const list = (xs, digits = 2) => xs.map((x) => x.toFixed(digits)).join(", ");

/**
 * ctx: { mode: "full" | "quick" | "tiny", runs, outDir, log, cpuProf }.
 * Returns { rows, markdown } (results.json rows and a RESULTS.md section).
 */
export async function run(ctx) {
  const imageName = IMAGE[ctx.mode];
  ctx.log(`image ${imageName}: preparing (${JSON.stringify(PRESETS[imageName])})`);
  const img = await ensureImage(join(ctx.outDir, imageName), PRESETS[imageName]);
  ctx.log(
    `image ${imageName}: ${img.reused ? "reused" : `generated in ${(img.generatedMs / 1000).toFixed(1)} s`}, ` +
      `${img.files} files, ${mb(img.fileBytes)} MiB content, ${mb(img.tarBytes)} MiB tar, ${mb(img.blobBytes)} MiB gzip`,
  );
  const args = { target: img.target, expectedPackages: img.expectedPackages };

  ctx.log(`measuring ${imageName} (${ctx.runs} runs each, interleaved)`);
  const M = await measureInterleaved(
    { catalog: inChild("catalog", args), detect: inChild("detect", args) },
    ctx.runs,
    ctx.log,
  );
  const cat = M.catalog;
  const det = M.detect;
  // content bytes every-layer scanners read (sizes of all regular files, deleted ones included) per
  // second of the detectors' share of the wall time
  const extraS = Math.max(1e-3, (det.ms - cat.ms) / 1000);
  const contentMiBs = img.fileBytes / MiB / extraS;
  const catalogMiBs = img.fileBytes / MiB / (cat.ms / 1000);

  let profile = [];
  if (ctx.cpuProf) {
    const dir = join(ctx.outDir, "profiles-detect");
    await rm(dir, { recursive: true, force: true });
    await runTaskInChild(SELF, "detect", args, { execArgv: ["--cpu-prof", "--cpu-prof-dir", dir] });
    const top = await topSelfTime(dir, 16);
    ctx.log(`cpu profile of one detect run written to ${dir}`);
    profile = [
      "",
      `Main-thread self time in one profiled detect run (\`--cpu-prof\`, total ${top.totalMs.toFixed(0)} ms;`,
      `profile in \`${relative(process.cwd(), dir)}\`):`,
      "",
      mdTable(["function", "self ms", "%"], top.rows),
    ];
  }

  const rows = [
    row(
      "detect.time",
      det.ms,
      "ms",
      "catalog(target) of the same image (catalog only, one walk)",
      cat.ms,
      det.runs,
      det.peakRssMB,
    ),
    row(
      "detect.cpu",
      det.cpuMs,
      "ms",
      "catalog CPU time (user + sys, all threads)",
      cat.cpuMs,
      det.runs,
      det.peakRssMB,
    ),
    row("detect.peak-rss", det.peakRssMB, "MB", "catalog peak RSS", cat.peakRssMB, det.runs, det.peakRssMB),
    row(
      "detect.content-throughput",
      contentMiBs,
      "MiB/s",
      "catalog walk throughput over the same content bytes",
      catalogMiBs,
      det.runs,
      det.peakRssMB,
    ),
  ];

  const ratios = pairRatios(det, cat);
  const found = det.result;
  const markdown = [
    "### detect (issue: Secrets, hidden cryptominers/malware and misconfiguration in images)",
    "",
    "Goals: `detect.time` ratio ≤ 1.3 (all detectors add at most 30 % to the catalog-only walk of a",
    "≈ 1 GB image); `detect.peak-rss` ≤ 250 MB.",
    "",
    `Image: the catalog bench's synthetic \`${imageName}\` OCI layout — ${img.files} regular files in`,
    `${img.layers.length} layers, ${mb(img.fileBytes)} MiB of content (60 % of the large files incompressible`,
    `"binaries"), ${mb(img.tarBytes)} MiB tar, ${mb(img.blobBytes)} MiB gzip. \`detect\` is`,
    `\`scan(target, { scanners: ${JSON.stringify(DETECTORS)} })\`: the same walk and analyzers as`,
    "`catalog`, plus every content scanner over every regular file of every layer (deleted ones",
    "included) and the config scanners; no vulnerability database is opened.",
    "",
    mdTable(
      ["contender", "median ms", "samples ms", "CPU ms", "peak RSS MB"],
      Object.entries(M).map(([n, r]) => [
        n,
        Math.round(r.ms),
        r.samples.join(", "),
        r.cpuMs == null ? "-" : Math.round(r.cpuMs),
        r.peakRssMB == null ? "-" : r.peakRssMB.toFixed(0),
      ]),
    ),
    "",
    `Per-iteration ratios detect / catalog: ${list(ratios)} (median ${median(ratios).toFixed(2)}).`,
    `Content throughput: ${mb(img.fileBytes)} MiB of file content over the detectors' extra wall time`,
    `(${extraS.toFixed(2)} s) = ${contentMiBs.toFixed(0)} MiB/s; the catalog walk alone reads it at ${catalogMiBs.toFixed(0)} MiB/s.`,
    `Findings on the synthetic image (none planted): ${JSON.stringify(found.byKind)} — ${found.ids.join(", ") || "none"}.`,
    ...profile,
  ].join("\n");
  return { rows, markdown };
}

// standalone: node bench/detect.bench.js [--quick|--tiny] [--runs N] [--cpu-prof]
if (process.argv[1] && pathToFileURL(process.argv[1]).href === SELF) {
  const argv = process.argv.slice(2);
  const runs = argv.includes("--runs") ? Number(argv[argv.indexOf("--runs") + 1]) : 5;
  const mode = argv.includes("--tiny") ? "tiny" : argv.includes("--quick") ? "quick" : "full";
  const outDir = join(import.meta.dirname, "out");
  const log = (m) => console.log(`[detect bench] ${m}`);
  const { rows, markdown } = await run({ mode, runs, outDir, log, cpuProf: argv.includes("--cpu-prof") });
  console.log(markdown);
  console.log(JSON.stringify(rows, null, 2));
}
