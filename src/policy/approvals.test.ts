import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Detection } from "../model/index.js";
import { type ApprovalRecord, type ApprovalRequest, ApprovalStore } from "./approvals.js";
import { defaultStateDir } from "./state-dir.js";

const minerDetection: Detection = {
  detector: "cryptominer",
  id: "miner.stratum",
  kind: "runtime",
  severity: "critical",
  title: "cryptominer",
  container: { id: "abc123", name: "web", image: "nginx:1" },
  evidence: "xmrig -o stratum+tcp://127.0.0.1:3333",
  at: "2026-01-01T00:00:00.000Z",
};

const req = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  rule: "stop-miners",
  detection: minerDetection,
  actions: [{ type: "stop", params: { timeoutSeconds: 1 } }],
  timeoutMs: 60_000,
  onTimeout: "deny",
  ...over,
});

let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), "airbag-approvals-"));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

describe("ApprovalStore", () => {
  it("a waiter is released by a human approving (in another store instance)", async () => {
    const monitor = new ApprovalStore(state);
    const id = await monitor.request(req());
    expect(await readdir(join(state, "approvals"))).toEqual([`${id}.json`]);
    const waiting = monitor.waitFor(id, { pollMs: 20 });
    const human = new ApprovalStore(state);
    expect((await human.list()).map((r) => [r.id, r.state])).toEqual([[id, "pending"]]);
    const decided = await human.decide(id, "approve", "alice", "confirmed miner");
    expect(decided).toMatchObject({
      state: "approved",
      decision: { by: "alice", reason: "confirmed miner" },
    });
    expect(await waiting).toBe("approved");
    const onDisk = JSON.parse(
      await readFile(join(state, "approvals", `${id}.json`), "utf8"),
    ) as ApprovalRecord;
    expect(onDisk).toMatchObject({ state: "approved", rule: "stop-miners", actions: [{ type: "stop" }] });
  });

  it("deny resolves the waiter with denied", async () => {
    const s = new ApprovalStore(state);
    const id = await s.request(req());
    const waiting = s.waitFor(id, { pollMs: 20 });
    await s.decide(id, "deny", "bob");
    expect(await waiting).toBe("denied");
    expect(await s.list({ state: "pending" })).toEqual([]);
    expect((await s.list({ state: "denied" })).map((r) => r.id)).toEqual([id]);
  });

  it("at the deadline onTimeout applies: deny → expired, approve → approved (record says expired)", async () => {
    const s = new ApprovalStore(state);
    const denyId = await s.request(req({ timeoutMs: 150, onTimeout: "deny" }));
    const approveId = await s.request(req({ timeoutMs: 150, onTimeout: "approve" }));
    const t0 = Date.now();
    const [a, b] = await Promise.all([
      s.waitFor(denyId, { pollMs: 5000 }),
      s.waitFor(approveId, { pollMs: 5000 }),
    ]);
    expect(Date.now() - t0).toBeLessThan(2000); // woke at the deadline, not the poll interval
    expect([a, b]).toEqual(["expired", "approved"]);
    expect(await s.get(approveId)).toMatchObject({
      state: "expired",
      decision: { result: "approve", by: "timeout" },
    });
    await expect(s.decide(denyId, "approve", "late")).rejects.toThrow(
      /already expired at .* \(onTimeout: deny\); your approve was not applied/,
    );
  });

  it("two deciders racing: exactly one wins, the other gets a clear error", async () => {
    for (let round = 0; round < 20; round++) {
      const id = await new ApprovalStore(state).request(req());
      const [x, y] = [new ApprovalStore(state), new ApprovalStore(state)];
      const results = await Promise.allSettled([
        x.decide(id, "approve", "alice"),
        y.decide(id, "deny", "bob"),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<ApprovalRecord>).value;
      expect(String(lost[0]?.reason.message)).toMatch(
        new RegExp(`approval ${id}: already ${winner.state} by ${winner.decision?.by} at .*not applied`),
      );
      expect((await x.get(id)).state).toBe(winner.state);
    }
  });

  it("waitFor stops on abort", async () => {
    const s = new ApprovalStore(state);
    const id = await s.request(req());
    const ac = new AbortController();
    const waiting = s.waitFor(id, { signal: ac.signal, pollMs: 20 });
    ac.abort(new Error("monitor shutting down"));
    await expect(waiting).rejects.toThrow(/shutting down/);
    expect((await s.get(id)).state).toBe("pending");
  });

  it("ids: unique prefixes resolve, unknown and path-like ids are refused", async () => {
    const s = new ApprovalStore(state);
    const id = await s.request(req());
    expect(await s.resolve(id.slice(0, 6))).toBe(id);
    await expect(s.resolve("zzzz")).rejects.toThrow(/no such approval/);
    await expect(s.get("../../etc/passwd")).rejects.toThrow(/not a valid id/);
  });

  it("default state dir follows XDG_STATE_HOME, else ~/.local/state", () => {
    expect(defaultStateDir({ XDG_STATE_HOME: "/x/state" })).toBe("/x/state/airbag");
    expect(defaultStateDir({})).toMatch(/\.local\/state\/airbag$/);
  });
});
