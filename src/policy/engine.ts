import type {
  ActionSpec,
  Detection,
  InterventionType,
  Policy,
  PolicyMode,
  PolicyRule,
} from "../model/index.js";
import { parseDuration } from "./duration.js";
import { ruleMatches } from "./match.js";

/**
 * The decision engine: which rules a detection triggers and what each asks for. Pure — no I/O, the
 * clock is passed in — so `airbag policy test` shows exactly what the monitor would do.
 *
 * - Every matching rule applies, in file order: one Decision per rule.
 * - Mode: the rule's own `mode` wins over the policy's global one, in both directions (a dry-run rule
 *   in an enforcing policy stays dry; an enforcing rule in a dry-run policy enforces). In dry-run every
 *   intervention carries `execute: false`; the executor records it as status "dry-run" and does nothing.
 * - Cooldown: repeats of the same (rule, detector, detection id, container id) inside the rule's
 *   cooldown give a Decision with `deliver: false` and are counted; the next delivered decision for
 *   that key carries the count, and `flushDue()` emits a summary for a window that closed with
 *   uncounted repeats. Nothing is dropped without a trace.
 * - Escalation: once a key has been seen `escalate.after` times more after its first occurrence (each
 *   within the cooldown of the previous one), the escalate actions are delivered once — even inside
 *   the cooldown — together with the rule's alert channels. A quiet spell longer than the cooldown
 *   (10 minutes for a rule without one) starts the count again.
 */

export interface InterventionParams {
  /** stop: seconds between SIGTERM and SIGKILL */
  timeoutSeconds?: number;
  /** label: labels to set (absent for a bare `label`: the executor's quarantine label) */
  labels?: Record<string, string>;
}

export interface PlannedIntervention {
  type: InterventionType;
  params: InterventionParams;
  /** false in dry-run, or when the decision is not delivered: never run it */
  execute: boolean;
}

export interface ApprovalPlan {
  required: boolean;
  timeoutMs: number;
  onTimeout: "deny" | "approve";
}

export interface Decision {
  rule: string;
  mode: PolicyMode;
  detection: Detection;
  /** the dedup key: rule, detector, detection id, container id */
  key: string;
  /** false = a repeat inside the cooldown: counted, neither alerted nor acted on */
  deliver: boolean;
  interventions: PlannedIntervention[];
  /** channel names to alert */
  channels: string[];
  approval: ApprovalPlan;
  /** occurrences this alert stands for (1 + repeats grouped since the last delivered one) */
  count: number;
  /** this decision carries the rule's escalate actions */
  escalated: boolean;
  /** emitted by flushDue(): repeats counted in a closed cooldown window; alerts only */
  summary?: boolean;
  /** set when deliver is false: the cooldown window this repeat was grouped into */
  suppressed?: { until: number };
}

/** How long repeats keep an escalation chain going when the rule has no cooldown. */
export const DEFAULT_REPEAT_WINDOW_MS = 10 * 60_000;

/** Approval wait when a rule says `approval: required` without `timeout`; then it is denied. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;

interface CompiledRule {
  rule: PolicyRule;
  mode: PolicyMode;
  cooldownMs: number;
  /** a gap longer than this between two sightings starts the escalation count again */
  chainMs: number;
  approval: ApprovalPlan;
  interventions: Omit<PlannedIntervention, "execute">[];
  channels: string[];
  escalation?: {
    after: number;
    interventions: Omit<PlannedIntervention, "execute">[];
    channels: string[];
  };
}

interface KeyState {
  rule: CompiledRule;
  /** end of the current cooldown window (ms) */
  until: number;
  /** last time the key was seen: a gap longer than the cooldown resets the escalation count */
  lastSeen: number;
  /** repeats since the last delivered decision */
  pending: number;
  /** occurrences in the current chain (for escalation) */
  occurrences: number;
  escalated: boolean;
  last: Detection;
}

function interventionOf(a: ActionSpec): Omit<PlannedIntervention, "execute"> | undefined {
  if (typeof a === "string") return { type: a, params: {} };
  if ("stop" in a)
    return {
      type: "stop",
      params: a.stop.timeoutSeconds === undefined ? {} : { timeoutSeconds: a.stop.timeoutSeconds },
    };
  if ("label" in a) return { type: "label", params: { labels: { ...a.label } } };
  return undefined;
}

function split(actions: ActionSpec[]) {
  const interventions: Omit<PlannedIntervention, "execute">[] = [];
  const channels: string[] = [];
  for (const a of actions) {
    const i = interventionOf(a);
    if (i) {
      // the same intervention twice in one rule is one call
      const same = JSON.stringify(i);
      if (!interventions.some((x) => JSON.stringify(x) === same)) interventions.push(i);
    } else if (typeof a === "object" && "alert" in a) {
      for (const c of a.alert) if (!channels.includes(c)) channels.push(c);
    }
  }
  return { interventions, channels };
}

function compile(rule: PolicyRule, globalMode: PolicyMode): CompiledRule {
  const base = split(rule.then);
  const esc = rule.escalate ? split(rule.escalate.then) : undefined;
  const cooldownMs = rule.cooldown === undefined ? 0 : (parseDuration(rule.cooldown) ?? 0);
  return {
    rule,
    mode: rule.mode ?? globalMode,
    cooldownMs,
    chainMs: cooldownMs > 0 ? cooldownMs : DEFAULT_REPEAT_WINDOW_MS,
    approval: {
      required: rule.approval === "required",
      timeoutMs:
        rule.timeout === undefined
          ? DEFAULT_APPROVAL_TIMEOUT_MS
          : (parseDuration(rule.timeout) ?? DEFAULT_APPROVAL_TIMEOUT_MS),
      onTimeout: rule.onTimeout ?? "deny",
    },
    ...base,
    ...(rule.escalate && esc ? { escalation: { after: rule.escalate.after, ...esc } } : {}),
  };
}

export const dedupKey = (rule: string, d: Detection): string =>
  JSON.stringify([rule, d.detector, d.id, d.container.id]);

export class PolicyEngine {
  private readonly rules: CompiledRule[];
  private readonly keys = new Map<string, KeyState>();

  constructor(readonly policy: Policy) {
    this.rules = policy.rules.map((r) => compile(r, policy.mode));
  }

  /** Decisions for one detection at `now` (ms since the epoch), one per matching rule, in file order. */
  decide(detection: Detection, now: number): Decision[] {
    const out: Decision[] = [];
    for (const r of this.rules) {
      if (ruleMatches(r.rule.when, detection)) out.push(this.decideRule(r, detection, now));
    }
    return out;
  }

  private decideRule(r: CompiledRule, d: Detection, now: number): Decision {
    const key = dedupKey(r.rule.name, d);
    let s = this.keys.get(key);
    if (!s || now - s.lastSeen > r.chainMs) {
      // first sighting, or the chain went quiet: escalation counts again (uncounted repeats carry over)
      s = {
        rule: r,
        until: -Infinity,
        lastSeen: now,
        pending: s?.pending ?? 0,
        occurrences: 0,
        escalated: false,
        last: d,
      };
      this.keys.set(key, s);
    }
    s.occurrences++;
    s.lastSeen = now;
    s.last = d;
    const escalateNow = r.escalation !== undefined && !s.escalated && s.occurrences - 1 >= r.escalation.after;
    const windowOpen = now < s.until;

    if (windowOpen && !escalateNow) {
      s.pending++;
      return {
        ...this.shape(r, d, key, false, [], [], s.pending),
        suppressed: { until: s.until },
      };
    }
    const count = s.pending + 1;
    s.pending = 0;
    let interventions = windowOpen ? [] : r.interventions;
    let channels = r.channels;
    if (escalateNow && r.escalation) {
      s.escalated = true;
      interventions = mergeInterventions(interventions, r.escalation.interventions);
      channels = [...new Set([...channels, ...r.escalation.channels])];
    }
    if (!windowOpen) s.until = now + r.cooldownMs;
    return this.shape(r, d, key, true, interventions, channels, count, escalateNow);
  }

  private shape(
    r: CompiledRule,
    d: Detection,
    key: string,
    deliver: boolean,
    interventions: Omit<PlannedIntervention, "execute">[],
    channels: string[],
    count: number,
    escalated = false,
  ): Decision {
    const execute = deliver && r.mode === "enforce";
    return {
      rule: r.rule.name,
      mode: r.mode,
      detection: d,
      key,
      deliver,
      interventions: interventions.map((i) => ({ type: i.type, params: { ...i.params }, execute })),
      channels: [...channels],
      approval: { ...r.approval },
      count,
      escalated,
    };
  }

  /**
   * Summaries for cooldown windows that have closed with repeats nobody was told about yet: one
   * alert-only decision per key, carrying the count. Call it periodically (the monitor's tick).
   * Keys idle for longer than their cooldown with nothing pending are forgotten.
   */
  flushDue(now: number): Decision[] {
    const out: Decision[] = [];
    for (const [key, s] of this.keys) {
      if (now < s.until) continue;
      if (s.pending > 0) {
        out.push({ ...this.shape(s.rule, s.last, key, true, [], s.rule.channels, s.pending), summary: true });
        s.pending = 0;
      }
      if (now - s.lastSeen > s.rule.chainMs) this.keys.delete(key);
    }
    return out;
  }

  /** Keys the engine is tracking (cooldown windows and escalation chains). */
  get trackedKeys(): number {
    return this.keys.size;
  }
}

function mergeInterventions(
  a: Omit<PlannedIntervention, "execute">[],
  b: Omit<PlannedIntervention, "execute">[],
): Omit<PlannedIntervention, "execute">[] {
  const out = [...a];
  for (const i of b) {
    const same = JSON.stringify(i);
    if (!out.some((x) => JSON.stringify(x) === same)) out.push(i);
  }
  return out;
}

/** The interventions an executor may actually run for `decision`: none in dry-run or when not delivered. */
export function runnableInterventions(decision: Decision): PlannedIntervention[] {
  if (decision.mode !== "enforce" || !decision.deliver) return [];
  return decision.interventions.filter((i) => i.execute);
}
