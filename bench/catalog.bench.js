import { createReadStream, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { mdTable } from "./lib/markdown.js";
import { measureInterleaved, median, row, runCommand, runTaskInChild } from "./lib/measure.js";
import { topSelfTime } from "./lib/profile.js";
import { ensureImage, PRESETS } from "./lib/synthetic-image.js";

/**
 * Issue "Image analysis core": `catalog('oci:…')` on a large synthetic image against the floor of
 * simply decompressing and walking the same layers (node:zlib + tar-stream, and GNU tar), plus peak RSS
 * on a half-size and a full-size image (it must stay flat as the image grows).
 */

export const name = "catalog";

// the library under test: ../dist by default, another build with `bench/run.js --dist DIR` (A/B runs)
const { catalog } = await import(process.env.AIRBAG_BENCH_DIST ?? "../dist/index.js");

const READ_CHUNK = 1 << 20; // what the catalog's blob store reads with
const GUNZIP_CHUNK = 256 * 1024; // and its gunzip chunk size: the floor gets the same buffers

/** Work done in child processes (see lib/child.js); each returns a small summary for sanity checks. */
export const tasks = {
  async catalog({ target, expectedPackages }) {
    const inv = await catalog(target);
    if (inv.packages.length !== expectedPackages)
      throw new Error(`catalog found ${inv.packages.length} packages, expected ${expectedPackages}`);
    return { packages: inv.packages.length, warnings: inv.warnings?.length ?? 0 };
  },

  /** The node floor: gunzip + tar-stream extract of every layer, draining every entry. */
  async nodeFloor({ files }) {
    let entries = 0;
    for (const f of files) {
      const ex = extract();
      const gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
      const src = createReadStream(f, { highWaterMark: READ_CHUNK });
      src.on("error", (e) => ex.destroy(e));
      gz.on("error", (e) => ex.destroy(e));
      src.pipe(gz).pipe(ex);
      for await (const entry of ex) {
        entries++;
        entry.resume();
      }
    }
    return { entries };
  },

  /** Decompression alone, in flowing mode (gunzip never waits for a consumer): no walker goes below. */
  async gunzipOnly({ files }) {
    let bytes = 0;
    for (const f of files) {
      await new Promise((resolve, reject) => {
        const gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
        const src = createReadStream(f, { highWaterMark: READ_CHUNK });
        src.on("error", reject);
        gz.on("error", reject);
        gz.on("data", (c) => {
          bytes += c.length;
        });
        gz.on("end", resolve);
        src.pipe(gz);
      });
    }
    return { bytes };
  },
};

const SELF = import.meta.url;
const inChild = (task, args, execArgv) => () => runTaskInChild(SELF, task, args, { execArgv });

function gnuTar(files) {
  const devnull = openSync("/dev/null", "w");
  return () =>
    runCommand("sh", ["-c", 'for f; do tar -xzf "$f" -O || exit 1; done', "sh", ...files], {
      stdout: devnull,
    });
}

const SIZES = { full: ["full", "half"], quick: ["quick", "quick-half"], tiny: ["tiny", "tiny-half"] };

/** "r1, r2, … (median m)" of value/baseline per interleaved run: robust to load drifting between runs. */
function pairRatios(a, b) {
  const rs = a.samples.map((v, i) => v / b.samples[i]);
  return `${rs.map((r) => r.toFixed(2)).join(", ")} (median ${median(rs).toFixed(2)})`;
}

const mb = (b) => (b / 2 ** 20).toFixed(1);
const fmtMs = (v) => (v == null ? "-" : `${Math.round(v)}`);
const fmtMb = (v) => (v == null ? "-" : v.toFixed(0));

/**
 * ctx: { mode: "full" | "quick" | "tiny", runs, outDir, log, cpuProf }.
 * Returns { rows, markdown } (results.json rows and a RESULTS.md section).
 */
export async function run(ctx) {
  const [bigName, halfName] = SIZES[ctx.mode];
  const images = {};
  for (const n of [halfName, bigName]) {
    ctx.log(`image ${n}: preparing (${JSON.stringify(PRESETS[n])})`);
    images[n] = await ensureImage(join(ctx.outDir, n), PRESETS[n]);
    const m = images[n];
    ctx.log(
      `image ${n}: ${m.reused ? "reused" : `generated in ${(m.generatedMs / 1000).toFixed(1)} s`}, ` +
        `${m.files} files, ${mb(m.fileBytes)} MiB content, ${mb(m.tarBytes)} MiB tar, ${mb(m.blobBytes)} MiB gzip`,
    );
  }
  const big = images[bigName];
  const half = images[halfName];
  const files = (m) => m.layers.map((l) => l.file);
  const cat = (m) => ({ target: m.target, expectedPackages: m.expectedPackages });

  ctx.log(`measuring ${bigName} (${ctx.runs} runs each, interleaved)`);
  const B = await measureInterleaved(
    {
      catalog: inChild("catalog", cat(big)),
      "node-floor": inChild("nodeFloor", { files: files(big) }),
      "gnu-tar": gnuTar(files(big)),
      "gunzip-only": inChild("gunzipOnly", { files: files(big) }),
    },
    ctx.runs,
    ctx.log,
  );
  ctx.log(`measuring ${halfName}`);
  const H = await measureInterleaved(
    { catalog: inChild("catalog", cat(half)), "node-floor": inChild("nodeFloor", { files: files(half) }) },
    ctx.runs,
    ctx.log,
  );
  let profile = [];
  if (ctx.cpuProf) {
    const dir = join(ctx.outDir, "profiles");
    await rm(dir, { recursive: true, force: true });
    await runTaskInChild(SELF, "catalog", cat(big), { execArgv: ["--cpu-prof", "--cpu-prof-dir", dir] });
    ctx.log(`cpu profile of one catalog run written to ${dir}`);
    const top = await topSelfTime(dir);
    profile = [
      "",
      `Main-thread self time in one profiled catalog run of the ${bigName} image (\`--cpu-prof\`, total`,
      `${top.totalMs.toFixed(0)} ms; profile in \`${relative(process.cwd(), dir)}\`):`,
      "",
      mdTable(["function", "self ms", "%"], top.rows),
    ];
  }

  const floorDesc = "node floor: node:zlib gunzip + tar-stream extract, every entry drained";
  const rows = [
    row(
      "catalog.time",
      B.catalog.ms,
      "ms",
      floorDesc,
      B["node-floor"].ms,
      B.catalog.runs,
      B.catalog.peakRssMB,
    ),
    row(
      "catalog.time-vs-gnu-tar",
      B.catalog.ms,
      "ms",
      "GNU tar -xzf LAYER -O > /dev/null, every layer",
      B["gnu-tar"].ms,
      B.catalog.runs,
      B.catalog.peakRssMB,
    ),
    row(
      "catalog.time-vs-gunzip",
      B.catalog.ms,
      "ms",
      "node:zlib gunzip of every layer, no tar parsing",
      B["gunzip-only"].ms,
      B.catalog.runs,
      B.catalog.peakRssMB,
    ),
    row(
      "catalog.cpu",
      B.catalog.cpuMs,
      "ms",
      "node floor CPU time (user + sys, all threads)",
      B["node-floor"].cpuMs,
      B.catalog.runs,
      B.catalog.peakRssMB,
    ),
    row(
      "catalog.time-half",
      H.catalog.ms,
      "ms",
      `${floorDesc} (half-size image)`,
      H["node-floor"].ms,
      H.catalog.runs,
      H.catalog.peakRssMB,
    ),
    row(
      "catalog.peak-rss",
      B.catalog.peakRssMB,
      "MB",
      "catalog peak RSS on the half-size image",
      H.catalog.peakRssMB,
      B.catalog.runs,
      B.catalog.peakRssMB,
    ),
  ];

  const imgRow = (n, m) => [
    n,
    m.files,
    m.entries,
    m.layers.length,
    mb(m.fileBytes),
    mb(m.tarBytes),
    mb(m.blobBytes),
    m.expectedPackages,
  ];
  const measRow = (img, n, r) => [
    img,
    n,
    fmtMs(r.ms),
    r.samples.join(", "),
    fmtMs(r.cpuMs),
    fmtMb(r.peakRssMB),
    (images[img].tarBytes / 2 ** 20 / (r.ms / 1000)).toFixed(0),
  ];
  const markdown = [
    "### catalog (issue: Image analysis core)",
    "",
    "Goals: `catalog.time` ratio ≤ 1.3 against the node floor; peak RSS ≤ 250 MB and flat from the",
    "half-size to the full-size image (`catalog.peak-rss` ratio ≈ 1).",
    "",
    mdTable(
      [
        "image",
        "regular files",
        "tar entries",
        "layers",
        "content MiB",
        "tar MiB",
        "gzip MiB",
        "dpkg packages",
      ],
      [imgRow(halfName, half), imgRow(bigName, big)],
    ),
    "",
    "Every contender, in a fresh process per run: median wall ms, all samples, median CPU ms (user + sys,",
    "all threads), max peak RSS over runs, throughput in uncompressed tar MiB/s (from the median):",
    "",
    mdTable(
      ["image", "contender", "median ms", "samples ms", "CPU ms", "peak RSS MB", "MiB/s"],
      [
        ...Object.entries(B).map(([n, r]) => measRow(bigName, n, r)),
        ...Object.entries(H).map(([n, r]) => measRow(halfName, n, r)),
      ],
    ),
    "",
    `Per-iteration ratios catalog / node-floor (runs are interleaved, so each pair saw the same machine`,
    `load): full ${pairRatios(B.catalog, B["node-floor"])}; half ${pairRatios(H.catalog, H["node-floor"])}.`,
    "",
    "The catalog also verifies every layer: sha256 of each compressed blob (digest) and of each",
    "uncompressed tar (diffID); the floors do not hash. GNU tar pipes through a separate `gzip -d`",
    "process, so its decompression runs in parallel with its tar parsing.",
    ...profile,
  ].join("\n");
  return { rows, markdown };
}
