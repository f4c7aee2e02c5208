import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineClient, inspectContainer, parseEngineUrl, readAll } from "../../src/engine/index.js";
import { type EventStreamState, followEvents } from "../../src/runtime/events.js";
import { ContainerInventory, containerStateFrom } from "../../src/runtime/inventory.js";
import {
  containerConnections,
  containerProcesses,
  processesOfContainers,
  readContainerActivity,
} from "../../src/runtime/procfs.js";
import { cpuPercent, memoryBytes, readStats } from "../../src/runtime/stats.js";
import type { EngineEvent } from "../../src/runtime/types.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";
import { type RestartedService, restartPodmanService } from "../support/podman-restart.js";

/**
 * The monitor's inputs against a hermetic podman system service (RECIPES.md) with real busybox
 * containers: the event stream (normalised, and across a restart of the service), stats of a busy-loop
 * and an idle container, processes and a loopback connection read from the host's /proc, and the
 * inventory following start/pause/stop. Network traffic stays on the container's own loopback.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[integration/runtime-podman] skipped: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** user + system CPU seconds of a host process (/proc/<pid>/stat fields 14 and 15) */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** followEvents into an array until stopped */
function recorder(client: EngineClient, filters?: Record<string, string[]>) {
  const events: EngineEvent[] = [];
  const states: EventStreamState[] = [];
  const ac = new AbortController();
  const done = followEvents(client, {
    signal: ac.signal,
    initialDelayMs: 100,
    maxDelayMs: 1000,
    ...(filters ? { filters } : {}),
    onEvent: (e) => {
      events.push(e);
    },
    onState: (s) => states.push(s),
  });
  const find = (action: string, name: string) =>
    events.find((e) => e.action === action && e.attributes.name === name);
  const stop = () => {
    ac.abort();
    return done;
  };
  return { events, states, find, stop };
}

describe.skipIf(!!skip)("runtime inputs against real podman", () => {
  let podman: PodmanService;
  let client: EngineClient;
  let tmp: string;
  let restarted: RestartedService | undefined;
  const run = async (name: string, args: string[], flags: string[] = ["-d"]) =>
    (await podman.podman(["run", ...flags, "--name", name, "localhost/bb:1", ...args])).stdout.trim();

  beforeAll(async () => {
    podman = await startPodman();
    tmp = await mkdtemp(join(tmpdir(), "airbag-runtime-"));
    await importBusyboxImage(podman, tmp, ["sh", "sleep", "nc", "cat", "true"]);
    client = await EngineClient.connect(parseEngineUrl(`unix://${podman.socket}`, "test"));
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await restarted?.stop();
    await podman?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it("delivers start, exec and die events normalised to Docker's names", async () => {
    const rec = recorder(client, { type: ["container"] });
    await until("stream connected", () => rec.states.some((s) => s.state === "connected"));
    const id = await run("ev1", ["sleep", "600"]);
    await podman.podman(["exec", "ev1", "true"]);
    await run("ev2", ["sh", "-c", "exit 3"], []).catch(() => "");
    await until("die of ev2", () => rec.find("die", "ev2"));
    await rec.stop();
    expect(rec.find("start", "ev1")).toMatchObject({
      type: "container",
      id,
      attributes: { image: "localhost/bb:1" },
    });
    expect(rec.events.some((e) => e.action === "exec_start" && e.id === id)).toBe(true);
    expect(rec.events.some((e) => e.action === "exec_die" && e.id === id)).toBe(true);
    const die = rec.find("die", "ev2");
    expect(die?.attributes.exitCode).toBe("3");
    expect(die?.timeNano).toBeGreaterThan(die ? die.time * 1e9 - 1 : 0);
    expect(rec.events.every((e) => e.attributes.containerExitCode === undefined)).toBe(true);
  }, 60_000);

  it("measures ~100 % of a core for a busy loop (as /proc counts it) and ~0 for sleep", async () => {
    const busyId = await run("busy", ["sh", "-c", "while :; do :; done"]);
    await run("idle", ["sleep", "600"]);
    const busyPid = containerStateFrom(await inspectContainer(client, busyId))?.pid as number;
    await sleep(500);
    // oracle: the loop's own CPU time from /proc over the same interval (the cores are shared with other
    // test runs, so the loop gets what the scheduler gives it, not always a full core)
    const t1 = process.hrtime.bigint();
    const c1 = cpuSeconds(busyPid);
    const [b1, i1] = [await readStats(client, "busy"), await readStats(client, "idle")];
    await sleep(2000);
    const t2 = process.hrtime.bigint();
    const c2 = cpuSeconds(busyPid);
    const [b2, i2] = [await readStats(client, "busy"), await readStats(client, "idle")];
    expect(b1 && b2 && i1 && i2).toBeTruthy();
    // a one-shot answer alone gives no CPU figure (podman leaves precpu empty)
    expect(cpuPercent(undefined, b2 as NonNullable<typeof b2>)).toBeUndefined();
    const busy = cpuPercent(b1, b2 as NonNullable<typeof b2>) as number;
    const idle = cpuPercent(i1, i2 as NonNullable<typeof i2>) as number;
    const expected = ((c2 - c1) / Number(t2 - t1)) * 1e9 * 100;
    const d = (k: (s: typeof b1) => number | undefined) => (k(b2) ?? 0) - (k(b1) ?? 0);
    console.info(
      `[runtime-podman] busy loop ${busy.toFixed(1)} % (/proc: ${expected.toFixed(1)} %), sleep ${idle.toFixed(2)} %; ` +
        `Δtotal ${d((s) => s?.cpu_stats?.cpu_usage?.total_usage) / 1e6} ms, Δsystem ${d((s) => s?.cpu_stats?.system_cpu_usage) / 1e6} ms, ` +
        `Δread ${Date.parse(b2?.read ?? "") - Date.parse(b1?.read ?? "")} ms, online ${b2?.cpu_stats?.online_cpus}`,
    );
    expect(Math.abs(busy - expected)).toBeLessThan(15);
    expect(busy).toBeGreaterThan(25);
    expect(busy).toBeLessThan(110); // one thread never counts as more than one core
    expect(idle).toBeLessThan(3);
    expect(memoryBytes(b2 as NonNullable<typeof b2>)).toBeGreaterThan(0);
    expect(await readStats(client, "no-such-container")).toBeUndefined();
    await podman.podman(["rm", "-f", "-t", "0", "busy"]);
  }, 60_000);

  it("reads the container's processes and a loopback connection made inside it from /proc", async () => {
    const id = await run("net1", [
      "sh",
      "-c",
      "sleep 600 | nc -l -p 3333 & sleep 1; sleep 600 | nc 127.0.0.1 3333",
    ]);
    const state = containerStateFrom(await inspectContainer(client, id));
    const pid = state?.pid as number;
    expect(pid).toBeGreaterThan(0);
    const conns = await until("the loopback connection", async () => {
      const c = await containerConnections(pid);
      return c?.some((x) => x.state === "ESTABLISHED" && x.remote.port === 3333) ? c : undefined;
    });
    expect(conns).toContainEqual({
      proto: "tcp",
      local: { ip: "127.0.0.1", port: expect.any(Number) },
      remote: { ip: "127.0.0.1", port: 3333 },
      state: "ESTABLISHED",
    });
    // the listener accepted over IPv6 (busybox nc listens on ::): the same connection seen from its end
    expect(conns?.some((c) => c.local.port === 3333 && c.state === "ESTABLISHED")).toBe(true);

    const ps = await containerProcesses(pid, { containerId: id });
    const argvs = ps?.map((p) => p.argv.join(" "));
    expect(argvs).toEqual(expect.arrayContaining(["nc -l -p 3333", "nc 127.0.0.1 3333", "sleep 600"]));
    expect(ps?.find((p) => p.pid === pid)).toMatchObject({
      comm: "sh",
      exe: "/bin/busybox",
      uid: 0,
      tty: false,
    });
    expect(ps?.every((p) => p.exe === "/bin/busybox")).toBe(true);
    expect(ps?.some((p) => p.pid === process.pid)).toBe(false);
    // another container's processes stay out
    const idle = containerStateFrom(await inspectContainer(client, "idle"));
    expect(ps?.some((p) => p.pid === idle?.pid)).toBe(false);

    // figure: one /proc pass for this container (the monitor samples every container this way)
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 50; i++) await processesOfContainers([{ initPid: pid, containerId: id }]);
    const cpu = process.cpuUsage(cpu0);
    console.info(
      `[runtime-podman] /proc pass: ${(Number(process.hrtime.bigint() - t0) / 50 / 1e6).toFixed(2)} ms wall, ${((cpu.user + cpu.system) / 50 / 1000).toFixed(2)} ms CPU, ${readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length} host PIDs, ${ps?.length} in the container`,
    );

    const activity = await readContainerActivity(client, state as NonNullable<typeof state>);
    expect(activity.source).toBe("proc");
    expect(activity.processes?.length).toBe(ps?.length);
    // without a host PID the engine's /top is asked: podman runs ps inside, and this image has none
    const { pid: _, ...noPid } = state as NonNullable<typeof state>;
    expect(await readContainerActivity(client, noPid)).toEqual({ source: "none" });
  }, 60_000);

  it("keeps the inventory of running containers through start, pause and stop", async () => {
    await run("inv0", ["sleep", "600"]);
    await run("inv-exited", ["true"], []);
    const inventory = new ContainerInventory(client);
    await inventory.refresh();
    expect(inventory.get("inv0")?.ref).toMatchObject({ name: "inv0", image: "localhost/bb:1" });
    expect(inventory.get("inv-exited")).toBeUndefined();
    const ac = new AbortController();
    const following = followEvents(client, {
      signal: ac.signal,
      onEvent: async (e) => {
        await inventory.apply(e);
      },
    });
    await sleep(300);
    const id = await run("inv1", ["sleep", "600"], ["-d", "--cpus", "0.5", "--label", "team=payments"]);
    const added = await until("inv1 in the inventory", () => inventory.get(id));
    expect(added.ref).toMatchObject({
      id,
      name: "inv1",
      image: "localhost/bb:1",
      labels: { team: "payments" },
    });
    expect(added.cpuLimitCores).toBeCloseTo(0.5);
    expect(added.pid).toBeGreaterThan(0);
    await podman.podman(["pause", "inv1"]);
    await until("paused state", () => inventory.get(id)?.inspect.State?.Paused === true || undefined);
    await podman.podman(["unpause", "inv1"]);
    await until("unpaused state", () => inventory.get(id)?.inspect.State?.Paused === false || undefined);
    // what the isolate intervention does: the network event makes the inventory inspect again
    expect(Object.keys(inventory.get(id)?.inspect.NetworkSettings?.Networks ?? {})).toEqual(["podman"]);
    // podman answers a plain "OK", Docker an empty body
    const res = await client.request("POST", "/networks/podman/disconnect", { body: { Container: id } });
    await readAll(res);
    expect(res.statusCode).toBe(200);
    await until(
      "no networks",
      () =>
        Object.keys(inventory.get(id)?.inspect.NetworkSettings?.Networks ?? { x: 1 }).length === 0 ||
        undefined,
    );
    await podman.podman(["stop", "-t", "0", "inv1"]);
    await until("inv1 removed", () => (inventory.get(id) ? undefined : true));
    expect(inventory.list().map((c) => c.ref.name)).toContain("inv0");
    ac.abort();
    await following;
  }, 60_000);

  it("survives an engine restart: a container started while the API was down is delivered once", async () => {
    const rec = recorder(client, { type: ["container"] });
    await until("stream connected", () => rec.states.some((s) => s.state === "connected"));
    await run("before", ["sleep", "600"]);
    await until("start of before", () => rec.find("start", "before"));
    restarted = await restartPodmanService(podman, async () => {
      await until("disconnected", () => rec.states.some((s) => s.state === "disconnected"));
      await run("during", ["sleep", "600"]);
    });
    const during = await until("start of during", () => rec.find("start", "during"), 30_000);
    await run("after", ["sleep", "600"]);
    await until("start of after", () => rec.find("start", "after"));
    await rec.stop();
    const seq = rec.states.map((s) => s.state);
    const down = seq.indexOf("disconnected");
    expect(down).toBeGreaterThan(0);
    expect(seq.slice(down)).toContain("connected");
    expect(rec.events.indexOf(during)).toBeGreaterThan(
      rec.events.indexOf(rec.find("start", "before") as EngineEvent),
    );
    // the resumed stream replays the seconds before the last event: none of it is delivered twice
    const keys = rec.events.map((e) => `${e.timeNano}|${e.id}|${e.action}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const name of ["before", "during", "after"])
      expect(rec.events.filter((e) => e.action === "start" && e.attributes.name === name)).toHaveLength(1);
  }, 120_000);
});
