import { describe, expect, it } from "vitest";
import type { ActionOutcome, AlertMessage, Detection, Policy } from "../model/index.js";
import type { PlannedIntervention } from "../policy/engine.js";
import { type ApprovalResult, PolicyResponder, type ResponderPorts } from "./respond.js";

/** Records what the responder asks of the world; approvals resolve when the test says so. */
function recorder() {
  const calls = { intervene: [] as string[], alerts: [] as [string, AlertMessage][], audit: [] as string[] };
  const approvals: ((r: ApprovalResult) => void)[] = [];
  const ports: ResponderPorts = {
    intervene: async (id: string, a: PlannedIntervention): Promise<ActionOutcome> => {
      calls.intervene.push(`${a.type}:${id}`);
      return { type: a.type, status: "done" };
    },
    alert: async (ch, m) => {
      calls.alerts.push([ch, m]);
    },
    audit: async (type) => {
      calls.audit.push(type);
    },
    requestApproval: async () => ({
      id: `ap${approvals.length + 1}`,
      wait: new Promise<ApprovalResult>((r) => approvals.push(r)),
    }),
    warn: () => {},
  };
  return { calls, approvals, ports };
}

const miner = (at = 0): Detection => ({
  detector: "cryptominer",
  id: "miner.stratum",
  kind: "runtime",
  severity: "critical",
  title: "miner",
  container: { id: "c1", name: "web", image: "nginx:1" },
  evidence: "argv has stratum+tcp://127.0.0.1:3333",
  at: new Date(at).toISOString(),
});

const policy = (rule: Partial<Policy["rules"][number]>, mode: Policy["mode"] = "enforce"): Policy => ({
  mode,
  channels: { hook: { type: "webhook", url: "http://127.0.0.1:1/x" } },
  rules: [
    {
      name: "r",
      when: { detector: "cryptominer" },
      // biome-ignore lint/suspicious/noThenProperty: `then` is the policy file's key (BRIEF.md)
      then: ["isolate", "pause", { alert: ["hook"] }],
      ...rule,
    },
  ],
});

describe("PolicyResponder", () => {
  it("enforce: runs the interventions in rule order, then alerts with their outcomes", async () => {
    const { calls, ports } = recorder();
    await new PolicyResponder(policy({}), ports, () => 0).handle(miner());
    expect(calls.intervene).toEqual(["isolate:c1", "pause:c1"]);
    expect(calls.alerts).toHaveLength(1);
    const [ch, m] = calls.alerts[0] ?? [];
    expect(ch).toBe("hook");
    expect(m).toMatchObject({
      event: "detection",
      rule: "r",
      mode: "enforce",
      detector: "cryptominer",
      count: 1,
    });
    expect(m?.actions).toEqual([
      { type: "isolate", status: "done" },
      { type: "pause", status: "done" },
    ]);
    expect(calls.audit).toEqual(["detection", "decision", "action", "action", "alert"]);
  });

  it("dry-run (global or per rule) never calls an intervention and says dry-run", async () => {
    for (const p of [policy({}, "dry-run"), policy({ mode: "dry-run" })]) {
      const { calls, ports } = recorder();
      await new PolicyResponder(p, ports, () => 0).handle(miner());
      expect(calls.intervene).toEqual([]);
      expect(calls.alerts[0]?.[1].actions.map((a) => a.status)).toEqual(["dry-run", "dry-run"]);
    }
  });

  it("approval required: alerts pending, acts only after approval; a denial acts never", async () => {
    for (const result of ["approved", "denied"] as const) {
      const { calls, approvals, ports } = recorder();
      const r = new PolicyResponder(policy({ approval: "required" }), ports, () => 0);
      await r.handle(miner());
      expect(calls.intervene).toEqual([]);
      expect(calls.alerts[0]?.[1]).toMatchObject({ approval: { id: "ap1", state: "pending" } });
      approvals[0]?.(result);
      await Promise.all(r.pending);
      expect(calls.intervene).toEqual(result === "approved" ? ["isolate:c1", "pause:c1"] : []);
      const last = calls.alerts.at(-1)?.[1];
      expect(last?.approval?.state).toBe(result);
      expect(last?.actions.every((a) => a.status === (result === "approved" ? "done" : "denied"))).toBe(true);
    }
  });

  it("repeats inside the cooldown are grouped and come out of tick() as one counted alert", async () => {
    const { calls, ports } = recorder();
    let now = 0;
    const r = new PolicyResponder(policy({ cooldown: "1m" }), ports, () => now);
    await r.handle(miner(0));
    for (const t of [10_000, 20_000, 30_000]) {
      now = t;
      await r.handle(miner(t));
    }
    expect(calls.alerts).toHaveLength(1);
    expect(calls.intervene).toHaveLength(2);
    now = 120_000;
    await r.tick(now);
    expect(calls.alerts).toHaveLength(2);
    expect(calls.alerts[1]?.[1].count).toBe(3);
  });
});

describe("PolicyResponder.published", () => {
  it("hands every alert it builds to `published` once, also for a rule with no alert channels", async () => {
    const { calls, ports } = recorder();
    const published: AlertMessage[] = [];
    ports.published = (m) => published.push(m);
    // biome-ignore lint/suspicious/noThenProperty: `then` is the policy file's key (BRIEF.md)
    await new PolicyResponder(policy({ then: ["pause"] }), ports, () => 0).handle(miner());
    expect(calls.alerts).toEqual([]);
    expect(published).toHaveLength(1);
    expect(published[0]?.actions).toEqual([{ type: "pause", status: "done" }]);
    // two channels, still one publication
    const two = recorder();
    const seen: string[] = [];
    two.ports.published = (m) => seen.push(m.id);
    const p2: Policy = {
      ...policy({}),
      channels: {
        a: { type: "webhook", url: "http://127.0.0.1:1/a" },
        b: { type: "webhook", url: "http://127.0.0.1:1/b" },
      },
    };
    // biome-ignore lint/suspicious/noThenProperty: `then` is the policy file's key (BRIEF.md)
    (p2.rules[0] as { then: unknown }).then = [{ alert: ["a", "b"] }];
    await new PolicyResponder(p2, two.ports, () => 0).handle(miner());
    expect(two.calls.alerts).toHaveLength(2);
    expect(seen).toHaveLength(1);
  });
});
