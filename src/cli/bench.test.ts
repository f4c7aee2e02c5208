import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import type { BenchReport } from "../bench/types.js";
import { registerBench } from "./bench.js";

/**
 * `airbag bench` offline, as CI uses it without a host: daemon.json, saved `docker inspect` output and
 * runtime versions given on the command line; exit codes and one-line errors.
 */

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/bench");
const INSPECT = join(FIXTURES, "podman-4.3-inspect.json");
const bench = (args: string[]) => runCommands(registerBench, ["bench", ...args]);
const json = async (args: string[]) => {
  const r = await bench([...args, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as BenchReport;
};

function expectUsageError(r: { code: number; stderr: string; stdout: string }, ...mentions: string[]) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  for (const m of mentions) expect(r.stderr).toContain(m);
  expect(r.stdout).toBe("");
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-bench-cli-"));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe("outdated runtimes from --component (bundled advisories, no DB)", () => {
  it("runc 1.0.0-rc6 → CVE-2019-5736, and 1.2.2 fails", async () => {
    const r = await json(["--component", "runc=1.0.0-rc6", "--db", join(tmp, "none.sqlite")]);
    const f = r.findings.find((x) => x.id === "CVE-2019-5736");
    expect(f).toMatchObject({
      package: "runc",
      installedVersion: "1.0.0-rc6",
      severity: "high",
      fixedVersion: "1.0.0-rc7",
    });
    expect(r.checks.find((c) => c.id === "1.2.2")).toMatchObject({ result: "fail" });
    expect(r.target.offline).toBe(true);
  });
  it("runc 1.1.11 → CVE-2024-21626; 1.1.12 is clear of it", async () => {
    const old = await json(["--component", "runc=1.1.11"]);
    expect(old.findings.map((f) => f.id)).toContain("CVE-2024-21626");
    const fixed = await json(["--component", "runc=1.1.12"]);
    expect(fixed.findings.flatMap((f) => [f.id, ...f.aliases])).not.toContain("CVE-2024-21626");
  });
  it("a Docker 18.09.2 vendor build of runc rc6+dev is listed as patched, not dropped", async () => {
    const r = await json([
      "--component",
      "runc=1.0.0-rc6+dev@09c8266bf2fcf9519a651b04ae54c967b9ab86ec",
      "--component",
      "docker=18.09.2",
    ]);
    expect(r.findings.some((f) => f.id === "CVE-2019-5736" && f.package === "runc")).toBe(false);
    const s = r.suppressed.find((x) => x.finding.id === "CVE-2019-5736");
    expect(s?.reason).toMatch(/18\.09\.2/);
  });
  it("--fail-on high trips on the runc CVE (exit 1) and names it", async () => {
    const r = await bench(["--component", "runc=1.0.0-rc6", "--fail-on", "high"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CVE-2019-5736");
  });
});

describe("daemon.json and inspect files", () => {
  it("a malformed daemon.json is a failed check naming line and column, not a crash", async () => {
    const file = join(tmp, "daemon.json");
    await writeFile(file, '{\n  "icc": false,\n  "live-restore": true,\n}\n');
    const r = await json(["--daemon-json", file]);
    const valid = r.checks.find((c) => c.id === "2.0");
    expect(valid?.result).toBe("fail");
    expect(JSON.stringify(valid)).toMatch(/4:1|line 4/);
  });
  it("a good daemon.json decides the 2.x checks from its keys", async () => {
    const file = join(tmp, "good.json");
    await writeFile(
      file,
      JSON.stringify({
        icc: false,
        "live-restore": true,
        "no-new-privileges": true,
        "userns-remap": "default",
      }),
    );
    const r = await json(["--daemon-json", file, "--include", "2"]);
    const result = (id: string) => r.checks.find((c) => c.id === id)?.result;
    expect(result("2.0")).toBe("pass");
    expect(result("2.2")).toBe("pass");
    expect(result("2.9")).toBe("pass");
    expect(result("2.14")).toBe("pass");
    expect(result("2.15")).toBe("pass");
    expect(r.checks.every((c) => c.id.startsWith("2."))).toBe(true);
  });
  it("--inspect judges section 5 and --include narrows the run", async () => {
    const r = await json(["--inspect", INSPECT, "--include", "5.5,5.32"]);
    expect(r.checks.map((c) => c.id)).toEqual(["5.5", "5.32"]);
    expect(r.checks[0]?.result).toBe("fail");
    expect(r.checks[0]?.items.find((i) => i.subject.startsWith("priv"))?.result).toBe("fail");
  });
  it("renders every format from the same run", async () => {
    for (const [format, probe] of [
      ["table", /5\.5\s+FAIL/],
      ["sarif", /"version": "2\.1\.0"/],
      ["junit", /<testsuites/],
      ["html", /<!doctype html>/i],
    ] as const) {
      const r = await bench(["--inspect", INSPECT, "--include", "5", "--format", format]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(probe);
    }
  });
});

describe("bad input: one line, exit 2", () => {
  it("a missing --daemon-json file", async () => {
    expectUsageError(await bench(["--daemon-json", join(tmp, "nope.json")]), "nope.json");
  });
  it("an --inspect file that is not JSON or not inspect output", async () => {
    const bad = join(tmp, "bad.json");
    await writeFile(bad, "not json");
    expectUsageError(await bench(["--inspect", bad]), "--inspect", "bad.json");
    const wrong = join(tmp, "wrong.json");
    await writeFile(wrong, '[{"Id": "x"}]');
    expectUsageError(await bench(["--inspect", wrong]), "wrong.json[0]", "HostConfig");
  });
  it("unknown format, bad severity, malformed --component, unreachable engine", async () => {
    expectUsageError(await bench(["--inspect", INSPECT, "--format", "pdf"]), "pdf");
    expectUsageError(await bench(["--inspect", INSPECT, "--fail-on", "urgent"]), "--fail-on");
    expectUsageError(await bench(["--component", "runc"]), "--component");
    expectUsageError(await bench(["--engine", `unix://${join(tmp, "no.sock")}`, "--no-host"]), "no.sock");
  });
});
