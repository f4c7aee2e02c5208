import type Database from "better-sqlite3";
import type { AgentEvent } from "../../model/index.js";

const json = (v: unknown): string => JSON.stringify(v);

/**
 * What one agent event changes in the SQLite store (called once per new (host, seq), inside the
 * ingest transaction). Inventories replace the host's containers unless a newer one is already in.
 */
export function applyAgentEvent(db: Database.Database, host: string, e: AgentEvent): void {
  switch (e.type) {
    case "inventory":
      // a late, older inventory must not replace a newer one
      db.prepare(
        "UPDATE hosts SET containers = ?, inventory_seq = ? WHERE host = ? AND inventory_seq < ?",
      ).run(json(e.containers), e.seq, host, e.seq);
      break;
    case "detection":
      db.prepare(
        "INSERT INTO detections (host, seq, at, detection) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ).run(host, e.seq, e.at, json(e.detection));
      break;
    case "alert":
      db.prepare("INSERT INTO alerts (id, host, at, alert) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING").run(
        e.alert.id,
        host,
        e.at,
        json(e.alert),
      );
      break;
    case "approval-request":
      db.prepare(
        `INSERT INTO approvals (id, host, request, requested_at, state) VALUES (?, ?, ?, ?, 'pending')
           ON CONFLICT DO NOTHING`,
      ).run(e.approval.id, host, json(e.approval), e.approval.requestedAt);
      break;
    case "approval-settled": {
      // the agent settled it (decision carried out, or timed out): nothing left to deliver; a human's
      // decision already recorded stays as it was
      const decision =
        e.state === "expired"
          ? null
          : json({
              id: e.id,
              verdict: e.state === "approved" ? "approve" : "deny",
              by: e.by ?? "agent",
              at: e.at,
            });
      db.prepare(
        `UPDATE approvals SET state = ?, delivered = 1, decision = COALESCE(decision, ?)
           WHERE id = ? AND host = ?`,
      ).run(e.state, decision, e.id, host);
      break;
    }
    case "action":
      break; // kept in agent_events
  }
}
