import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectContainer } from "../../src/engine/api.js";
import { EngineClient } from "../../src/engine/client.js";
import { parseEngineUrl } from "../../src/engine/endpoint.js";
import type { ContainerInspect } from "../../src/engine/types.js";
import { intervene, release } from "../../src/policy/interventions.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";

/**
 * Interventions against a hermetic podman system service (Docker-compatible API) with real busybox
 * containers: each action is checked here by our own inspect, independently of the verification the
 * code does, and isolation also by the container's network namespace as the kernel shows it
 * (/proc/<pid>/net/dev). Only the podman service this file starts is touched.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[integration/interventions-podman] skipped: ${skip}`);

/** interfaces in a process's network namespace, as the kernel lists them */
function interfaces(pid: number): string[] {
  return readFileSync(`/proc/${pid}/net/dev`, "utf8")
    .split("\n")
    .slice(2)
    .map((l) => l.split(":")[0]?.trim() ?? "")
    .filter(Boolean)
    .sort();
}

describe.skipIf(!!skip)("interventions against real podman containers", () => {
  let podman: PodmanService;
  let client: EngineClient;
  let tmp: string;
  let stateDir: string;

  const inspect = async (name: string) => (await inspectContainer(client, name)) as ContainerInspect;
  const run = async (name: string, flags: string[] = [], cmd = ["sleep", "600"]) =>
    (await podman.podman(["run", "-d", "--name", name, ...flags, "localhost/bb:1", ...cmd])).stdout.trim();
  const opts = () => ({ stateDir, verifyTimeoutMs: 3000 });

  beforeAll(async () => {
    podman = await startPodman();
    client = await EngineClient.connect(parseEngineUrl(`unix://${podman.socket}`, "test"));
    tmp = await mkdtemp(join(tmpdir(), "airbag-interventions-"));
    stateDir = join(tmp, "state");
    await importBusyboxImage(podman, tmp, ["sh", "sleep", "nc", "mkdir", "chmod", "printf"]);
  }, 240_000);

  afterAll(async () => {
    client?.close();
    await podman?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it("isolate: no networks left, still running, recorded; idempotent; release reconnects", async () => {
    // the simulated miner's shape (RECIPES.md), sleeping instead of burning a core
    const id = await run(
      "miner",
      [],
      [
        "sh",
        "-c",
        'mkdir -p /tmp; printf "#!/bin/sh\\nexec sleep 600\\n" > /tmp/xmrig; chmod +x /tmp/xmrig; exec /tmp/xmrig -o stratum+tcp://127.0.0.1:3333',
      ],
    );
    const before = await inspect("miner");
    expect(Object.keys(before.NetworkSettings?.Networks ?? {})).toEqual(["podman"]);
    const pid = before.State?.Pid as number;
    expect(interfaces(pid)).toEqual(["eth0", "lo"]);

    const t0 = performance.now();
    const out = await intervene(client, "miner", { type: "isolate" }, opts());
    console.log(`[interventions] isolate incl. verification: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(out).toMatchObject({ type: "isolate", status: "done" });
    expect(out.detail).toMatch(
      /disconnected from podman \(10\.\d+\.\d+\.\d+\); still running; record .*isolated/,
    );
    const after = await inspect("miner");
    expect(after.NetworkSettings?.Networks ?? {}).toEqual({});
    expect(after.State).toMatchObject({ Running: true, Paused: false, Pid: pid });
    expect(interfaces(pid)).toEqual(["lo"]); // the kernel agrees: only loopback left

    const record = JSON.parse(await readFile(join(stateDir, "isolated", `${id}.json`), "utf8"));
    expect(record.networks).toMatchObject([{ name: "podman", ipAddress: expect.any(String) }]);
    const labels = JSON.parse(await readFile(join(stateDir, "labels", `${id}.json`), "utf8"));
    expect(labels.labels).toEqual({ "airbag.quarantined": "true" });

    const again = await intervene(client, id, { type: "isolate" }, opts());
    expect(again).toMatchObject({ status: "done", detail: expect.stringMatching(/^already isolated/) });
    expect(
      JSON.parse(await readFile(join(stateDir, "isolated", `${id}.json`), "utf8")).networks,
    ).toHaveLength(1);

    const paused = await intervene(client, id, { type: "pause" }, opts());
    expect(paused.status).toBe("done");
    const rel = await release(client, "miner", opts());
    expect(rel).toEqual({ type: "release", status: "done", detail: "unpaused; reconnected to podman" });
    const back = await inspect("miner");
    expect(Object.keys(back.NetworkSettings?.Networks ?? {})).toEqual(["podman"]);
    expect(back.State).toMatchObject({ Running: true, Paused: false });
    expect(interfaces(pid)).toEqual(["eth0", "lo"]);
    expect(existsSync(join(stateDir, "isolated", `${id}.json`))).toBe(false);
    expect(existsSync(join(stateDir, "labels", `${id}.json`))).toBe(false);
  });

  it("pause: State.Paused, idempotent; unpause", async () => {
    await run("p1");
    expect(await intervene(client, "p1", { type: "pause" }, opts())).toMatchObject({ status: "done" });
    expect((await inspect("p1")).State?.Paused).toBe(true);
    expect(await intervene(client, "p1", { type: "pause" }, opts())).toMatchObject({
      status: "done",
      detail: "already paused",
    });
    expect(await intervene(client, "p1", { type: "unpause" }, opts())).toMatchObject({ status: "done" });
    expect((await inspect("p1")).State).toMatchObject({ Paused: false, Running: true });
  });

  it("stop (with the policy engine's params shape): not running; a paused one too; idempotent", async () => {
    await run("s1");
    await intervene(client, "s1", { type: "pause" }, opts());
    const out = await intervene(client, "s1", { type: "stop", params: { timeoutSeconds: 1 } }, opts());
    expect(out).toMatchObject({ type: "stop", status: "done", detail: expect.stringMatching(/timeout 1s/) });
    expect((await inspect("s1")).State?.Running).toBe(false);
    expect(await intervene(client, "s1", { type: "stop" }, opts())).toMatchObject({
      status: "done",
      detail: expect.stringMatching(/^already stopped/),
    });
  });

  it("kill: SIGKILL ends it; a signal the process survives is a failed verification", async () => {
    await run("k1");
    // sleep as PID 1 has no SIGTERM handler, so the kernel drops the signal: the container lives on
    const term = await intervene(
      client,
      "k1",
      { type: "kill", signal: "SIGTERM" },
      { ...opts(), verifyTimeoutMs: 800 },
    );
    expect(term).toMatchObject({
      status: "failed",
      detail: "SIGTERM delivered but the container is still running",
    });
    expect((await inspect("k1")).State?.Running).toBe(true);
    expect(await intervene(client, "k1", { type: "kill" }, opts())).toMatchObject({ status: "done" });
    expect((await inspect("k1")).State?.Running).toBe(false);
    expect(await intervene(client, "k1", { type: "kill" }, opts())).toMatchObject({
      status: "done",
      detail: expect.stringMatching(/^already not running/),
    });
  });

  it("failures say why: container gone, nothing to pause, host network cannot be isolated", async () => {
    expect(await intervene(client, "no-such-container", { type: "isolate" }, opts())).toEqual({
      type: "isolate",
      status: "failed",
      detail: "container gone",
    });
    await podman.podman(["create", "--name", "idle", "localhost/bb:1", "sleep", "1"]);
    expect(await intervene(client, "idle", { type: "pause" }, opts())).toMatchObject({
      status: "failed",
      detail: expect.stringMatching(/not running \(created\)/),
    });
    await run("hostnet", ["--network", "host"]);
    expect(await intervene(client, "hostnet", { type: "isolate" }, opts())).toMatchObject({
      status: "failed",
      detail: expect.stringMatching(/host network/),
    });
    expect((await inspect("hostnet")).State?.Running).toBe(true);
  });

  it("label: recorded in the state dir (engines cannot relabel), merged with earlier labels", async () => {
    const id = await run("l1");
    const out = await intervene(client, "l1", { type: "label", labels: { team: "sec" } }, opts());
    expect(out).toMatchObject({
      status: "done",
      detail: expect.stringMatching(/team=sec recorded in .*cannot relabel/),
    });
    await intervene(client, "l1", { type: "label" }, opts());
    const rec = JSON.parse(await readFile(join(stateDir, "labels", `${id}.json`), "utf8"));
    expect(rec).toMatchObject({
      container: { id, name: "l1" },
      labels: { team: "sec", "airbag.quarantined": "true" },
    });
    expect((await inspect("l1")).Config?.Labels ?? {}).not.toHaveProperty("team"); // not faked on the engine
  });
});
