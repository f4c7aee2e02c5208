import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Detection, Policy, PolicyMode, PolicyRule, Severity } from "../model/index.js";
import { DEFAULT_APPROVAL_TIMEOUT_MS, type Decision, PolicyEngine, runnableInterventions } from "./engine.js";
import { parsePolicy } from "./policy-file.js";

const MIN = 60_000;
/** Rules' `then` key, spelled once (a literal `then:` in an object reads as a thenable to linters). */
const THEN = "then";
const T0 = Date.UTC(2026, 0, 1);

function detection(
  over: Partial<Detection> = {},
  container: Partial<Detection["container"]> = {},
): Detection {
  return {
    detector: "cryptominer",
    id: "miner.process",
    kind: "runtime",
    severity: "critical",
    title: "miner process",
    container: { id: "c1", name: "web", image: "nginx:1", ...container },
    evidence: "xmrig --donate-level 1",
    at: new Date(T0).toISOString(),
    ...over,
  };
}

const policy = (rules: PolicyRule[], mode: PolicyMode = "enforce"): Policy => ({
  mode,
  channels: { ops: { type: "stdout" }, pager: { type: "stdout" } },
  rules,
});

const rule = (over: Partial<PolicyRule> = {}): PolicyRule => ({
  name: "miners",
  when: { detector: "cryptominer" },
  [THEN]: ["isolate", { alert: ["ops"] }],
  ...over,
});

const summary = (d: Decision) => ({
  deliver: d.deliver,
  count: d.count,
  interventions: d.interventions.map((i) => i.type),
  channels: d.channels,
  escalated: d.escalated,
});

describe("PolicyEngine.decide", () => {
  it("applies every matching rule in file order, with the BRIEF example's actions", () => {
    const e = new PolicyEngine(
      policy([
        rule(),
        rule({ name: "label-all", when: {}, [THEN]: [{ label: { "airbag.seen": "yes" } }] }),
        rule({ name: "shells", when: { detector: "shell" }, [THEN]: ["kill"] }),
      ]),
    );
    const ds = e.decide(detection(), T0);
    expect(ds.map((d) => d.rule)).toEqual(["miners", "label-all"]);
    expect(ds[0]).toMatchObject({
      mode: "enforce",
      deliver: true,
      count: 1,
      channels: ["ops"],
      interventions: [{ type: "isolate", params: {}, execute: true }],
      approval: { required: false, timeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS, onTimeout: "deny" },
      escalated: false,
    });
    expect(ds[1]!.interventions).toEqual([
      { type: "label", params: { labels: { "airbag.seen": "yes" } }, execute: true },
    ]);
    expect(e.decide(detection({ detector: "drift" }), T0).map((d) => d.rule)).toEqual(["label-all"]);
  });

  it("carries approval settings and stop parameters", () => {
    const e = new PolicyEngine(
      policy([
        rule({
          [THEN]: [{ stop: { timeoutSeconds: 5 } }],
          approval: "required",
          timeout: "2m",
          onTimeout: "approve",
        }),
      ]),
    );
    const [d] = e.decide(detection(), T0);
    expect(d!.approval).toEqual({ required: true, timeoutMs: 2 * MIN, onTimeout: "approve" });
    expect(d!.interventions).toEqual([{ type: "stop", params: { timeoutSeconds: 5 }, execute: true }]);
  });

  it("groups repeats inside the cooldown, carries the count to the next alert, never drops any", () => {
    const e = new PolicyEngine(policy([rule({ cooldown: "10m" })]));
    expect(summary(e.decide(detection(), T0)[0]!)).toEqual({
      deliver: true,
      count: 1,
      interventions: ["isolate"],
      channels: ["ops"],
      escalated: false,
    });
    const r1 = e.decide(detection(), T0 + 1 * MIN)[0]!;
    const r2 = e.decide(detection(), T0 + 2 * MIN)[0]!;
    expect(summary(r1)).toMatchObject({ deliver: false, count: 1, interventions: [] });
    expect(r1.suppressed).toEqual({ until: T0 + 10 * MIN });
    expect(summary(r2)).toMatchObject({ deliver: false, count: 2 });
    expect(runnableInterventions(r1)).toEqual([]);
    // another container, another detection id, another rule: separate keys, not suppressed
    expect(e.decide(detection({}, { id: "c2" }), T0 + 3 * MIN)[0]!.deliver).toBe(true);
    expect(e.decide(detection({ id: "miner.stratum" }), T0 + 3 * MIN)[0]!.deliver).toBe(true);
    // the window closed: the next sighting is delivered and carries the two repeats
    const next = e.decide(detection(), T0 + 10 * MIN)[0]!;
    expect(summary(next)).toEqual({
      deliver: true,
      count: 3,
      interventions: ["isolate"],
      channels: ["ops"],
      escalated: false,
    });
    expect(next.suppressed).toBeUndefined();
  });

  it("flushDue summarises windows that closed with uncounted repeats, once", () => {
    const e = new PolicyEngine(policy([rule({ cooldown: "10m" })]));
    e.decide(detection(), T0);
    e.decide(detection(), T0 + MIN);
    e.decide(detection(), T0 + 2 * MIN);
    e.decide(detection(), T0 + 3 * MIN);
    expect(e.flushDue(T0 + 9 * MIN)).toEqual([]); // window still open
    const flushed = e.flushDue(T0 + 10 * MIN);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({
      summary: true,
      deliver: true,
      count: 3,
      channels: ["ops"],
      interventions: [],
    });
    expect(e.flushDue(T0 + 11 * MIN)).toEqual([]);
    // nothing pending any more: the next sighting counts only itself
    expect(e.decide(detection(), T0 + 12 * MIN)[0]!.count).toBe(1);
    // idle keys are forgotten
    e.flushDue(T0 + 60 * MIN);
    expect(e.trackedKeys).toBe(0);
  });

  it("without a cooldown every sighting is delivered", () => {
    const e = new PolicyEngine(policy([rule()]));
    for (let i = 0; i < 3; i++)
      expect(summary(e.decide(detection(), T0 + i)[0]!)).toMatchObject({ deliver: true, count: 1 });
    expect(e.flushDue(T0 + 60 * MIN)).toEqual([]);
  });

  it("escalates once after N repeats, even inside the cooldown, then groups again", () => {
    const e = new PolicyEngine(
      policy([
        rule({
          [THEN]: ["pause", { alert: ["ops"] }],
          cooldown: "10m",
          escalate: { after: 2, [THEN]: ["kill", { alert: ["pager"] }] },
        }),
      ]),
    );
    expect(summary(e.decide(detection(), T0)[0]!)).toMatchObject({
      deliver: true,
      interventions: ["pause"],
      escalated: false,
    });
    expect(summary(e.decide(detection(), T0 + MIN)[0]!)).toMatchObject({ deliver: false, count: 1 });
    const esc = e.decide(detection(), T0 + 2 * MIN)[0]!;
    expect(summary(esc)).toEqual({
      deliver: true,
      count: 2,
      interventions: ["kill"],
      channels: ["ops", "pager"],
      escalated: true,
    });
    expect(esc.interventions[0]!.execute).toBe(true);
    expect(summary(e.decide(detection(), T0 + 3 * MIN)[0]!)).toMatchObject({
      deliver: false,
      count: 1,
      escalated: false,
    });
    // next window: the base actions again, no second escalation in the same chain
    const later = e.decide(detection(), T0 + 11 * MIN)[0]!;
    expect(summary(later)).toEqual({
      deliver: true,
      count: 2,
      interventions: ["pause"],
      channels: ["ops"],
      escalated: false,
    });
    // a quiet spell longer than the cooldown starts a new chain that may escalate again
    e.decide(detection(), T0 + 40 * MIN);
    e.decide(detection(), T0 + 41 * MIN);
    expect(e.decide(detection(), T0 + 42 * MIN)[0]!.escalated).toBe(true);
  });

  it("escalation reached on a window start runs base and escalate interventions together", () => {
    const e = new PolicyEngine(
      policy([rule({ [THEN]: ["pause"], escalate: { after: 1, [THEN]: ["stop"] } })]),
    );
    expect(e.decide(detection(), T0)[0]!.escalated).toBe(false);
    const d = e.decide(detection(), T0 + 1000)[0]!;
    expect(summary(d)).toMatchObject({ deliver: true, interventions: ["pause", "stop"], escalated: true });
  });
});

describe("dry-run", () => {
  it("the rule's mode wins over the global one, both ways", () => {
    const dryRule = new PolicyEngine(policy([rule({ mode: "dry-run" })], "enforce")).decide(
      detection(),
      T0,
    )[0]!;
    expect(dryRule.mode).toBe("dry-run");
    expect(dryRule.interventions).toEqual([{ type: "isolate", params: {}, execute: false }]);
    expect(runnableInterventions(dryRule)).toEqual([]);
    const enforceRule = new PolicyEngine(policy([rule({ mode: "enforce" })], "dry-run")).decide(
      detection(),
      T0,
    )[0]!;
    expect(enforceRule.mode).toBe("enforce");
    expect(runnableInterventions(enforceRule).map((i) => i.type)).toEqual(["isolate"]);
    const inherited = new PolicyEngine(policy([rule()], "dry-run")).decide(detection(), T0)[0]!;
    expect(inherited.mode).toBe("dry-run");
    expect(runnableInterventions(inherited)).toEqual([]);
  });

  it("can never produce an executable intervention, whatever the rules, repeats and escalations", () => {
    const modes = fc.constantFrom<PolicyMode | undefined>("enforce", "dry-run", undefined);
    const actions = fc.array(
      fc.constantFrom<PolicyRule["then"][number]>(
        "pause",
        "stop",
        "kill",
        "isolate",
        "label",
        { label: { a: "b" } },
        { stop: { timeoutSeconds: 1 } },
        { alert: ["ops"] },
      ),
      { minLength: 1, maxLength: 4 },
    );
    const ruleArb = fc.record({
      mode: modes,
      [THEN]: actions,
      cooldown: fc.constantFrom(undefined, "1s", "1m", "10m"),
      escalate: fc.option(fc.record({ after: fc.integer({ min: 1, max: 4 }), [THEN]: actions }), {
        nil: undefined,
      }),
      approval: fc.constantFrom<"none" | "required" | undefined>("none", "required", undefined),
      detector: fc.constantFrom("cryptominer", "shell", "*"),
    });
    const events = fc.array(
      fc.record({
        dt: fc.integer({ min: 0, max: 15 * MIN }),
        detector: fc.constantFrom("cryptominer", "shell"),
        container: fc.constantFrom("c1", "c2"),
        severity: fc.constantFrom<Severity>("critical", "low"),
      }),
      { maxLength: 25 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom<PolicyMode>("enforce", "dry-run"),
        fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
        events,
        (globalMode, rs, evs) => {
          const rules: PolicyRule[] = rs.map((r, i) => ({
            name: `r${i}`,
            when: { detector: r.detector },
            [THEN]: r.then,
            ...(r.mode ? { mode: r.mode } : {}),
            ...(r.cooldown ? { cooldown: r.cooldown } : {}),
            ...(r.escalate ? { escalate: r.escalate } : {}),
            ...(r.approval ? { approval: r.approval } : {}),
          }));
          const e = new PolicyEngine(policy(rules, globalMode));
          let now = T0;
          const all: Decision[] = [];
          for (const ev of evs) {
            now += ev.dt;
            all.push(
              ...e.decide(
                detection({ detector: ev.detector, severity: ev.severity }, { id: ev.container }),
                now,
              ),
            );
            all.push(...e.flushDue(now));
          }
          all.push(...e.flushDue(Number.POSITIVE_INFINITY));
          for (const d of all) {
            const effective = rules.find((r) => r.name === d.rule)!.mode ?? globalMode;
            expect(d.mode).toBe(effective);
            if (effective === "dry-run" || !d.deliver) {
              expect(d.interventions.every((i) => i.execute === false)).toBe(true);
              expect(runnableInterventions(d)).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a dry-run policy file read from YAML reports interventions without running them", () => {
    const p = parsePolicy(
      "mode: dry-run\nchannels: { ops: { type: stdout } }\nrules:\n  - { name: iso, when: { severity: '>=high' }, then: [isolate, stop, { alert: [ops] }] }\n",
      "dry.yaml",
    );
    const [d] = new PolicyEngine(p).decide(detection(), T0);
    expect(d!.interventions.map((i) => [i.type, i.execute])).toEqual([
      ["isolate", false],
      ["stop", false],
    ]);
    expect(d!.channels).toEqual(["ops"]);
  });
});
