import type { ApprovalDecisionWire, SeverityCounts } from "../../model/index.js";
import { iso, isoOrUndef } from "./common.js";
import type { ApprovalRow, ApprovalState, HostRecord, Role, StoredScan, TokenRecord } from "./types.js";

/** PostgreSQL rows → store records (pg hands JSONB over parsed, timestamptz as Date, bigint as text). */

export type Row = Record<string, unknown>;

export function tokenFromRow(r: Row): TokenRecord {
  const t: TokenRecord = {
    id: r.id as string,
    name: r.name as string,
    role: r.role as Role,
    createdAt: iso(r.created_at as Date),
  };
  if (r.host !== null) t.host = r.host as string;
  const used = isoOrUndef(r.last_used_at as Date | null);
  const revoked = isoOrUndef(r.revoked_at as Date | null);
  if (used) t.lastUsedAt = used;
  if (revoked) t.revokedAt = revoked;
  return t;
}

export function scanFromRow(r: Row, withReport: boolean): StoredScan {
  const s: StoredScan = {
    digest: r.digest as string,
    refs: r.refs as string[],
    scannedAt: iso(r.scanned_at as Date),
    summary: r.summary as SeverityCounts,
    kinds: r.kinds as Record<string, number>,
  };
  if (r.signed !== null && r.signed !== undefined) s.signed = r.signed as boolean;
  if (withReport && r.report) s.report = r.report as StoredScan["report"];
  return s;
}

export function hostFromRow(r: Row): HostRecord {
  const h: HostRecord = {
    host: r.host as string,
    lastSeen: iso(r.last_seen as Date),
    ackSeq: Number(r.ack_seq),
    containers: r.containers as HostRecord["containers"],
  };
  if (r.agent_version) h.agentVersion = r.agent_version as string;
  return h;
}

export function approvalFromRow(r: Row): ApprovalRow {
  const row: ApprovalRow = {
    ...(r.request as ApprovalRow),
    host: r.host as string,
    state: r.state as ApprovalState,
    delivered: r.delivered as boolean,
  };
  if (r.decision) row.decision = r.decision as ApprovalDecisionWire;
  return row;
}
