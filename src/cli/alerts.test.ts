import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import { createChannels } from "../policy/channels/index.js";
import { freePort, sampleAlert, startHttpReceiver } from "../policy/channels/receivers.testutil.js";
import { sendOrDeadLetter } from "../policy/dead-letter.js";
import { parsePolicy } from "../policy/policy-file.js";
import { BRIEF_POLICY } from "../policy/policy-fixtures.testutil.js";
import { registerAlerts } from "./alerts.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "airbag-alerts-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function policyFile(name: string, url: string, extra = ""): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `mode: enforce
channels:
  ops-hook: { type: webhook, url: "${url}", secret: "change-me", retries: 0 }
rules:
  - name: isolate-miners
    when: { detector: cryptominer }
    then: [{ alert: [ops-hook] }]
${extra}`,
  );
  return file;
}

describe("airbag alerts replay", () => {
  it("re-sends dead letters through the policy's channels and empties the file (exit 0)", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/airbag`;
    const deadLetter = join(dir, "dl-1.jsonl");
    const policy = await policyFile("p1", url, `deadLetter: ${JSON.stringify(deadLetter)}\n`);
    const channels = createChannels(parsePolicy(await readFile(policy, "utf8"), policy).channels, {
      backoffMs: 5,
    });
    await sendOrDeadLetter(channels.get("ops-hook")!, sampleAlert({ id: "x1" }), deadLetter);
    await sendOrDeadLetter(channels.get("ops-hook")!, sampleAlert({ id: "x2" }), deadLetter);

    const down = await runCommands(registerAlerts, ["alerts", "replay", "--policy", policy]);
    expect(down.code).toBe(2);
    expect(down.stdout).toBe(`${deadLetter}: 2 alert(s), 0 delivered, 2 still failing\n`);
    expect(down.stderr).toMatch(
      /^airbag: 2 alert\(s\) still undeliverable, kept in .*dl-1\.jsonl: channel ops-hook: POST .*ECONNREFUSED \(1 attempt\)\n$/,
    );
    expect((await readFile(deadLetter, "utf8")).trim().split("\n")).toHaveLength(2);

    const receiver = await startHttpReceiver(() => ({ status: 200 }), port);
    try {
      const up = await runCommands(registerAlerts, [
        "alerts",
        "replay",
        "--policy",
        policy,
        "--format",
        "json",
      ]);
      expect(up.code).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ file: deadLetter, total: 2, delivered: 2, kept: 0 });
      expect(receiver.requests.map((r) => JSON.parse(r.raw.toString()).id)).toEqual(["x1", "x2"]);
      expect(receiver.requests[0]!.headers["x-airbag-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(await readFile(deadLetter, "utf8")).toBe("");
    } finally {
      await receiver.close();
    }
  });

  it("--dead-letter overrides the policy's file", async () => {
    const receiver = await startHttpReceiver();
    try {
      const policy = await policyFile(
        "p2",
        receiver.url,
        `deadLetter: ${JSON.stringify(join(dir, "unused.jsonl"))}\n`,
      );
      const file = join(dir, "dl-2.jsonl");
      await writeFile(
        file,
        `${JSON.stringify({ time: "t", channel: "ops-hook", error: "e", replays: 0, alert: sampleAlert() })}\n`,
      );
      const r = await runCommands(registerAlerts, [
        "alerts",
        "replay",
        "--policy",
        policy,
        "--dead-letter",
        file,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${file}: 1 alert(s), 1 delivered, 0 still failing\n`);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it("a bad policy is an input error naming the file (exit 2)", async () => {
    const r = await runCommands(registerAlerts, ["alerts", "replay", "--policy", join(dir, "missing.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^airbag: .*missing\.yaml: cannot read the policy file \(ENOENT\)\n$/);
  });

  it("every channel of the BRIEF example policy can be created", () => {
    const channels = createChannels(parsePolicy(BRIEF_POLICY, "brief.yaml").channels);
    expect([...channels.values()].map((c) => c.type)).toEqual(["webhook", "email", "sms", "syslog"]);
  });
});

describe("airbag alerts replay --state", () => {
  it("finds the monitor's <state>/dead-letter.jsonl when the policy names no file", async () => {
    const port = await freePort();
    const policy = await policyFile("p-state", `http://127.0.0.1:${port}/airbag`);
    const state = join(dir, "monitor-state");
    const file = join(state, "dead-letter.jsonl");
    const channels = createChannels(parsePolicy(await readFile(policy, "utf8"), policy).channels, {
      backoffMs: 5,
    });
    await sendOrDeadLetter(channels.get("ops-hook")!, sampleAlert({ id: "s1" }), file);
    const receiver = await startHttpReceiver(() => ({ status: 200 }), port);
    try {
      const r = await runCommands(registerAlerts, ["alerts", "replay", "--policy", policy, "--state", state]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${file}: 1 alert(s), 1 delivered, 0 still failing\n`);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
