import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeInspect } from "../../src/bench/inspect-shape.js";
import type { Detection } from "../../src/model/index.js";
import { createCryptominerDetector } from "../../src/runtime/detectors/cryptominer.js";
import { createDriftDetector } from "../../src/runtime/detectors/drift.js";
import { createRiskyContainerDetector } from "../../src/runtime/detectors/risky-container.js";
import { createShellDetector } from "../../src/runtime/detectors/shell.js";
import { parseProcNet } from "../../src/runtime/proc-net.js";
import type {
  ContainerSample,
  ContainerState,
  DetectorContext,
  ProcessInfo,
} from "../../src/runtime/types.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";

/**
 * The runtime detectors on real data: RECIPES.md's simulated miner (a busy-loop script at /tmp/xmrig
 * run with `-o stratum+tcp://127.0.0.1:3333`, and an nc "pool" on the container's own loopback) in a
 * hermetic podman. The test reads the container's /proc/<State.Pid> itself (cmdline, comm, stat,
 * net/tcp) and the engine's /changes, and feeds them to the detectors as the monitor would. Nothing
 * leaves the container's loopback; only the podman service this file starts is touched.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[integration/runtime-detectors-podman] skipped: ${skip}`);

const MINER_CMD = [
  "mkdir -p /tmp",
  `printf '#!/bin/sh\\nwhile :; do :; done\\n' > /tmp/xmrig`,
  "chmod +x /tmp/xmrig",
  "(sleep 600 | nc -l -p 3333 >/dev/null &)",
  "sleep 1",
  "(sleep 600 | nc 127.0.0.1 3333 &)",
  "exec /tmp/xmrig -o stratum+tcp://127.0.0.1:3333",
].join("; ");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICKS = 100; // USER_HZ on Linux

function readProc(pid: number): ProcessInfo {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  return { pid, comm, argv };
}

/** every process in the PID namespace of `initPid`, with parent, terminal and uid from /proc */
function processesInPidNamespaceOf(initPid: number): ProcessInfo[] {
  const ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  const out: ProcessInfo[] = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, "utf8"))?.[1];
      out.push({ ...readProc(Number(name)), ppid: Number(f[1]), tty: Number(f[4]) !== 0, uid: Number(uid) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds (utime + stime) of one process */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** % of one core over `ms` of wall time, as /proc counts it */
async function cpuPercentOf(pid: number, ms: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(ms);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

describe.skipIf(!!skip)("runtime detectors on a real simulated miner (hermetic podman)", () => {
  let podman: PodmanService;
  let tmp: string;
  let miner: ContainerState;
  let idle: ContainerState;
  let t = Date.UTC(2026, 0, 1);
  const ctx: DetectorContext = { now: () => t };

  async function stateOf(name: string): Promise<ContainerState> {
    const r = await podman.api(`/v1.41/containers/${name}/json`);
    expect(r.status).toBe(200);
    const inspect = normalizeInspect(JSON.parse(r.body));
    return {
      ref: { id: inspect.Id!, name, image: inspect.Config?.Image ?? "localhost/bb:1" },
      inspect,
      pid: inspect.State!.Pid!,
    };
  }

  function connections(pid: number) {
    return parseProcNet("tcp", readFileSync(`/proc/${pid}/net/tcp`, "utf8"));
  }

  beforeAll(async () => {
    podman = await startPodman();
    tmp = await mkdtemp(join(tmpdir(), "airbag-detectors-"));
    await importBusyboxImage(podman, tmp, ["sh", "sleep", "nc", "mkdir", "printf", "chmod"]);
    await podman.podman(["run", "-d", "--name", "m1", "localhost/bb:1", "sh", "-c", MINER_CMD]);
    await podman.podman(["run", "-d", "--name", "idle", "--privileged", "localhost/bb:1", "sleep", "600"]);
    miner = await stateOf("m1");
    idle = await stateOf("idle");
    // the nc pair connects a second after start
    for (let i = 0; i < 50 && !connections(miner.pid!).some((c) => c.state === "ESTABLISHED"); i++)
      await sleep(200);
  }, 180_000);

  afterAll(async () => {
    await podman?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it("reads the miner from /proc/<State.Pid>: miner.process, miner.stratum and the pool connection", () => {
    const p = readProc(miner.pid!);
    // the kernel names a #! script's process after the script; argv[0] is the interpreter
    expect(p.comm).toBe("xmrig");
    expect(p.argv).toEqual(["/bin/sh", "/tmp/xmrig", "-o", "stratum+tcp://127.0.0.1:3333"]);
    const conns = connections(miner.pid!);
    const ds = createCryptominerDetector().onSample!(
      miner,
      { at: t, processes: [p], connections: conns },
      ctx,
    );
    const byId = Object.fromEntries(ds.map((d) => [d.id, d])) as Record<string, Detection>;
    expect(Object.keys(byId).sort(), JSON.stringify(conns)).toEqual([
      "miner.pool-port",
      "miner.process",
      "miner.stratum",
    ]);
    expect(byId["miner.process"]).toMatchObject({
      severity: "critical",
      container: { name: "m1", id: miner.ref.id },
      details: { pid: miner.pid, comm: "xmrig" },
    });
    expect(byId["miner.stratum"]!.evidence).toContain("stratum+tcp://127.0.0.1:3333");
    expect(byId["miner.pool-port"]).toMatchObject({
      severity: "critical",
      details: { remote: "127.0.0.1:3333", namedInArgv: true },
    });
    expect(byId["miner.stratum"]!.details!.confidence).toBeGreaterThan(0.99);
  });

  it("the busy loop's real CPU is sustained over the window; an idle sleep is not, and is no miner", async () => {
    const d = createCryptominerDetector({ cpu: { windowMs: 2000, fraction: 0.5 } });
    const raised: Detection[] = [];
    const idleRaised: Detection[] = [];
    for (let i = 0; i < 3; i++) {
      const [busy, still] = await Promise.all([
        cpuPercentOf(miner.pid!, 1000),
        cpuPercentOf(idle.pid!, 1000),
      ]);
      t += 1000;
      const s = (pct: number, pid: number): ContainerSample => ({
        at: t,
        cpuPercent: pct,
        processes: [readProc(pid)],
      });
      raised.push(...d.onSample!(miner, { ...s(busy, miner.pid!), processes: [] }, ctx));
      idleRaised.push(...d.onSample!(idle, s(still, idle.pid!), ctx));
    }
    expect(raised.map((x) => x.id)).toEqual(["miner.cpu"]);
    expect(raised[0]!.details!.cpuPercent).toBeGreaterThan(50);
    expect(idleRaised).toEqual([]);
  }, 30_000);

  it("the script dropped into /tmp is drift: real /changes lists it as added", async () => {
    const r = await podman.api(`/v1.41/containers/m1/changes`);
    expect(r.status).toBe(200);
    const changes = (JSON.parse(r.body) as { Path: string; Kind: 0 | 1 | 2 }[]).map((c) => ({
      path: c.Path,
      kind: c.Kind,
    }));
    expect(changes).toContainEqual({ path: "/tmp/xmrig", kind: 1 });
    const ds = createDriftDetector().onSample!(
      miner,
      { at: t, processes: [readProc(miner.pid!)], changes },
      ctx,
    );
    expect(ds.map((d) => [d.id, d.details?.path, d.details?.reasons])).toEqual([
      ["drift.exec", "/tmp/xmrig", ["added", "scratch-dir"]],
    ]);
  });

  it("the privileged container is a risky start (real inspect); the miner's plain one is not", async () => {
    const d = createRiskyContainerDetector();
    expect((await d.onContainer!(idle, ctx)).map((x) => x.id)).toEqual(["CIS-5.5", "CIS-5.22"]);
    expect(await d.onContainer!(miner, ctx)).toEqual([]);
  });

  it("`podman exec -dt … sh` is a terminal shell whose parent is the runtime: shell.interactive", async () => {
    await podman.podman(["exec", "-d", "-t", "idle", "sh"]);
    let procs: ProcessInfo[] = [];
    for (let i = 0; i < 50 && !procs.some((p) => p.comm === "sh"); i++) {
      await sleep(100);
      procs = processesInPidNamespaceOf(idle.pid!);
    }
    const d = createShellDetector();
    const ds = d.onSample!(idle, { at: t, processes: procs }, ctx);
    expect(
      ds.map((x) => [x.id, x.severity, x.details?.comm]),
      JSON.stringify(procs),
    ).toEqual([["shell.interactive", "high", "sh"]]);
    // the container's own init (sleep, no terminal) and the miner's sh-less tree raise nothing
    expect(d.onSample!(miner, { at: t, processes: processesInPidNamespaceOf(miner.pid!) }, ctx)).toEqual([]);
  }, 30_000);
});
