import { randomUUID } from "node:crypto";
import type { ActionOutcome, AlertMessage, Detection, Policy } from "../model/index.js";
import {
  type Decision,
  type PlannedIntervention,
  PolicyEngine,
  runnableInterventions,
} from "../policy/engine.js";
import type { Responder } from "./monitor.js";

/**
 * Turns detections into what the policy says: decisions (policy/engine.ts), interventions run in
 * enforce mode only (dry-run reports them as "dry-run"), approvals for rules that need a human
 * (the action waits; the alert says "pending"), alerts to the rule's channels, and an audit entry for
 * every step. Grouped repeats come out of tick() as summary alerts — counted, never dropped.
 */

export type ApprovalResult = "approved" | "denied" | "expired";

/** The effects the responder needs; the monitor wires the real ones (engine, channels, files). */
export interface ResponderPorts {
  intervene(containerId: string, action: PlannedIntervention): Promise<ActionOutcome>;
  /** deliver to one channel; failures are the port's to dead-letter and report (never throws) */
  alert(channel: string, message: AlertMessage): Promise<void>;
  audit(type: "detection" | "decision" | "approval" | "action" | "alert", data: unknown): Promise<void>;
  /** every alert the responder builds, once, channels or not (the fleet server wants them all) */
  published?(message: AlertMessage): void;
  requestApproval(
    d: Decision,
    actions: PlannedIntervention[],
  ): Promise<{ id: string; wait: Promise<ApprovalResult> }>;
  warn(message: string): void;
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function alertSummary(d: Detection): string {
  return shorten(
    `[${d.severity}] ${d.detector} in ${d.container.name} (${d.container.image}): ${d.evidence}`,
    300,
  );
}

/** The alert body for one decision (the monitor's responder and the server's fleet policy share it). */
export function alertMessage(
  dec: Decision,
  event: AlertMessage["event"],
  actions: ActionOutcome[],
  at: number,
  host?: string,
  approval?: AlertMessage["approval"],
): AlertMessage {
  const d = dec.detection;
  return {
    id: randomUUID(),
    event,
    rule: dec.rule,
    mode: dec.mode,
    detector: d.detector,
    detection: d.id,
    severity: d.severity,
    container: d.container,
    evidence: d.evidence,
    actions,
    summary: `${alertSummary(d)}${dec.count > 1 ? ` (×${dec.count})` : ""}`,
    count: dec.count,
    time: new Date(at).toISOString(),
    ...(host ? { host } : {}),
    ...(approval ? { approval } : {}),
  };
}

export class PolicyResponder implements Responder {
  readonly engine: PolicyEngine;
  /** approvals in flight, so shutdown can wait for or abandon them */
  readonly pending = new Set<Promise<void>>();

  constructor(
    policy: Policy,
    private readonly ports: ResponderPorts,
    private readonly now: () => number = Date.now,
    private readonly host?: string,
  ) {
    this.engine = new PolicyEngine(policy);
  }

  private message(
    dec: Decision,
    event: AlertMessage["event"],
    actions: ActionOutcome[],
    approval?: AlertMessage["approval"],
  ): AlertMessage {
    return alertMessage(dec, event, actions, this.now(), this.host, approval);
  }

  private async send(dec: Decision, msg: AlertMessage): Promise<void> {
    this.ports.published?.(msg);
    await this.ports.audit("alert", { id: msg.id, event: msg.event, rule: msg.rule, channels: dec.channels });
    await Promise.all(dec.channels.map((ch) => this.ports.alert(ch, msg)));
  }

  private async execute(containerId: string, list: PlannedIntervention[]): Promise<ActionOutcome[]> {
    const out: ActionOutcome[] = [];
    // in order: isolate before label, stop after pause, as the rule lists them
    for (const a of list) {
      let outcome: ActionOutcome;
      try {
        outcome = await this.ports.intervene(containerId, a);
      } catch (err) {
        outcome = { type: a.type, status: "failed", detail: (err as Error).message };
      }
      out.push(outcome);
      await this.ports.audit("action", { container: containerId, ...outcome });
    }
    return out;
  }

  async handle(d: Detection): Promise<void> {
    try {
      await this.ports.audit("detection", d);
      for (const dec of this.engine.decide(d, this.now())) await this.apply(dec);
    } catch (err) {
      this.ports.warn(`responder: ${(err as Error).message}`);
    }
  }

  private async apply(dec: Decision): Promise<void> {
    await this.ports.audit("decision", {
      rule: dec.rule,
      mode: dec.mode,
      key: dec.key,
      deliver: dec.deliver,
      count: dec.count,
      escalated: dec.escalated,
      interventions: dec.interventions,
      channels: dec.channels,
    });
    if (!dec.deliver) return;
    const runnable = runnableInterventions(dec);
    if (dec.mode === "dry-run" || runnable.length === 0) {
      const actions = dec.interventions.map((i) => ({ type: i.type, status: "dry-run" as const }));
      await this.send(dec, this.message(dec, "detection", dec.mode === "dry-run" ? actions : []));
      return;
    }
    if (dec.approval.required) {
      const { id, wait } = await this.ports.requestApproval(dec, runnable);
      const pendingActions = runnable.map((a) => ({
        type: a.type,
        status: "pending" as const,
        detail: `approval ${id}`,
      }));
      await this.send(dec, this.message(dec, "detection", pendingActions, { id, state: "pending" }));
      const done = wait
        .then(async (result) => {
          await this.ports.audit("approval", { id, result, rule: dec.rule });
          const actions =
            result === "approved"
              ? await this.execute(dec.detection.container.id, runnable)
              : runnable.map((a) => ({
                  type: a.type,
                  status: "denied" as const,
                  detail: `approval ${id} ${result}`,
                }));
          const state = result === "approved" ? "approved" : result === "denied" ? "denied" : "expired";
          await this.send(
            dec,
            this.message(dec, result === "approved" ? "action" : "approval", actions, { id, state }),
          );
        })
        .catch((err: Error) => this.ports.warn(`approval ${id}: ${err.message}`))
        .finally(() => this.pending.delete(done));
      this.pending.add(done);
      return;
    }
    const actions = await this.execute(dec.detection.container.id, runnable);
    await this.send(dec, this.message(dec, "detection", actions));
  }

  async tick(now: number): Promise<void> {
    for (const dec of this.engine.flushDue(now)) {
      await this.ports.audit("decision", { rule: dec.rule, key: dec.key, summary: true, count: dec.count });
      await this.send(dec, this.message(dec, "detection", []));
    }
  }
}
