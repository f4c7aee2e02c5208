import type pg from "pg";
import type { AgentEvent } from "../../model/index.js";

type Q = Pick<pg.PoolClient, "query">;

/**
 * What one agent event changes in the PostgreSQL store (called once per new (host, seq), inside the
 * ingest transaction). Inventories replace the host's containers unless a newer one is already in.
 */
export async function applyAgentEvent(c: Q, host: string, e: AgentEvent): Promise<void> {
  switch (e.type) {
    case "inventory":
      // a late, older inventory must not replace a newer one
      await c.query(
        "UPDATE hosts SET containers = $1, inventory_seq = $2 WHERE host = $3 AND inventory_seq < $2",
        [JSON.stringify(e.containers), e.seq, host],
      );
      return;
    case "detection":
      await c.query(
        "INSERT INTO detections (host, seq, at, detection) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [host, e.seq, e.at, JSON.stringify(e.detection)],
      );
      return;
    case "alert":
      await c.query(
        "INSERT INTO alerts (id, host, at, alert) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [e.alert.id, host, e.at, JSON.stringify(e.alert)],
      );
      return;
    case "approval-request":
      await c.query(
        `INSERT INTO approvals (id, host, request, requested_at, state) VALUES ($1, $2, $3, $4, 'pending')
         ON CONFLICT DO NOTHING`,
        [e.approval.id, host, JSON.stringify(e.approval), e.approval.requestedAt],
      );
      return;
    case "approval-settled": {
      // settled on the agent: nothing left to deliver; a human's recorded decision stays as it was
      const decision =
        e.state === "expired"
          ? null
          : JSON.stringify({
              id: e.id,
              verdict: e.state === "approved" ? "approve" : "deny",
              by: e.by ?? "agent",
              at: e.at,
            });
      await c.query(
        `UPDATE approvals SET state = $1, delivered = true, decision = COALESCE(decision, $2::jsonb)
         WHERE id = $3 AND host = $4`,
        [e.state, decision, e.id, host],
      );
      return;
    }
    case "action":
      return; // kept in agent_events
  }
}
