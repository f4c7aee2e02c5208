import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mdTable } from "./lib/markdown.js";
import { median, row } from "./lib/measure.js";

/**
 * Issue 9 "admission p99 ≤ 25 ms at 500 req/s with warm verdicts (load from a second process on
 * loopback)". Each run starts a fresh `airbag serve` (buildServer from dist/, SQLite, no workers) in a
 * child process, stores scans for every image the reviews name, warms the verdicts, then a SECOND child
 * process drives an open-loop load at a fixed rate over keep-alive HTTP: requests leave on schedule
 * whether or not earlier ones returned, and latency counts from the scheduled send, so a stall shows
 * up in p99 instead of silently lowering the rate. Baseline: GET /healthz at the same rate against the
 * same server. The reviews are the real AdmissionReview fixtures (Pod, Deployment, CronJob, UPDATE).
 *
 * This file is also the two children: `--serve DIR` and `--load URL PATH RATE SECONDS BODYFILES`.
 */

export const name = "admission";

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(ROOT, "test/fixtures/admission");
const REVIEWS = ["pod-create", "deployment-create", "cronjob-create", "deployment-update"].map((f) =>
  join(FIXTURES, `${f}.json`),
);
const RATE = 500;
const SECONDS = { full: 20, quick: 10, tiny: 3 };
const GOAL_P99_MS = 25;

// ---------------------------------------------------------------------------------------------- server

/** Every image the fixtures name, so each verdict comes from a stored scan (some deny, some allow). */
function fixtureImages() {
  const out = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        if (k === "image" && typeof x === "string") out.add(x);
        else walk(x);
      }
  };
  for (const f of REVIEWS) walk(JSON.parse(readFileSync(f, "utf8")));
  return [...out];
}

async function serve(stateDir) {
  const dist = process.env.AIRBAG_BENCH_DIST
    ? fileURLToPath(process.env.AIRBAG_BENCH_DIST)
    : join(ROOT, "dist/index.js");
  const { buildServer } = await import(pathToFileURL(join(dist, "..", "server", "app.js")).href);
  const server = await buildServer({
    stateDir,
    database: `sqlite:${join(stateDir, "server.sqlite")}`,
    inProcessWorkers: 0,
    dbWatchMs: 0,
    warn: () => {},
  });
  let i = 0;
  for (const image of fixtureImages()) {
    i++;
    const at = image.indexOf("@");
    const digest = at >= 0 ? image.slice(at + 1) : `sha256:${i.toString(16).padStart(64, "0")}`;
    await server.ctx.store.putScan({
      digest,
      refs: [at >= 0 ? image.slice(0, at) : image],
      scannedAt: new Date().toISOString(),
      summary: { critical: i % 3 === 0 ? 1 : 0, high: 2, medium: 5, low: 1, unknown: 0 },
      kinds: { vulnerability: 8 },
    });
  }
  const url = await server.listen("127.0.0.1", 0);
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  process.once("SIGTERM", () => server.close().then(() => process.exit(0)));
}

// ------------------------------------------------------------------------------------------------ load

async function load(url, path, rate, seconds, bodyFiles) {
  const bodies = bodyFiles ? bodyFiles.split(",").map((f) => readFileSync(f)) : [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const { hostname, port } = new URL(url);
  const latencies = [];
  let errors = 0;
  let sent = 0;
  const send = (scheduled) =>
    new Promise((resolve) => {
      const body = bodies.length ? bodies[sent % bodies.length] : undefined;
      const req = request(
        {
          agent,
          host: hostname,
          port,
          path,
          method: body ? "POST" : "GET",
          headers: body ? { "content-type": "application/json", "content-length": body.length } : {},
        },
        (res) => {
          res.on("data", () => {});
          res.on("end", () => {
            if (res.statusCode !== 200) errors++;
            latencies.push(performance.now() - scheduled);
            resolve();
          });
        },
      );
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(body);
      sent++;
    });
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inflight = [];
  // open loop: every tick sends whatever the schedule says is due, each timed from its due time
  await new Promise((done) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + (sent * 1000) / rate <= now)
        inflight.push(send(started + (sent * 1000) / rate));
      if (sent < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(inflight);
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  agent.destroy();
  return { p50: pct(50), p99: pct(99), max: latencies.at(-1), sent, errors, rate: sent / elapsedS };
}

// ------------------------------------------------------------------------------------------- the bench

function child(args, onLine) {
  const c = spawn(process.execPath, [SELF, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let buf = "";
  c.stdout.on("data", (d) => {
    buf += d;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      onLine(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  return c;
}

function runLoad(url, path, seconds, bodies, rate = RATE) {
  return new Promise((resolve, reject) => {
    let result;
    const c = child(["--load", url, path, String(rate), String(seconds), bodies.join(",")], (m) => {
      result = m;
    });
    c.on("exit", (code) => (result ? resolve(result) : reject(new Error(`load child exited with ${code}`))));
  });
}

const peakRssMB = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : null;
};

async function oneRun(seconds, log) {
  const dir = await mkdtemp(join("/tmp", "airbag-admission-bench-"));
  let server;
  try {
    const url = await new Promise((resolve, reject) => {
      server = child(["--serve", dir], (m) => resolve(m.url));
      server.on("exit", (code) => reject(new Error(`server child exited with ${code}`)));
    });
    // warm (untimed): every verdict cached and both paths JIT-compiled before the clock starts
    await runLoad(url, "/admission", 1, REVIEWS, REVIEWS.length * 2);
    await runLoad(url, "/healthz", 1, []);
    await runLoad(url, "/admission", 2, REVIEWS);
    const healthz = await runLoad(url, "/healthz", seconds, []);
    const admission = await runLoad(url, "/admission", seconds, REVIEWS);
    const rss = peakRssMB(server.pid);
    log(
      `  admission p50 ${admission.p50.toFixed(2)} p99 ${admission.p99.toFixed(2)} ms at ${admission.rate.toFixed(0)} req/s (${admission.errors} errors); healthz p99 ${healthz.p99.toFixed(2)} ms`,
    );
    if (admission.errors > 0) throw new Error(`${admission.errors} admission requests failed`);
    return { admission, healthz, rss };
  } finally {
    server?.kill("SIGTERM");
    await new Promise((r) => (server?.exitCode !== null ? r() : server.once("exit", r)));
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(ctx) {
  const seconds = SECONDS[ctx.mode];
  const runs = [];
  for (let i = 0; i < ctx.runs; i++) {
    ctx.log(`run ${i + 1}/${ctx.runs}: ${RATE} req/s for ${seconds} s`);
    runs.push(await oneRun(seconds, ctx.log));
  }
  const m = (f) => median(runs.map(f));
  const rss = Math.max(...runs.map((r) => r.rss ?? 0));
  const rows = [
    row(
      "admission.p99",
      m((r) => r.admission.p99),
      "ms",
      `GET /healthz p99 at ${RATE} req/s`,
      m((r) => r.healthz.p99),
      runs.length,
      rss,
    ),
    row(
      "admission.p50",
      m((r) => r.admission.p50),
      "ms",
      `GET /healthz p50 at ${RATE} req/s`,
      m((r) => r.healthz.p50),
      runs.length,
      rss,
    ),
    row(
      "admission.rate",
      m((r) => r.admission.rate),
      "req/s",
      "target rate",
      RATE,
      runs.length,
      rss,
    ),
  ];
  const p99 = rows[0].value;
  const markdown = [
    "### Admission webhook latency (issue 9)",
    "",
    `Open-loop load at ${RATE} req/s for ${seconds} s from a second process over keep-alive HTTP on 127.0.0.1;`,
    "real AdmissionReview v1 fixtures (Pod, Deployment with initContainers, CronJob, UPDATE) rotating,",
    "every image scanned; verdicts and JIT warmed by an untimed 2 s run first. Latency counts from each",
    "request's scheduled send time (a late load generator counts against the server: conservative).",
    `Goal: p99 ≤ ${GOAL_P99_MS} ms — **${p99 <= GOAL_P99_MS ? "met" : "not met"}** (median p99 ${p99} ms).`,
    "",
    mdTable(
      [
        "run",
        "admission p50 ms",
        "admission p99 ms",
        "admission max ms",
        "achieved req/s",
        "healthz p50 ms",
        "healthz p99 ms",
        "server peak RSS MB",
      ],
      runs.map((r, i) => [
        i + 1,
        r.admission.p50.toFixed(2),
        r.admission.p99.toFixed(2),
        r.admission.max.toFixed(1),
        r.admission.rate.toFixed(0),
        r.healthz.p50.toFixed(2),
        r.healthz.p99.toFixed(2),
        r.rss?.toFixed(0) ?? "?",
      ]),
    ),
  ].join("\n");
  return { rows, markdown };
}

// ------------------------------------------------------------------------------------ child entrypoints

if (process.argv[1] === SELF) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "--serve") await serve(args[0]);
  else if (mode === "--load") {
    const [url, path, rate, seconds, bodies] = args;
    const r = await load(url, path, Number(rate), Number(seconds), bodies);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    console.error("usage: admission.bench.js --serve DIR | --load URL PATH RATE SECONDS BODYFILES");
    process.exit(2);
  }
}
