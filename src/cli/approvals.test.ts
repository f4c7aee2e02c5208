import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import type { Detection } from "../model/index.js";
import { type ApprovalRecord, ApprovalStore } from "../policy/approvals.js";
import { registerApprovals } from "./approvals.js";

const cli = (args: string[]) => runCommands(registerApprovals, ["approvals", ...args]);

const detection: Detection = {
  detector: "cryptominer",
  id: "miner.process",
  kind: "runtime",
  severity: "critical",
  title: "cryptominer",
  container: { id: "abc123", name: "m1", image: "localhost/bb:1" },
  evidence: "xmrig running",
  at: "2026-01-01T00:00:00.000Z",
};

describe("airbag approvals", () => {
  let state: string;
  let store: ApprovalStore;
  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), "airbag-approvals-cli-"));
    store = new ApprovalStore(state);
  });
  afterAll(async () => {
    await rm(state, { recursive: true, force: true });
  });

  const request = () =>
    store.request({
      rule: "stop-miners",
      detection,
      actions: [{ type: "stop" }],
      timeoutMs: 600_000,
      onTimeout: "deny",
    });

  it("list shows pending approvals; approve by prefix releases the waiter; a second decision fails", async () => {
    const id = await request();
    const listed = await cli(["list", "--state", state]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`${id}\\s+pending\\s+stop-miners\\s+stop\\s+m1 \\(localhost/bb:1\\)`),
    );
    const waiting = store.waitFor(id, { pollMs: 20 });
    const ok = await cli([
      "approve",
      id.slice(0, 8),
      "--state",
      state,
      "--by",
      "alice",
      "--reason",
      "seen it",
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: `approval ${id}: approved by alice\n` });
    expect(await waiting).toBe("approved");
    const again = await cli(["deny", id, "--state", state, "--by", "bob"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      new RegExp(`approval ${id}: already approved by alice at .*your deny was not applied`),
    );
    expect((await cli(["list", "--state", state])).stdout).toBe("no pending approvals\n");
    const all = JSON.parse(
      (await cli(["list", "--state", state, "--all", "--format", "json"])).stdout,
    ) as ApprovalRecord[];
    expect(all.map((r) => [r.id, r.state, r.decision?.reason])).toEqual([[id, "approved", "seen it"]]);
  });

  it("deny; unknown ids and bad flags are usage/input errors", async () => {
    const id = await request();
    expect((await cli(["deny", id, "--state", state, "--by", "carol"])).code).toBe(0);
    expect((await store.get(id)).state).toBe("denied");
    const missing = await cli(["approve", "ffffffffffff", "--state", state]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such approval/);
    expect((await cli(["list", "--state", state, "--show", "bogus"])).code).toBe(2);
  });
});
