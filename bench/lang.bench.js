import { rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { mdTable } from "./lib/markdown.js";
import { measureInterleaved, median, row, runTaskInChild } from "./lib/measure.js";
import { topSelfTime } from "./lib/profile.js";
import { ensureLangImage, LANG_PRESETS } from "./lib/synthetic-lang-image.js";

/**
 * Issue "Language ecosystems inside images": the time language cataloging adds to the core scan of an
 * image with a 50k-file node_modules tree and a 100 MB Spring Boot fat jar (goal ≤ +30 %), and peak RSS
 * (goal ≤ 250 MB). Contender: one walk with every analyzer (the library's `analyzers` list); baseline:
 * the same walk and catalog with only the OS analyzers (dpkg, apk, rpm) over the same image. Two more
 * contenders (OS + npm analyzers, OS + java-archive) say which ecosystem the added time goes to.
 *
 * Every run checks its result against what the generator put in the image (dpkg count, every npm
 * name@version, the installed manifests, every Maven name@version, no warnings), so a broken analyzer
 * fails the bench instead of making it faster.
 */

export const name = "lang";

// the library under test: ../dist by default, another build with `bench/run.js --dist DIR` (A/B runs)
const LIB = process.env.AIRBAG_BENCH_DIST ?? new URL("../dist/index.js", import.meta.url).href;
const { analyzers, captureFor, catalogFiles, sortPackages, tapsFor } = await import(
  new URL("./catalog/index.js", LIB).href
);
const { openTarget, parseTarget, walkImage } = await import(new URL("./image/index.js", LIB).href);

const OS = ["dpkg", "apk", "rpm"];
const NPM = ["npm-installed", "npm-lock", "yarn-lock", "pnpm-lock"];
const JAVA = ["java-archive"];
const SELECTIONS = {
  all: null,
  os: OS,
  "os+npm": [...OS, ...NPM],
  "os+java": [...OS, ...JAVA],
};

function analyzerList(selection) {
  const names = SELECTIONS[selection];
  if (names === undefined) throw new Error(`unknown analyzer selection ${selection}`);
  if (names === null) return analyzers;
  const list = analyzers.filter((a) => names.includes(a.name));
  if (list.length !== names.length)
    throw new Error(
      `analyzers missing from the library: ${names.filter((n) => !list.some((a) => a.name === n))}`,
    );
  return list;
}

/** Throws unless `packages` is exactly what the generator put in the image for this selection. */
function verify(selection, packages, warnings, expected) {
  const fail = (msg) => {
    throw new Error(`lang bench, analyzers "${selection}": ${msg}`);
  };
  if (warnings.length) fail(`${warnings.length} warnings, first: ${warnings.slice(0, 3).join(" | ")}`);
  const byType = new Map();
  for (const p of packages) byType.set(p.type, [...(byType.get(p.type) ?? []), p]);
  const list = SELECTIONS[selection];
  const has = (names) => list === null || names.every((n) => list.includes(n));
  const want = { deb: expected.dpkg, npm: has(NPM) ? expected.npm.length : 0 };
  want.maven = has(JAVA) ? expected.maven.length : 0;
  const extra = [...byType.keys()].filter((t) => !(t in want));
  if (extra.length) fail(`unexpected package types ${extra.join(", ")}`);
  for (const [type, n] of Object.entries(want)) {
    const got = byType.get(type)?.length ?? 0;
    if (got !== n) fail(`${got} ${type} packages, the image has ${n}`);
  }
  const same = (type, exp) => {
    const got = (byType.get(type) ?? []).map((p) => `${p.name}@${p.version}`).sort();
    const i = got.findIndex((g, k) => g !== exp[k]);
    if (i >= 0) fail(`${type} packages differ from the image's at #${i}: ${got[i]} vs ${exp[i]}`);
  };
  if (has(NPM)) {
    same("npm", expected.npm);
    // lockfile + installed copies merged: every installed manifest is a location of its package
    let installed = 0;
    for (const p of byType.get("npm")) {
      installed += p.locations.filter((l) => l.path.endsWith("/package.json")).length;
      if (!p.locations.some((l) => l.path.endsWith("/package-lock.json")))
        fail(`${p.purl} lacks its package-lock.json location`);
    }
    if (installed !== expected.npmInstalled)
      fail(`${installed} installed npm manifests, the image has ${expected.npmInstalled}`);
  }
  if (has(JAVA)) same("maven", expected.maven);
}

/** Work done in child processes (see lib/child.js). */
export const tasks = {
  /**
   * Generate (or reuse) the image. In a child: generating takes a few hundred MB, and Linux carries a
   * process's peak RSS over fork + exec into every child it starts afterwards, so generating in the
   * runner would put a floor under every measured peak RSS.
   */
  async generate({ dir, spec }) {
    return ensureLangImage(dir, spec);
  },

  /** One walk of the image with the selected analyzers, then the catalog over what it captured. */
  async catalog({ target, selection, expected }) {
    const list = analyzerList(selection);
    const warnings = [];
    const warn = (m) => warnings.push(m);
    const src = await openTarget(await parseTarget(target));
    let packages;
    try {
      const walk = await walkImage(src, { capture: captureFor(list), streams: tapsFor(list), warn });
      packages = sortPackages((await catalogFiles(walk, warn, list)).packages);
    } finally {
      await src.close();
    }
    verify(selection, packages, warnings, expected);
    return { packages: packages.length };
  },
};

const SELF = import.meta.url;

const mb = (b) => (b / 2 ** 20).toFixed(1);
const fmtMs = (v) => (v == null ? "-" : `${Math.round(v)}`);
const fmtMb = (v) => (v == null ? "-" : v.toFixed(0));

/** ctx: { mode, runs, outDir, log, cpuProf }. Returns { rows, markdown }. */
export async function run(ctx) {
  const spec = LANG_PRESETS[ctx.mode];
  ctx.log(`lang image: preparing (${JSON.stringify(spec)})`);
  const { result: img } = await runTaskInChild(
    SELF,
    "generate",
    { dir: join(ctx.outDir, `lang-${ctx.mode}`), spec },
    { timeoutMs: 60 * 60_000 },
  );
  const s = img.stats;
  ctx.log(
    `lang image: ${img.reused ? "reused" : `generated in ${(img.generatedMs / 1000).toFixed(1)} s`}, ` +
      `${s.nodeModulesFiles} node_modules files (${s.npmInstalled} packages), ${mb(s.jarBytes)} MiB jar ` +
      `(${s.jarNested} nested), ${mb(img.tarBytes)} MiB tar, ${mb(img.blobBytes)} MiB gzip`,
  );
  const args = (selection) => ({ target: img.target, selection, expected: img.expected });
  const contender = (selection) => () => runTaskInChild(SELF, "catalog", args(selection));
  const M = await measureInterleaved(
    {
      all: contender("all"),
      os: contender("os"),
      "os+npm": contender("os+npm"),
      "os+java": contender("os+java"),
    },
    ctx.runs,
    ctx.log,
  );

  let profile = [];
  if (ctx.cpuProf) {
    const dir = join(ctx.outDir, "profiles-lang");
    await rm(dir, { recursive: true, force: true });
    await runTaskInChild(SELF, "catalog", args("all"), { execArgv: ["--cpu-prof", "--cpu-prof-dir", dir] });
    ctx.log(`cpu profile of one full catalog run written to ${dir}`);
    const top = await topSelfTime(dir);
    profile = [
      "",
      `Main-thread self time in one profiled full-catalog run (\`--cpu-prof\`, total`,
      `${top.totalMs.toFixed(0)} ms; profile in \`${relative(process.cwd(), dir)}\`):`,
      "",
      mdTable(["function", "self ms", "%"], top.rows),
    ];
  }

  const osDesc = "same walk + catalog with the OS analyzers only (dpkg, apk, rpm)";
  const rows = [
    row("lang.time", M.all.ms, "ms", osDesc, M.os.ms, M.all.runs, M.all.peakRssMB),
    row(
      "lang.cpu",
      M.all.cpuMs,
      "ms",
      "CPU time (user + sys, all threads) of the OS-only catalog",
      M.os.cpuMs,
      M.all.runs,
      M.all.peakRssMB,
    ),
    row(
      "lang.peak-rss",
      M.all.peakRssMB,
      "MB",
      "peak RSS of the OS-only catalog",
      M.os.peakRssMB,
      M.all.runs,
      M.all.peakRssMB,
    ),
    row(
      "lang.time-npm",
      M["os+npm"].ms,
      "ms",
      `${osDesc}; contender: OS + npm analyzers (node_modules, package-lock, yarn, pnpm)`,
      M.os.ms,
      M["os+npm"].runs,
      M["os+npm"].peakRssMB,
    ),
    row(
      "lang.time-java",
      M["os+java"].ms,
      "ms",
      `${osDesc}; contender: OS + java-archive analyzer`,
      M.os.ms,
      M["os+java"].runs,
      M["os+java"].peakRssMB,
    ),
  ];

  const pair = (a, b) => {
    const rs = M[a].samples.map((v, i) => v / M[b].samples[i]);
    return `${rs.map((r) => r.toFixed(2)).join(", ")} (median ${median(rs).toFixed(2)})`;
  };
  const added = (k) => `${fmtMs(M[k].ms - M.os.ms)}`;
  const desc = {
    all: "every analyzer (contender)",
    os: "dpkg, apk, rpm only (baseline)",
    "os+npm": "OS + npm-installed, npm-lock, yarn-lock, pnpm-lock",
    "os+java": "OS + java-archive",
  };
  const k = img.stats.jarKinds;
  const markdown = [
    "### lang (issue: Language ecosystems inside images)",
    "",
    "Goals: `lang.time` ratio ≤ 1.3 (language cataloging adds at most 30 % to the OS-only catalog of the",
    "same image, both one walk over every layer with digest verification); `lang.peak-rss` ≤ 250 MB.",
    "",
    mdTable(
      [
        "layers",
        "tar MiB",
        "gzip MiB",
        "base files",
        "node_modules files",
        "MiB",
        "npm installed",
        "scoped",
        "nested",
      ],
      [
        [
          img.layers.length,
          mb(img.tarBytes),
          mb(img.blobBytes),
          s.baseFiles,
          s.nodeModulesFiles,
          mb(s.nodeModulesBytes),
          s.npmInstalled,
          s.npmScoped,
          s.npmNested,
        ],
      ],
    ),
    "",
    mdTable(
      [
        "fat jar MiB",
        "nested jars",
        "with pom",
        "manifest only",
        "OSGi",
        "shaded",
        "data descriptors",
        "expected",
      ],
      [
        [
          mb(s.jarBytes),
          s.jarNested,
          k.pom,
          k.manifest,
          k.osgi,
          k.shaded,
          k.descriptor,
          `${img.expected.dpkg} deb, ${img.expected.npm.length} npm, ${img.expected.maven.length} maven`,
        ],
      ],
    ),
    "",
    "Each run (fresh process) verifies its packages against the generator's list. Median wall ms, all",
    "samples, median CPU ms (user + sys, all threads), max peak RSS, and the median time added over the",
    "OS-only catalog:",
    "",
    mdTable(
      ["analyzers", "median ms", "samples ms", "CPU ms", "peak RSS MB", "added ms"],
      Object.entries(M).map(([n, r]) => [
        `${n}: ${desc[n]}`,
        fmtMs(r.ms),
        r.samples.join(", "),
        fmtMs(r.cpuMs),
        fmtMb(r.peakRssMB),
        n === "os" ? "-" : added(n),
      ]),
    ),
    "",
    `Per-iteration ratios (interleaved runs): all / os ${pair("all", "os")}; os+npm / os`,
    `${pair("os+npm", "os")}; os+java / os ${pair("os+java", "os")}.`,
    ...profile,
  ].join("\n");
  return { rows, markdown };
}
