import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { mdTable } from "./lib/markdown.js";
import { measureInterleaved, row, runTaskInChild } from "./lib/measure.js";
import { ensureImage, PRESETS } from "./lib/synthetic-image.js";

/**
 * Issue "Registries, engines, layer cache": a re-scan of an image whose layers are in the layer cache
 * reads no layer blob, so it must take ≤ 0.1× the cold scan. Cold = scan with an empty cache (it also
 * writes the cache); warm = the same scan with the cache filled; uncached = no cache at all (what the
 * cache costs a first scan). Every scan runs the analyzers and the secret, malware and misconfig
 * detectors over the synthetic image catalog.bench.js uses.
 */

export const name = "cache";

const { scan } = await import(process.env.AIRBAG_BENCH_DIST ?? "../dist/index.js");

const SCANNERS = ["secret", "malware", "misconfig"];

export const tasks = {
  /** one scan; `fresh` empties the cache directory first (a cold scan) */
  async scan({ target, cacheDir, fresh, expectedPackages }) {
    if (fresh) await rm(cacheDir, { recursive: true, force: true });
    const report = await scan(target, { scanners: SCANNERS, ...(cacheDir ? { cache: cacheDir } : {}) });
    if (report.packages.length < expectedPackages)
      throw new Error(`scan found ${report.packages.length} packages, expected ≥ ${expectedPackages}`);
    return { packages: report.packages.length, findings: report.findings.length };
  },
};

const SELF = import.meta.url;
const inChild = (args) => () => runTaskInChild(SELF, "scan", args);

const IMAGE = { full: "full", quick: "quick", tiny: "tiny" };
const mb = (b) => (b / 2 ** 20).toFixed(1);

export async function run(ctx) {
  const imageName = IMAGE[ctx.mode];
  ctx.log(`image ${imageName}: preparing (${JSON.stringify(PRESETS[imageName])})`);
  const img = await ensureImage(join(ctx.outDir, imageName), PRESETS[imageName]);
  ctx.log(
    `image ${imageName}: ${img.files} files, ${mb(img.tarBytes)} MiB tar, ${mb(img.blobBytes)} MiB gzip`,
  );
  const work = await mkdtemp(join(ctx.outDir, "cache-bench-"));
  try {
    const base = { target: img.target, expectedPackages: img.expectedPackages };
    const coldDir = join(work, "cold");
    const warmDir = join(work, "warm");
    ctx.log("filling the warm cache");
    const filled = await runTaskInChild(SELF, "scan", { ...base, cacheDir: warmDir });
    ctx.log(`measuring (${ctx.runs} runs each, interleaved)`);
    const R = await measureInterleaved(
      {
        cold: inChild({ ...base, cacheDir: coldDir, fresh: true }),
        warm: inChild({ ...base, cacheDir: warmDir }),
        uncached: inChild(base),
      },
      ctx.runs,
      ctx.log,
    );
    for (const k of ["cold", "warm", "uncached"])
      if (JSON.stringify(R[k].result) !== JSON.stringify(filled.result))
        throw new Error(
          `${k} scan differs: ${JSON.stringify(R[k].result)} vs ${JSON.stringify(filled.result)}`,
        );
    const rows = [
      row("cache.warm", R.warm.ms, "ms", "cold scan (empty cache)", R.cold.ms, R.warm.runs, R.warm.peakRssMB),
      row(
        "cache.cold-overhead",
        R.cold.ms,
        "ms",
        "the same scan without a cache",
        R.uncached.ms,
        R.cold.runs,
        R.cold.peakRssMB,
      ),
      row(
        "cache.peak-rss",
        R.warm.peakRssMB,
        "MB",
        "peak RSS of the cold scan",
        R.cold.peakRssMB,
        R.warm.runs,
        R.warm.peakRssMB,
      ),
    ];
    const markdown = [
      "### cache (issue: Registries, engines, layer cache and image trust)",
      "",
      "Goal: `cache.warm` ratio ≤ 0.1 — a re-scan of a cached image reads no layer blob.",
      `Image: synthetic \`${imageName}\`, ${img.files} files in ${img.layers.length} layers, ${mb(img.tarBytes)} MiB tar,`,
      `${mb(img.blobBytes)} MiB gzip; scanners ${SCANNERS.join(", ")} plus every analyzer;`,
      `${filled.result.packages} packages, ${filled.result.findings} findings (equal in every run).`,
      "",
      mdTable(
        ["contender", "median ms", "samples ms", "CPU ms", "peak RSS MB"],
        Object.entries(R).map(([n, r]) => [
          n,
          Math.round(r.ms),
          r.samples.join(", "),
          r.cpuMs == null ? "-" : Math.round(r.cpuMs),
          r.peakRssMB == null ? "-" : r.peakRssMB.toFixed(0),
        ]),
      ),
    ].join("\n");
    return { rows, markdown };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
