import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mdTable } from "./lib/markdown.js";
import { median, row, runTaskInChild } from "./lib/measure.js";
import { randInt, randomBytesSource, rng, textPool, textSlice, wordList } from "./lib/synthetic-content.js";

/**
 * Issue 5 (secrets): content scanning throughput ≥ 200 MB/s on one core. A generated corpus — source-like
 * text files with the keywords real code has (token, password, URLs, JSON config) and ELF-like binaries
 * (incompressible sections, zero padding, NUL-terminated string tables) — is written once under
 * bench/out/, then each run (a fresh process) reads every file and streams it through the secret
 * scanner in 256 KiB chunks, as the image walker hands them out, timing only the scanner calls.
 * Baseline, measured in the same runs: the obvious JavaScript prefilter (decode each chunk as latin1 and
 * run one case-insensitive alternation regex of all the pack's keywords), which runs no rule at all.
 *
 * `node bench/secrets.bench.js [--quick|--tiny] [--runs N]` prints the figures without the harness.
 */

export const name = "secrets";

const MiB = 2 ** 20;
const CHUNK = 256 * 1024;
const SIZES = { full: 512 * MiB, quick: 128 * MiB, tiny: 8 * MiB };
const TEXT_SHARE = 0.4; // of the bytes; images are mostly binaries (.so, executables, .pyc)

// the library under test: ../dist by default, another build with `bench/run.js --dist DIR`
const dist = process.env.AIRBAG_BENCH_DIST ?? new URL("../dist/index.js", import.meta.url).href;
const secretModule = new URL("./detect/secret/index.js", dist).href;

/** Lines with keywords, as code and config have them (most are not secrets). */
function keywordLine(r, words) {
  const w = () => words[randInt(r, 0, words.length)];
  const lines = [
    `  const token = req.headers["authorization"]?.split(" ")[1];`,
    `    password: process.env.${w().toUpperCase()}_PASSWORD,`,
    `// see https://${w()}.example.org/docs/${w()}#${w()}`,
    `  url = "https://github.com/${w()}/${w()}.git"`,
    `  "secret_ref": "${w()}-${w()}",`,
    `  if (!apiKey) throw new Error("missing api_key for ${w()}");`,
    `  private_key_path = "/etc/${w()}/key.pem"`,
    `  credentials = load_credentials(${w()})`,
  ];
  return lines[randInt(r, 0, lines.length)];
}

/**
 * `size` bytes of source-like text with a keyword line every ~2.5 KB on average: a scan of a real Debian
 * 12 rootfs with Python, Perl, Ruby, Node.js and Go installed (1.5 GB, 56 000 files) ran a rule near a
 * keyword about 150 times per MB overall, so ≈ 400 per MB of text is on the busy side.
 */
function textFile(r, pool, words, size) {
  const parts = [];
  let len = 0;
  while (len < size) {
    const line = `${textSlice(pool, r, randInt(r, 1000, 4000)).toString("latin1")}\n${keywordLine(r, words)}\n`;
    parts.push(line);
    len += line.length;
  }
  return Buffer.from(parts.join(""), "latin1").subarray(0, size);
}

/** ELF-like: header, incompressible code/data, zero padding, NUL-terminated string tables. */
function binaryFile(r, random, words, size) {
  const out = Buffer.alloc(size);
  out.write("\x7fELF\x02\x01\x01\x00", 0, "latin1");
  let at = 64;
  while (at < size) {
    const kind = r();
    const n = Math.min(size - at, randInt(r, 4096, 64 * 1024));
    if (kind < 0.6) random(n).copy(out, at);
    else if (kind < 0.8) {
      const strings = [];
      for (let len = 0; len < n; ) {
        const s =
          r() < 0.02
            ? ["password", "token=%s", "https://%s/", "-----BEGIN %s-----"][randInt(r, 0, 4)]
            : words[randInt(r, 0, words.length)];
        strings.push(s);
        len += s.length + 1;
      }
      out.write(strings.join("\0"), at, n, "latin1");
    } // else: zero padding (Buffer.alloc)
    at += n;
  }
  return out;
}

const CORPUS_VERSION = 1;

/**
 * Writes the deterministic corpus into `dir` file by file (never all in memory) with a manifest; an
 * existing corpus of the same version and size is reused. Returns the manifest.
 */
export async function ensureCorpus(dir, total) {
  const manifestPath = join(dir, "corpus.json");
  const old = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : undefined;
  if (old?.version === CORPUS_VERSION && old.total === total) return { ...old, reused: true };
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const r = rng(42);
  const pool = textPool(7);
  const words = wordList(r, 2000);
  const random = randomBytesSource(5);
  const fakeToken = `ghp_${"x7Kq2Lm9Pz4Rt8Vw1Ys6Nb3Hc5Jd0Fg2Aq8E"}`;
  const files = [];
  let text = 0;
  let bin = 0;
  let planted = 0;
  for (let i = 0; text + bin < total; i++) {
    if (text < total * TEXT_SHARE) {
      const f = textFile(r, pool, words, randInt(r, 512, 64 * 1024));
      // a planted secret every ~500 text files: findings are part of the hot path too
      if (i % 500 === 0) {
        f.write(`\ngithub_token = "${fakeToken}"\n`, Math.max(0, f.length - 80), "latin1");
        planted++;
      }
      files.push([`f${i}.js`, "text", f.length]);
      await writeFile(join(dir, `f${i}.js`), f);
      text += f.length;
    }
    if (bin < total * (1 - TEXT_SHARE)) {
      const f = binaryFile(r, random, words, randInt(r, 16 * 1024, 8 * MiB));
      files.push([`lib${i}.so`, "binary", f.length]);
      await writeFile(join(dir, `lib${i}.so`), f);
      bin += f.length;
    }
  }
  const manifest = { version: CORPUS_VERSION, total, text, bin, planted, files };
  await writeFile(manifestPath, JSON.stringify(manifest));
  return { ...manifest, reused: false };
}

const NAIVE_KEYWORDS = (pack) => [...new Set(pack.rules.flatMap((x) => x.keywords))];

export const tasks = {
  /**
   * Streams every corpus file through one contender in 256 KiB chunks, as the image walker hands them
   * out. Files are read into one reused buffer first (untimed), so the timed part is the scanner alone
   * and no garbage from reading is collected inside it.
   */
  async scan({ dir, contender }) {
    const { createSecretScanner, builtinSecretRules } = await import(secretModule);
    const scanner = createSecretScanner();
    const escaped = NAIVE_KEYWORDS(builtinSecretRules()).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const naive = new RegExp(escaped.join("|"), "gi");
    const manifest = JSON.parse(readFileSync(join(dir, "corpus.json"), "utf8"));
    const buf = Buffer.allocUnsafe(8 * MiB);
    const read = (name, size) => {
      const fd = openSync(join(dir, name), "r");
      try {
        return buf.subarray(0, readSync(fd, buf, 0, size, 0));
      } finally {
        closeSync(fd);
      }
    };
    /** one file through the contender; returns the number of findings (airbag) or keyword matches */
    const scanFile = (path, content) => {
      let found = 0;
      if (contender === "airbag") {
        const c = scanner.consume(path, content.length, 0o644);
        for (let at = 0; at < content.length; at += CHUNK)
          if (!c.write(content.subarray(at, at + CHUNK))) break;
        found += c.end().length;
      } else {
        for (let at = 0; at < content.length; at += CHUNK) {
          const text = content.toString("latin1", at, at + CHUNK);
          naive.lastIndex = 0;
          while (naive.exec(text) !== null) found++;
        }
      }
      return found;
    };
    // warm-up, untimed: a real scan streams a whole image, so the JIT is warm for nearly all of it
    let warmed = 0;
    for (const [name, , size] of manifest.files) {
      if (warmed > 16 * MiB) break;
      warmed += size;
      scanFile(`warm/${name}`, read(name, size));
    }
    // CPU time (user + system, this process) of the scanner calls: "MB/s on one core", unaffected by other
    // processes on a shared machine; wall time is kept for comparison
    const ms = { text: 0, binary: 0 };
    const wallMs = { text: 0, binary: 0 };
    const bytes = { text: 0, binary: 0 };
    let findings = 0;
    for (const [name, kind, size] of manifest.files) {
      const content = read(name, size);
      const started = performance.now();
      const cpu = process.cpuUsage();
      findings += scanFile(`${kind === "text" ? "app/src" : "usr/lib"}/${name}`, content);
      const used = process.cpuUsage(cpu);
      ms[kind] += (used.user + used.system) / 1000;
      wallMs[kind] += performance.now() - started;
      bytes[kind] += content.length;
    }
    return { ms, wallMs, bytes, findings, planted: manifest.planted };
  },
};

const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

async function measure(dir, runs, log) {
  const samples = { airbag: [], naive: [] };
  for (let i = 0; i < runs; i++)
    for (const contender of ["airbag", "naive"]) {
      const r = await runTaskInChild(import.meta.url, "scan", { dir, contender });
      const { ms, wallMs, bytes } = r.result;
      const all = mbps(bytes.text + bytes.binary, ms.text + ms.binary);
      samples[contender].push({
        all,
        wall: mbps(bytes.text + bytes.binary, wallMs.text + wallMs.binary),
        text: mbps(bytes.text, ms.text),
        binary: mbps(bytes.binary, ms.binary),
        ...r,
      });
      log(
        `  ${contender} run ${i + 1}/${runs}: ${all.toFixed(0)} MB/s, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
      );
    }
  const a = samples.airbag.at(-1).result;
  if (a.findings !== a.planted)
    throw new Error(`secret scanner found ${a.findings} secrets in the corpus, ${a.planted} were planted`);
  return samples;
}

export async function run(ctx) {
  const total = SIZES[ctx.mode];
  const dir = join(ctx.outDir, `secrets-corpus-${ctx.mode}`);
  const corpus = await ensureCorpus(dir, total);
  ctx.log(
    `corpus ${dir}: ${corpus.reused ? "reused" : "generated"}, ${corpus.files.length} files, ` +
      `${(total / MiB).toFixed(0)} MiB, ${TEXT_SHARE * 100}% text, streamed in ${CHUNK / 1024} KiB chunks`,
  );
  const s = await measure(dir, ctx.runs, ctx.log);
  const med = (c, k) => median(s[c].map((x) => x[k]));
  const rss = Math.max(...s.airbag.map((x) => x.peakRssMB));
  const base = "naive prefilter: latin1 decode + one /keyword|…/gi regex per chunk (runs no rules)";
  const rows = [
    row("secrets.throughput", med("airbag", "all"), "MB/s", base, med("naive", "all"), ctx.runs, rss),
    row(
      "secrets.throughput-text",
      med("airbag", "text"),
      "MB/s",
      `${base}, text files`,
      med("naive", "text"),
      ctx.runs,
      rss,
    ),
    row(
      "secrets.throughput-binary",
      med("airbag", "binary"),
      "MB/s",
      `${base}, binaries`,
      med("naive", "binary"),
      ctx.runs,
      rss,
    ),
  ];
  const markdown = [
    "### secrets (issue 5: secret scanning)",
    "",
    "Goal: content scanning throughput ≥ 200 MB/s on one core (`secrets.throughput`: CPU time of the",
    `scanner calls only, after a 16 MiB warm-up; median of ${ctx.runs} runs, each in a fresh process;`,
    `wall-clock MB/s alongside). Corpus: ${(total / MiB).toFixed(0)} MiB generated, ${TEXT_SHARE * 100} % source-like text`,
    "(a keyword line every ~2.5 KB), the rest ELF-like binaries; streamed in 256 KiB chunks.",
    "",
    mdTable(
      ["contender", "all MB/s", "wall-clock MB/s", "text MB/s", "binary MB/s", "samples (all, MB/s)"],
      ["airbag", "naive"].map((c) => [
        c,
        med(c, "all").toFixed(0),
        med(c, "wall").toFixed(0),
        med(c, "text").toFixed(0),
        med(c, "binary").toFixed(0),
        s[c].map((x) => x.all.toFixed(0)).join(", "),
      ]),
    ),
  ].join("\n");
  return { rows, markdown };
}

// standalone: node bench/secrets.bench.js [--quick|--tiny] [--runs N]
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const mode = argv.includes("--tiny") ? "tiny" : argv.includes("--quick") ? "quick" : "full";
  const runsAt = argv.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 5;
  const outDir = new URL("./out", import.meta.url).pathname;
  const { rows, markdown } = await run({ mode, runs, outDir, log: (m) => console.log(m) });
  console.log(`\n${markdown}\n`);
  console.table(rows);
}
