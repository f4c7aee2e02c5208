import type { Detection, Policy } from "../model/index.js";
import { formatDuration } from "./duration.js";
import { type Decision, PolicyEngine } from "./engine.js";

/**
 * `airbag policy test`: run detections through a fresh PolicyEngine, each at its own `at` time, and
 * say what would happen — nothing is executed or sent. Windows still open at the end are flushed, so
 * the summaries the monitor would send later show up too.
 */

export interface DetectionOutcome {
  detection: Detection;
  decisions: Decision[];
}

export interface PolicyTrial {
  outcomes: DetectionOutcome[];
  /** flushDue summaries: repeats grouped by a cooldown, sent when the window closes */
  summaries: Decision[];
}

export function tryPolicy(policy: Policy, detections: Detection[]): PolicyTrial {
  const engine = new PolicyEngine(policy);
  const outcomes: DetectionOutcome[] = [];
  const summaries: Decision[] = [];
  for (const d of detections) {
    const now = Date.parse(d.at);
    summaries.push(...engine.flushDue(now));
    outcomes.push({ detection: d, decisions: engine.decide(d, now) });
  }
  summaries.push(...engine.flushDue(Number.POSITIVE_INFINITY));
  return { outcomes, summaries };
}

/** What an intervention would come to: "run", "dry-run", or "none" for a grouped repeat. */
const interventionStatus = (d: Decision, execute: boolean) =>
  !d.deliver ? "suppressed" : execute ? (d.approval.required ? "after approval" : "run") : "dry-run";

function decisionJson(d: Decision) {
  return {
    rule: d.rule,
    mode: d.mode,
    deliver: d.deliver,
    count: d.count,
    escalated: d.escalated,
    ...(d.summary ? { summary: true } : {}),
    interventions: d.interventions.map((i) => ({ ...i, status: interventionStatus(d, i.execute) })),
    channels: d.channels,
    approval: d.approval,
    ...(d.suppressed ? { suppressed: { until: new Date(d.suppressed.until).toISOString() } } : {}),
  };
}

export function trialJson(t: PolicyTrial): string {
  return JSON.stringify(
    {
      results: t.outcomes.map((o) => ({ detection: o.detection, decisions: o.decisions.map(decisionJson) })),
      summaries: t.summaries.map((d) => ({
        detection: { detector: d.detection.detector, id: d.detection.id, container: d.detection.container },
        ...decisionJson(d),
      })),
    },
    null,
    2,
  );
}

function actionsText(d: Decision): string {
  const parts = d.interventions.map((i) => {
    const params = i.params.timeoutSeconds !== undefined ? `(${i.params.timeoutSeconds}s)` : "";
    const labels = i.params.labels
      ? `(${Object.entries(i.params.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(",")})`
      : "";
    return `${i.type}${params}${labels}${i.execute ? "" : d.deliver ? " [dry-run]" : ""}`;
  });
  if (d.channels.length) parts.push(`alert ${d.channels.join(",")}`);
  return d.deliver ? parts.join("; ") || "-" : "(grouped)";
}

function noteText(d: Decision): string {
  const notes: string[] = [];
  if (d.summary) notes.push(`summary of ${d.count} grouped repeat(s)`);
  else if (!d.deliver && d.suppressed)
    notes.push(`repeat ${d.count} in cooldown until ${new Date(d.suppressed.until).toISOString()}`);
  else if (d.count > 1) notes.push(`count ${d.count}`);
  if (d.escalated) notes.push("escalated");
  if (d.deliver && d.approval.required && d.interventions.length)
    notes.push(
      `approval required (${formatDuration(d.approval.timeoutMs)}, then ${d.approval.onTimeout})${d.mode === "dry-run" ? " — not asked in dry-run" : ""}`,
    );
  return notes.join("; ");
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function trialTable(t: PolicyTrial): string {
  const rows: string[][] = [["TIME", "DETECTION", "CONTAINER", "RULE", "MODE", "WOULD DO", "NOTE"]];
  const who = (d: Detection) => `${d.container.name} (${d.container.image})`;
  for (const { detection: d, decisions } of t.outcomes) {
    const head = [d.at, `${d.severity} ${d.detector}/${d.id}`, who(d)];
    if (!decisions.length) rows.push([...head, "-", "-", "nothing (no rule matches)", ""]);
    decisions.forEach((x, i) => {
      rows.push([...(i === 0 ? head : ["", "", ""]), x.rule, x.mode, actionsText(x), noteText(x)]);
    });
  }
  for (const s of t.summaries)
    rows.push([
      "(window end)",
      `${s.detection.severity} ${s.detection.detector}/${s.detection.id}`,
      who(s.detection),
      s.rule,
      s.mode,
      actionsText(s),
      noteText(s),
    ]);
  const delivered = t.outcomes.flatMap((o) => o.decisions).filter((d) => d.deliver).length;
  const grouped = t.outcomes.flatMap((o) => o.decisions).filter((d) => !d.deliver).length;
  return `${table(rows)}\n\n${t.outcomes.length} detection(s): ${delivered} decision(s) delivered, ${grouped} grouped into cooldowns, ${t.summaries.length} summary alert(s). Nothing was run or sent.`;
}
