import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalQueue, openQueue, PgBossQueue } from "../../src/server/queue/index.js";
import { openStore, type PgStore, SqliteStore } from "../../src/server/store/index.js";
import type { ScanJob } from "../../src/server/store/types.js";
import { importIntoDatabase } from "../../src/vulndb/index.js";
import { postgresSkipReason, type RunningPostgres, startPostgres } from "../helpers/postgres.js";
import { type BuiltImage, buildImage, writeDockerArchive } from "../support/image-builder.js";

/**
 * Scan jobs through both queues. SQLite: the in-process queue (dedupe, retries, a dead owner's job
 * re-queued). PostgreSQL (a real cluster): two `airbag worker` processes (the built CLI) share the
 * pg-boss queue — every job done exactly once, never the same target on two workers at once — and a
 * worker SIGKILLed in the middle of a job (its registry download stalled on purpose) loses nothing:
 * the job expires and the other worker completes it.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const skipPg = postgresSkipReason() ?? (existsSync(CLI) ? undefined : "dist/ missing: run npm run build");
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const STATUS =
  "Package: chromium\nStatus: install ok installed\nArchitecture: amd64\nVersion: 97.0.4692.99-1\n";

let tmp: string;
let vulnDb: string;
let pgServer: RunningPostgres | undefined;

const image = (i: number) =>
  buildImage({
    layers: [
      { "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS },
      { [`app/file-${i}.txt`]: `image ${i}\n` },
    ],
  });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-queue-"));
  vulnDb = join(tmp, "vuln.sqlite");
  await importIntoDatabase(vulnDb, [join(ROOT, "test/fixtures/vulndb/debian/vunnel-debian.json")], {
    warn: () => {},
  });
  if (!skipPg) pgServer = await startPostgres();
});
afterAll(async () => {
  await pgServer?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("LocalQueue (SQLite)", () => {
  it("dedupes live targets, runs each job once across slots, retries failures then gives up", async () => {
    const store = (await openStore(`sqlite:${join(tmp, "local.sqlite")}`)) as SqliteStore;
    const queue = await openQueue(store, undefined, { pollMs: 20, retryDelaySeconds: 0, retryLimit: 1 });
    expect(queue).toBeInstanceOf(LocalQueue);
    const a = await queue.enqueue("t:a", "api");
    expect(await queue.enqueue("t:a", "admission")).toEqual(a);
    for (const t of ["t:b", "t:c", "t:d", "t:bad"]) await queue.enqueue(t, "api");
    const running = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    const stop = new AbortController();
    const work = queue.work(
      "w1",
      async (job: ScanJob) => {
        if (running.has(job.target)) overlap = true;
        running.add(job.target);
        runs.push(job.target);
        await sleep(30);
        running.delete(job.target);
        if (job.target === "t:bad") throw new Error("cannot read t:bad");
        return { digest: `sha256:${job.target}` };
      },
      { concurrency: 3, signal: stop.signal },
    );
    await until(
      "all jobs settled",
      async () =>
        (await store.listJobs({ state: "queued" })).length +
          (await store.listJobs({ state: "running" })).length ===
          0 && runs.length >= 6,
    );
    stop.abort();
    await work;
    expect(overlap).toBe(false);
    expect(runs.filter((t) => t !== "t:bad").sort()).toEqual(["t:a", "t:b", "t:c", "t:d"]);
    expect(runs.filter((t) => t === "t:bad")).toHaveLength(2); // first attempt + retryLimit 1
    expect(await store.getJob(a.id)).toMatchObject({
      state: "done",
      digest: "sha256:t:a",
      attempts: 1,
      worker: "w1",
    });
    const bad = (await store.listJobs({ state: "failed" }))[0];
    expect(bad).toMatchObject({ target: "t:bad", attempts: 2, error: "cannot read t:bad" });
    // a finished target can be queued again (a rescan)
    expect((await queue.enqueue("t:a", "api")).id).not.toBe(a.id);
    await queue.close();
    await store.close();
  });

  it("re-queues a job left running by a dead process, and one whose lease ran out", async () => {
    const file = join(tmp, "crash.sqlite");
    const store = SqliteStore.open(file);
    const q1 = new LocalQueue(store, { pollIntervalMs: 20 });
    const dead = await q1.enqueue("t:dead", "api");
    const hung = await q1.enqueue("t:hung", "api");
    // as a crashed server would leave them: running, owned by a pid that is gone / another host
    store.db
      .prepare("UPDATE jobs SET state = 'running', attempts = 1, owner = ?, lease_until = ? WHERE id = ?")
      .run(`${hostname()}:99999999`, new Date(Date.now() + 3_600_000).toISOString(), dead.id);
    store.db
      .prepare(
        "UPDATE jobs SET state = 'running', attempts = 1, owner = 'elsewhere:1', lease_until = ? WHERE id = ?",
      )
      .run(new Date(Date.now() - 1000).toISOString(), hung.id);
    await store.close();
    const reopened = SqliteStore.open(file);
    const q2 = new LocalQueue(reopened, { pollIntervalMs: 20 });
    expect((await reopened.getJob(dead.id))?.state).toBe("queued"); // recovered on open
    const stop = new AbortController();
    const work = q2.work("w2", async (job) => ({ digest: `sha256:${job.target}` }), { signal: stop.signal });
    await until("both done", async () => (await reopened.listJobs({ state: "done" })).length === 2);
    stop.abort();
    await work;
    expect(await reopened.getJob(dead.id)).toMatchObject({ state: "done", attempts: 2, worker: "w2" });
    expect(await reopened.getJob(hung.id)).toMatchObject({ state: "done", attempts: 2, worker: "w2" });
    await reopened.close();
  });
});

/** A read-only OCI registry on loopback serving built images; a layer GET can be made to hang. */
async function startRegistry(images: Record<string, BuiltImage>) {
  const blobs = new Map<string, Buffer>();
  for (const img of Object.values(images)) {
    blobs.set(img.config.digest, img.config.data);
    for (const l of img.layers) blobs.set(l.digest, l.data);
  }
  const state = { stallLayers: false, stalled: 0, hanging: [] as ServerResponse[] };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url);
    if (url === "/v2/" || url === "/v2") {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } else if (m?.[2] === "manifests" && images[`${m[1]}:${m[3]}`]) {
      const img = images[`${m[1]}:${m[3]}`]!;
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "docker-content-digest": img.manifest.digest,
        "content-length": img.manifest.size,
      });
      res.end(req.method === "HEAD" ? undefined : img.manifest.data);
    } else if (m?.[2] === "blobs" && blobs.has(m[3]!)) {
      const data = blobs.get(m[3]!)!;
      const isLayer = m[3] !== Object.values(images).find((i) => i.config.digest === m[3])?.config.digest;
      if (isLayer && state.stallLayers) {
        state.stalled++;
        state.hanging.push(res); // never answered: the worker hangs mid-job
        return;
      }
      res.writeHead(200, { "content-length": data.length, "docker-content-digest": m[3]! });
      res.end(req.method === "HEAD" ? undefined : data);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    state,
    close: async () => {
      for (const r of state.hanging) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface WorkerProc {
  child: ChildProcess;
  name: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** `airbag worker` from dist/ (through main.js once it registers the command, else a tiny launcher) */
async function startWorker(url: string, name: string, timeoutS: number): Promise<WorkerProc> {
  const main = await readFile(CLI, "utf8");
  let argv: string[];
  if (main.includes("registerWorker")) argv = [CLI];
  else {
    const launcher = join(tmp, "worker-launcher.mjs");
    await writeFile(
      launcher,
      `import { createRequire } from "node:module";
const { Command } = createRequire(${JSON.stringify(join(ROOT, "package.json"))})("commander");
const { registerWorker } = await import(${JSON.stringify(join(ROOT, "dist/cli/worker.js"))});
const { reportError } = await import(${JSON.stringify(join(ROOT, "dist/cli/run.js"))});
const program = new Command("airbag").exitOverride();
registerWorker(program, () => ({}));
await program.parseAsync(process.argv).catch((e) => { process.exitCode = reportError(e, {}); });
`,
    );
    argv = [launcher];
  }
  const args = [
    ...argv,
    "worker",
    "--database",
    url,
    "--db",
    vulnDb,
    "--name",
    name,
    "--job-timeout",
    String(timeoutS),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await until(
    `worker ${name} ready (${err})`,
    () => lines.some((l) => l.event === "ready") || child.exitCode !== null,
  );
  if (child.exitCode !== null) throw new Error(`worker ${name} exited: ${err}`);
  return { child, name, lines, exited };
}

async function stopWorker(w: WorkerProc): Promise<number | null> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
  return w.exited;
}

describe.skipIf(skipPg)("PgBossQueue with two airbag worker processes (PostgreSQL)", () => {
  const TIMEOUT_S = 4;

  it("shares the queue: every job done exactly once, a target never on two workers at once", async () => {
    const url = pgServer!.url;
    const store = (await openStore(url)) as PgStore;
    const queue = await openQueue(store, url, { expireInSeconds: TIMEOUT_S, retryDelaySeconds: 0 });
    expect(queue).toBeInstanceOf(PgBossQueue);
    const targets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const file = join(tmp, `img-${i}.tar`);
      await writeDockerArchive(file, await image(i));
      targets.push(`docker-archive:${file}`);
    }
    const jobs = [];
    for (const t of targets) jobs.push(await queue.enqueue(t, "api"));
    // enqueuing a queued target again returns the same job
    expect((await queue.enqueue(targets[0]!, "admission")).id).toBe(jobs[0]!.id);
    const workers = await Promise.all([startWorker(url, "w1", TIMEOUT_S), startWorker(url, "w2", TIMEOUT_S)]);
    try {
      await until(
        "all jobs done",
        async () => (await store.listJobs({ state: "done" })).length === targets.length,
        45_000,
      );
    } finally {
      expect(await Promise.all(workers.map(stopWorker))).toEqual([0, 0]);
    }
    const events = workers.flatMap((w) =>
      w.lines.filter((l) => l.job).map((l): Record<string, unknown> => ({ ...l, worker: w.name })),
    );
    for (const job of jobs) {
      const mine = events.filter((e) => e.job === job.id);
      expect(
        mine.filter((e) => e.event === "start"),
        job.target,
      ).toHaveLength(1);
      expect(
        mine.filter((e) => e.event === "done"),
        job.target,
      ).toHaveLength(1);
      const stored = await store.getJob(job.id);
      expect(stored).toMatchObject({ state: "done", attempts: 1 });
      expect(stored?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const scan = await store.getScan(stored!.digest!);
      expect(scan?.refs).toEqual([job.target]);
      expect(Object.values(scan?.summary ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
    // both workers took jobs from the one queue
    expect(new Set(events.filter((e) => e.event === "done").map((e) => e.worker)).size).toBe(2);
    const history = await store.pool.query(
      "SELECT digest, count(*)::int AS n FROM scan_history GROUP BY digest",
    );
    expect(history.rows.every((r: { n: number }) => r.n === 1)).toBe(true);
    expect(history.rows).toHaveLength(targets.length);
    await queue.close();
    await store.close();
  }, 90_000);

  it("a worker SIGKILLed mid-job loses nothing: the job expires and completes on the other worker", async () => {
    const url = pgServer!.url;
    const slow = await image(100);
    const registry = await startRegistry({ "slow/app:1": slow });
    const store = (await openStore(url)) as PgStore;
    const queue = await openQueue(store, url, { expireInSeconds: TIMEOUT_S, retryDelaySeconds: 0 });
    const workers = await Promise.all([startWorker(url, "k1", TIMEOUT_S), startWorker(url, "k2", TIMEOUT_S)]);
    try {
      registry.state.stallLayers = true;
      const target = `registry:${registry.address}/slow/app:1`;
      const job = await queue.enqueue(target, "registry-notification");
      await until("a layer download hanging", () => registry.state.stalled > 0);
      const victim = workers.find((w) => w.lines.some((l) => l.event === "start" && l.job === job.id))!;
      const survivor = workers.find((w) => w !== victim)!;
      expect(await store.getJob(job.id)).toMatchObject({
        state: "running",
        worker: victim.name,
        attempts: 1,
      });
      victim.child.kill("SIGKILL");
      await victim.exited;
      registry.state.stallLayers = false;
      const done = await until(
        "the job done elsewhere",
        async () => {
          const j = await store.getJob(job.id);
          return j?.state === "done" ? j : undefined;
        },
        30_000,
      );
      expect(done).toMatchObject({ worker: survivor.name, attempts: 2, digest: slow.manifest.digest });
      expect(survivor.lines.filter((l) => l.event === "done" && l.job === job.id)).toHaveLength(1);
      expect(await store.getScan(slow.manifest.digest)).toMatchObject({ refs: [target] });
    } finally {
      await Promise.all(workers.map(stopWorker));
      await queue.close();
      await store.close();
      await registry.close();
    }
  }, 90_000);
});
