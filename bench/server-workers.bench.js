import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { mdTable } from "./lib/markdown.js";
import { median, row } from "./lib/measure.js";
import { ensureImage, PRESETS } from "./lib/synthetic-image.js";

/**
 * Issue "Server, dashboard, admission control and fleet scale": scan throughput scales ~linearly from
 * 1 to 2 workers on this machine's 2 cores. A throwaway PostgreSQL 15 cluster (started and stopped
 * here by PID) holds the store and the pg-boss queue; each run gets a fresh database, starts W real
 * `airbag worker` processes, enqueues N jobs (the synthetic image of catalog.bench.js under N distinct
 * target names, so each is a full scan) and times enqueue → last job done. Value: jobs/min with 2
 * workers; baseline: the same with 1 worker, measured interleaved in the same run.
 */

export const name = "server-workers";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIB = process.env.AIRBAG_BENCH_DIST ?? new URL("../dist/index.js", import.meta.url).href;
const DIST = fileURLToPath(new URL(".", LIB));
const { openStore } = await import(new URL("./server/store/index.js", LIB).href);
const { openQueue } = await import(new URL("./server/queue/index.js", LIB).href);
const { importIntoDatabase } = await import(LIB);

const PG_BIN = process.env.AIRBAG_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const SIZES = {
  full: { image: "quick-half", jobs: 16 },
  quick: { image: "tiny", jobs: 12 },
  tiny: { image: "tiny-half", jobs: 4 },
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** postgres refuses to run as root: then spawn it as the `postgres` user (the PID stays the postmaster's) */
function postgresIds() {
  if (process.getuid?.() !== 0) return {};
  const id = (f) => Number(execFileSync("id", [f, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** in the system temp dir: the bench's own out dir may sit under a 0700 root-owned dir postgres cannot enter */
async function startPostgres() {
  const dir = await mkdtemp(join(tmpdir(), "airbag-bench-pg-"));
  const ids = postgresIds();
  if (ids.uid !== undefined) await chown(dir, ids.uid, ids.gid);
  const data = join(dir, "data");
  execFileSync(join(PG_BIN, "initdb"), ["-D", data, "-A", "trust", "-U", "airbag", "--no-sync"], {
    stdio: "ignore",
    cwd: dir,
    ...ids,
  });
  const port = await freePort();
  const args = [
    "-D",
    data,
    "-k",
    dir,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
  ];
  const child = spawn(join(PG_BIN, "postgres"), args, { stdio: "ignore", cwd: dir, ...ids });
  for (let i = 0; ; i++) {
    try {
      execFileSync(join(PG_BIN, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
      break;
    } catch {
      if (i > 150) throw new Error("postgres did not start");
      await sleep(100);
    }
  }
  return {
    url: (db) => `postgres://airbag@127.0.0.1:${port}/${db}`,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT"); // fast shutdown
        if ((await Promise.race([gone.then(() => true), sleep(15_000).then(() => false)])) === false)
          child.kill("SIGKILL");
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `airbag worker` argv: main.js once it registers the command, else a launcher importing dist/cli/worker.js */
async function workerArgv(work) {
  const main = join(DIST, "cli/main.js");
  if (readFileSync(main, "utf8").includes("registerWorker")) return [main];
  const launcher = join(work, "worker-launcher.mjs");
  await writeFile(
    launcher,
    `import { createRequire } from "node:module";
const { Command } = createRequire(${JSON.stringify(join(ROOT, "package.json"))})("commander");
const { registerWorker } = await import(${JSON.stringify(join(DIST, "cli/worker.js"))});
const { reportError } = await import(${JSON.stringify(join(DIST, "cli/run.js"))});
const program = new Command("airbag").exitOverride();
registerWorker(program, () => ({}));
await program.parseAsync(process.argv).catch((e) => { process.exitCode = reportError(e, {}); });
`,
  );
  return [launcher];
}

function startWorker(argv, url, vulnDb, name) {
  const child = spawn(
    process.execPath,
    [...argv, "worker", "--database", url, "--db", vulnDb, "--name", name],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const exited = new Promise((r) => child.once("exit", r));
  return {
    child,
    exited,
    ready: async () => {
      for (let i = 0; !out.includes('"event":"ready"'); i++) {
        if (child.exitCode !== null || i > 600) throw new Error(`worker ${name} did not start`);
        await sleep(50);
      }
    },
    /** user + system CPU seconds so far (clock ticks are 100 Hz on Linux) */
    cpuS: () => {
      const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(f[11]) + Number(f[12])) / 100;
    },
    peakRssMB: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : null;
    },
  };
}

/** one measured run: fresh database, W workers, N jobs; resolves { ms, peakRssMB } */
async function runOnce(pgs, argv, vulnDb, targets, workers, label) {
  const db = `bench_${label}`;
  const admin = new pg.Client({ connectionString: pgs.url("postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db}`);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = pgs.url(db);
  const store = await openStore(url);
  const queue = await openQueue(store, url, {});
  const procs = Array.from({ length: workers }, (_, i) => startWorker(argv, url, vulnDb, `w${i + 1}`));
  try {
    await Promise.all(procs.map((p) => p.ready()));
    const cpuBefore = procs.reduce((a, p) => a + p.cpuS(), 0);
    const started = performance.now();
    for (const t of targets) await queue.enqueue(t, "bench");
    for (;;) {
      const { rows } = await store.pool.query("SELECT state, count(*)::int AS n FROM jobs GROUP BY state");
      const n = Object.fromEntries(rows.map((r) => [r.state, r.n]));
      if (n.failed) throw new Error(`${n.failed} scan job(s) failed`);
      if ((n.done ?? 0) === targets.length) break;
      await sleep(50);
    }
    const ms = performance.now() - started;
    const cores = (procs.reduce((a, p) => a + p.cpuS(), 0) - cpuBefore) / (ms / 1000);
    const peakRssMB = Math.max(...procs.map((p) => p.peakRssMB() ?? 0));
    return { ms, cores, peakRssMB };
  } finally {
    for (const p of procs) p.child.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
    await queue.close();
    await store.close();
  }
}

export async function run(ctx) {
  const size = SIZES[ctx.mode];
  const work = join(ctx.outDir, "server-workers");
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  if (!existsSync(join(PG_BIN, "postgres")))
    throw new Error(`${PG_BIN}/postgres missing (apt-get install postgresql)`);
  ctx.log(`image ${size.image}: preparing`);
  const img = await ensureImage(join(ctx.outDir, size.image), PRESETS[size.image]);
  const dir = img.target.slice("oci:".length);
  const targets = [];
  for (let i = 0; i < size.jobs; i++) {
    const link = join(work, `image-${i}`);
    await symlink(dir, link);
    targets.push(`oci:${link}`);
  }
  const vulnDb = join(work, "vuln.sqlite");
  await importIntoDatabase(vulnDb, [join(ROOT, "test/fixtures/vulndb/debian/vunnel-debian.json")], {
    warn: () => {},
  });
  const argv = await workerArgv(work);
  const pgServer = await startPostgres();
  const samples = { 1: [], 2: [] };
  const cores = { 1: [], 2: [] };
  let peak = 0;
  try {
    for (let r = 0; r < ctx.runs; r++) {
      for (const w of [1, 2]) {
        const s = await runOnce(pgServer, argv, vulnDb, targets, w, `r${r}w${w}`);
        samples[w].push(s.ms);
        cores[w].push(s.cores);
        peak = Math.max(peak, s.peakRssMB);
        ctx.log(
          `  ${w} worker(s) run ${r + 1}/${ctx.runs}: ${size.jobs} jobs in ${s.ms.toFixed(0)} ms, workers used ${s.cores.toFixed(2)} cores`,
        );
      }
    }
  } finally {
    await pgServer.stop();
    await rm(work, { recursive: true, force: true });
  }
  const perMin = (ms) => (size.jobs / ms) * 60_000;
  const one = perMin(median(samples[1]));
  const two = perMin(median(samples[2]));
  const rows = [row("server-workers.throughput-2-workers", two, "jobs/min", "1 worker", one, ctx.runs, peak)];
  const markdown = [
    `### server-workers — scan jobs through pg-boss on PostgreSQL 15, ${size.jobs} jobs of image \`${size.image}\``,
    "",
    mdTable(
      ["workers", "median ms", "jobs/min", "cores used (median)", "samples (ms)"],
      [1, 2].map((w) => [
        w,
        Math.round(median(samples[w])),
        perMin(median(samples[w])).toFixed(1),
        median(cores[w]).toFixed(2),
        samples[w].map(Math.round).join(", "),
      ]),
    ),
    "",
    `Speed-up 1 → 2 workers: ${(two / one).toFixed(2)}× (ideal 2× on 2 cores). Each worker is a separate \`airbag worker\``,
    "process; timing runs from the first enqueue to the last job recorded done; worker peak RSS (VmHWM) is the max over runs.",
  ].join("\n");
  return { rows, markdown };
}
