import type { AlertMessage } from "../../model/policy.js";

/** Plain-text pieces every human-facing channel (chat, e-mail, SMS) renders the same way. */

export const SEVERITY_COLOR: Record<string, string> = {
  critical: "#8b0000",
  high: "#d9480f",
  medium: "#f59f00",
  low: "#1c7ed6",
  unknown: "#868e96",
};

/** "done: isolate · pending: stop (approval a1b2 pending)" */
export function actionsText(msg: AlertMessage): string {
  if (msg.actions.length === 0) return "none";
  return msg.actions.map((a) => `${a.type}: ${a.status}${a.detail ? ` (${a.detail})` : ""}`).join(" · ");
}

export function containerText(msg: AlertMessage): string {
  const c = msg.container;
  return `${c.name || c.id.slice(0, 12)} (${c.image})`;
}

/** Label/value rows for cards, attachments and the e-mail body. */
export function alertFacts(msg: AlertMessage): [string, string][] {
  const facts: [string, string][] = [
    ["Severity", msg.severity],
    ["Container", containerText(msg)],
    ["Rule", `${msg.rule}${msg.mode === "dry-run" ? " (dry-run)" : ""}`],
    ["Detector", `${msg.detector} / ${msg.detection}`],
    ["Evidence", msg.evidence],
    ["Actions", actionsText(msg)],
  ];
  if (msg.count > 1) facts.push(["Repeats", String(msg.count)]);
  if (msg.approval)
    facts.push([
      "Approval",
      `${msg.approval.id} ${msg.approval.state}${msg.approval.by ? ` by ${msg.approval.by}` : ""}`,
    ]);
  if (msg.host) facts.push(["Host", msg.host]);
  facts.push(["Time", msg.time], ["Alert id", msg.id]);
  return facts;
}
