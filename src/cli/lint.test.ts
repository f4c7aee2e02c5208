import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import { registerLint } from "./lint.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/dockerfiles/", import.meta.url));
const fx = (name: string): string => join(FIXTURES, name);

/** Runs `airbag lint …` on a fresh program the way main() does; returns exit code and output. */
const lint = (...args: string[]) => runCommands(registerLint, ["lint", ...args]);

afterEach(() => vi.restoreAllMocks());

describe("airbag lint", () => {
  it("prints a table and exits 0 without --fail-on", async () => {
    const r = await lint(fx("insecure.Dockerfile"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("DL3002");
    expect(r.stdout).toMatch(/15 finding\(s\)/);
  });

  it("exits 1 when a finding reaches --fail-on, naming it on stderr", async () => {
    const r = await lint(fx("insecure.Dockerfile"), "--fail-on", "high", "-f", "json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary.high).toBe(1);
    expect(r.stderr).toMatch(
      /^airbag: 1 finding\(s\) at or above high \(--fail-on high\); e\.g\. DL3064 at .*:9\n$/,
    );
  });

  it("exits 0 with --fail-on when every file is clean, across several files", async () => {
    const r = await lint(
      fx("clean.Dockerfile"),
      fx("windows.Dockerfile"),
      "--fail-on",
      "low",
      "--format",
      "json",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files).toHaveLength(2);
  });

  it("applies --config (ignored findings no longer trip the gate) and writes -o FILE", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "airbag-lint-")), "out.sarif");
    const r = await lint(
      fx("insecure.Dockerfile"),
      "--config",
      fx("lint-config.yaml"),
      "-f",
      "sarif",
      "-o",
      out,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const sarif = JSON.parse(readFileSync(out, "utf8"));
    const ab1001 = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "AB1001");
    expect(ab1001.suppressions[0]).toMatchObject({ kind: "external" });
    const curl = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "AB1003");
    expect(curl.level).toBe("error"); // raised to critical by the config
  });

  it.each([
    [["missing.Dockerfile"], /^airbag: missing\.Dockerfile: cannot read \(ENOENT\)\n$/],
    [[FIXTURES], /is a directory; name the Dockerfile inside it/],
    [["--config", "nope.yaml", "Dockerfile"], /^airbag: --config nope\.yaml: cannot read \(ENOENT\)\n$/],
    [
      ["--config", fx("bad-config.yaml"), fx("clean.Dockerfile")],
      /bad-config\.yaml: ignore: expected a list of rule ids/,
    ],
    [["--fail-on", "severe", fx("clean.Dockerfile")], /--fail-on: unknown severity "severe"/],
    [["-f", "xml", fx("clean.Dockerfile")], /--format: unknown format "xml"/],
  ])("exits 2 with one line for bad input: %j", async (args, message) => {
    const r = await lint(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it("exits 2 when no Dockerfile is named", async () => {
    expect((await lint()).code).toBe(2);
  });
});
