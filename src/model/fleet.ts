import type { Severity } from "./finding.js";
import type { ActionOutcome, AlertMessage, ContainerRef, Detection } from "./policy.js";

/**
 * The wire between `airbag monitor --server URL --token T` (an agent on one host) and `airbag serve`.
 * The agent appends every event to a local spool with a per-host sequence number and POSTs batches to
 * `POST /api/v1/agents/report`; the server stores each (host, seq) once and answers with the highest
 * seq it holds, which is what the agent may drop from its spool. A server that is down costs nothing
 * but delay: the spool keeps everything until acknowledged.
 */

/** A running container as the agent last saw it. */
export interface FleetContainer extends ContainerRef {
  state: string;
  /** image digest (repo digest or image id), for matching against stored scans */
  imageDigest?: string;
  startedAt?: string;
  privileged?: boolean;
}

export interface ApprovalRequestWire {
  id: string;
  rule: string;
  detection: Detection;
  actions: { type: string; params?: Record<string, unknown> }[];
  requestedAt: string;
  expiresAt: string;
  onTimeout: "approve" | "deny";
}

export type AgentEvent =
  | { seq: number; at: string; type: "inventory"; containers: FleetContainer[] }
  | { seq: number; at: string; type: "detection"; detection: Detection }
  | { seq: number; at: string; type: "alert"; alert: AlertMessage }
  | { seq: number; at: string; type: "action"; container: string; outcome: ActionOutcome }
  | { seq: number; at: string; type: "approval-request"; approval: ApprovalRequestWire }
  | {
      seq: number;
      at: string;
      type: "approval-settled";
      id: string;
      state: "approved" | "denied" | "expired";
      by?: string;
    };

export interface AgentReport {
  host: string;
  agentVersion: string;
  events: AgentEvent[];
}

/** A decision a human took on the server, for the agent that owns the approval to carry out. */
export interface ApprovalDecisionWire {
  id: string;
  verdict: "approve" | "deny";
  by: string;
  reason?: string;
  at: string;
}

export interface AgentReportResponse {
  /** highest seq the server has stored for this host: the agent drops its spool up to here */
  ackSeq: number;
  /** decisions on this host's approvals not yet delivered */
  decisions: ApprovalDecisionWire[];
}

/** Counts by severity, the shape stored scans and hosts summarise to. */
export type SeverityCounts = Record<Severity, number>;
