import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import { BRIEF_POLICY } from "../policy/policy-fixtures.testutil.js";
import { registerPolicy } from "./policy.js";

const dir = mkdtempSync(join(tmpdir(), "airbag-policy-cli-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const miner = (at: string, container = "c1") => ({
  detector: "cryptominer",
  id: "miner.process",
  severity: "critical",
  container: { id: container, name: "web", image: "nginx:1" },
  evidence: "xmrig",
  at,
});

const policyFile = file("brief.yaml", BRIEF_POLICY);
const shellPolicy = file(
  "mixed.yaml",
  `mode: dry-run
channels: { ops: { type: stdout } }
rules:
  - name: stop-shells
    when: { detector: shell, severity: ">=medium" }
    then: [stop, { alert: [ops] }]
    mode: enforce
    approval: required
    timeout: 5m
  - name: watch-shells
    when: { detector: shell }
    then: [pause]
`,
);

describe("airbag policy validate", () => {
  it("accepts the BRIEF example", async () => {
    const r = await runCommands(registerPolicy, ["policy", "validate", policyFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${policyFile}: ok — mode enforce, 1 rule(s), 4 channel(s)\n`);
  });

  it("exits 2 with one line naming file, line and key", async () => {
    const bad = file(
      "bad.yaml",
      BRIEF_POLICY.replace(
        "then: [isolate, { alert: [ops-hook, oncall] }]",
        "then: [isolate, { alert: [ops-hook, pagr] }]",
      ),
    );
    const r = await runCommands(registerPolicy, ["policy", "validate", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `airbag: ${bad}:10: rules[0].then[1].alert[1]: no channel named "pagr" (defined: ops-hook, oncall, pager, siem)\n`,
    );
  });
});

describe("airbag policy test", () => {
  it("shows decisions, grouping and summaries as a table without doing anything", async () => {
    const detections = file(
      "miners.jsonl",
      [miner("2026-01-01T00:00:00Z"), miner("2026-01-01T00:01:00Z"), miner("2026-01-01T00:02:00Z")]
        .map((d) => JSON.stringify(d))
        .join("\n"),
    );
    const r = await runCommands(registerPolicy, ["policy", "test", policyFile, "--detection", detections]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^TIME\s+DETECTION\s+CONTAINER\s+RULE\s+MODE\s+WOULD DO\s+NOTE$/);
    expect(lines[1]).toMatch(
      /critical cryptominer\/miner\.process\s+web \(nginx:1\)\s+isolate-miners\s+enforce\s+isolate; alert ops-hook,oncall$/,
    );
    expect(lines[2]).toMatch(/\(grouped\)\s+repeat 1 in cooldown until 2026-01-01T00:10:00\.000Z$/);
    expect(lines[3]).toMatch(/repeat 2 in cooldown/);
    expect(lines[4]).toMatch(/^\(window end\).*alert ops-hook,oncall\s+summary of 2 grouped repeat\(s\)$/);
    expect(r.stdout).toContain(
      "3 detection(s): 1 decision(s) delivered, 2 grouped into cooldowns, 1 summary alert(s). Nothing was run or sent.",
    );
    expect(r.stdout).not.toContain("change-me"); // the webhook secret
  });

  it("--format json: a rule's mode wins over the global one, and dry-run is never run", async () => {
    const detections = file(
      "shell.json",
      JSON.stringify([
        {
          detector: "shell",
          id: "shell.exec",
          severity: "high",
          container: { id: "c9", name: "db", image: "postgres:16" },
          at: "2026-01-01T00:00:00Z",
        },
        {
          detector: "drift",
          id: "drift.exe",
          severity: "low",
          container: { id: "c9", name: "db", image: "postgres:16" },
          at: "2026-01-01T00:00:01Z",
        },
      ]),
    );
    const r = await runCommands(registerPolicy, [
      "policy",
      "test",
      shellPolicy,
      "--detection",
      detections,
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results).toHaveLength(2);
    const [stop, watch] = out.results[0].decisions;
    expect(stop).toMatchObject({
      rule: "stop-shells",
      mode: "enforce",
      interventions: [{ type: "stop", execute: true, status: "after approval" }],
      channels: ["ops"],
      approval: { required: true, timeoutMs: 300000, onTimeout: "deny" },
    });
    expect(watch).toMatchObject({
      rule: "watch-shells",
      mode: "dry-run",
      interventions: [{ type: "pause", execute: false, status: "dry-run" }],
    });
    expect(out.results[1].decisions).toEqual([]);
    expect(out.summaries).toEqual([]);
  });

  it("exits 2 on a bad detection file or a bad policy", async () => {
    const bad = file(
      "bad.jsonl",
      `${JSON.stringify(miner("2026-01-01T00:00:00Z"))}\n{"detector": "x", "id": "y", "severity": "extreme", "container": {}}\n`,
    );
    const r = await runCommands(registerPolicy, ["policy", "test", policyFile, "--detection", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `airbag: ${bad}:2: "severity" must be one of critical, high, medium, low, unknown\n`,
    );
    const notPolicy = file("np.yaml", "mode: enforce\nrules: {}\n");
    const r2 = await runCommands(registerPolicy, ["policy", "test", notPolicy, "--detection", bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(`airbag: ${notPolicy}:2: rules: must be a list\n`);
    const r3 = await runCommands(registerPolicy, [
      "policy",
      "test",
      policyFile,
      "--detection",
      join(dir, "nope.json"),
    ]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--detection .*nope\.json: cannot read \(ENOENT\)/);
  });
});
