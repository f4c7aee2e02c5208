import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchReport, CheckResult } from "../../src/bench/types.js";
import { registerBench } from "../../src/cli/bench.js";
import { runCommands } from "../support/cli-in-process.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";

/**
 * `airbag bench` against a hermetic podman system service (Docker-compatible API) with real running
 * containers, each started with one risky setting, plus one hardened container that must pass the same
 * checks. Only the podman service this file starts is touched; no host engine is used.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[integration/bench-podman] skipped: ${skip}`);

const bench = (args: string[]) => runCommands(registerBench, ["bench", ...args]);

/** the verdict of check `id` for container `name` */
function itemOf(report: BenchReport, id: string, name: string) {
  const check = report.checks.find((c) => c.id === id) as CheckResult;
  expect(check, `check ${id}`).toBeDefined();
  const item = check.items.find((i) => i.subject.startsWith(`${name} (`));
  expect(item, `${id} item for ${name} in ${JSON.stringify(check.items)}`).toBeDefined();
  return item as NonNullable<typeof item>;
}

describe.skipIf(!!skip)("bench: CIS section 5 against real podman containers", () => {
  let podman: PodmanService;
  let tmp: string;
  let engine: string;
  let report: BenchReport;

  beforeAll(async () => {
    podman = await startPodman();
    engine = `unix://${podman.socket}`;
    tmp = await mkdtemp(join(tmpdir(), "airbag-benchtest-"));
    await importBusyboxImage(podman, tmp, ["sh", "sleep"]);
    const run = (name: string, flags: string[]) =>
      podman.podman(["run", "-d", "--name", name, ...flags, "localhost/bb:1", "sleep", "600"]);
    await run("priv", ["--privileged"]);
    await run("capadd", ["--cap-add", "SYS_ADMIN"]);
    await run("sock", ["-v", `${podman.socket}:/var/run/docker.sock`]);
    await run("pidhost", ["--pid", "host"]);
    await run("nolimits", []);
    await run("hard", [
      "--read-only",
      "--cap-drop",
      "ALL",
      "--memory",
      "64m",
      "--cpus",
      "0.5",
      "--pids-limit",
      "50",
      "--user",
      "1000:1000",
      "--security-opt",
      "no-new-privileges",
      "--restart",
      "on-failure:5",
      "--health-cmd",
      "true",
    ]);
    const r = await bench(["--engine", engine, "--no-host", "--format", "json"]);
    expect(r.stderr).not.toMatch(/Error|at /);
    report = JSON.parse(r.stdout) as BenchReport;
  }, 240_000);

  afterAll(async () => {
    await podman?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("knows it talks to podman and reads its runtime components", () => {
    expect(report.target.product).toBe("podman");
    expect(report.target.offline).toBe(false);
    const names = report.components.map((c) => c.name);
    expect(names).toContain("engine");
    expect(names).toContain("runc");
  });

  it("flags each risky container with the right CIS id", () => {
    expect(itemOf(report, "5.5", "priv").result).toBe("fail");
    expect(itemOf(report, "5.4", "capadd")).toMatchObject({ result: "fail" });
    expect(itemOf(report, "5.4", "capadd").evidence).toContain("SYS_ADMIN");
    expect(itemOf(report, "5.32", "sock").result).toBe("fail");
    expect(itemOf(report, "5.32", "sock").evidence).toContain("/var/run/docker.sock");
    expect(itemOf(report, "5.16", "pidhost").result).toBe("fail");
    for (const id of ["5.11", "5.12", "5.13", "5.26"])
      expect(itemOf(report, id, "nolimits").result).toBe("fail");
    // and does not flag them for what they did not do
    expect(itemOf(report, "5.5", "capadd").result).toBe("pass");
    expect(itemOf(report, "5.16", "priv").result).toBe("pass");
    expect(itemOf(report, "5.32", "nolimits").result).toBe("pass");
  });

  it("passes the hardened container on every check it was hardened for", () => {
    for (const id of [
      "5.4",
      "5.5",
      "5.6",
      "5.10",
      "5.11",
      "5.12",
      "5.13",
      "5.15",
      "5.16",
      "5.22",
      "5.26",
      "5.27",
      "5.29",
      "5.32",
    ])
      expect(itemOf(report, id, "hard"), id).toMatchObject({ result: "pass" });
  });

  it("judges section 4 on the local image and skips daemon.json checks podman does not have", () => {
    const user = report.checks.find((c) => c.id === "4.1");
    expect(user?.items.map((i) => i.subject)).toContain("localhost/bb:1");
    expect(user?.result).toBe("fail");
    expect(report.checks.find((c) => c.id === "2.2")?.result).toBe("skip");
    expect(report.checks.find((c) => c.id === "6.2")?.evidence).toMatch(/containers/);
  });

  it("reads the same verdicts offline from `docker inspect` output", async () => {
    const inspect = join(tmp, "inspect.json");
    // what `docker inspect priv hard` prints: an array of Engine API inspect objects
    const docs = await Promise.all(["priv", "hard"].map((n) => podman.api(`/v1.41/containers/${n}/json`)));
    await writeFile(inspect, `[${docs.map((d) => d.body).join(",")}]`);
    const r = await bench(["--inspect", inspect, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const offline = JSON.parse(r.stdout) as BenchReport;
    expect(offline.target.offline).toBe(true);
    expect(itemOf(offline, "5.5", "priv").result).toBe("fail");
    expect(itemOf(offline, "5.5", "hard").result).toBe("pass");
    expect(itemOf(offline, "5.13", "hard").result).toBe("pass");
  });

  it("--fail-on critical trips on the privileged container (exit 1) and names it", async () => {
    const r = await bench(["--engine", engine, "--no-host", "--fail-on", "critical", "--include", "5.5"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("5.5");
  });
});
