import type {
  ApprovalRow,
  ApprovalState,
  HostRecord,
  Role,
  ScanJob,
  StoredScan,
  TokenRecord,
} from "./types.js";

/** SQLite rows → store records (JSON columns are TEXT here), and a job → statement parameters. */

export type Row = Record<string, unknown>;
export const parse = <T>(v: unknown): T => JSON.parse(v as string) as T;

export function jobParams(job: ScanJob) {
  return {
    id: job.id,
    target: job.target,
    state: job.state,
    origin: job.origin,
    createdAt: job.createdAt,
    startedAt: job.startedAt ?? null,
    finishedAt: job.finishedAt ?? null,
    attempts: job.attempts,
    worker: job.worker ?? null,
    digest: job.digest ?? null,
    error: job.error ?? null,
  };
}

export function tokenFromRow(r: Row): TokenRecord {
  const t: TokenRecord = {
    id: r.id as string,
    name: r.name as string,
    role: r.role as Role,
    createdAt: r.created_at as string,
  };
  if (r.host !== null) t.host = r.host as string;
  if (r.last_used_at) t.lastUsedAt = r.last_used_at as string;
  if (r.revoked_at) t.revokedAt = r.revoked_at as string;
  return t;
}

export function scanFromRow(r: Row, withReport: boolean): StoredScan {
  const s: StoredScan = {
    digest: r.digest as string,
    refs: parse(r.refs),
    scannedAt: r.scanned_at as string,
    summary: parse(r.summary),
    kinds: parse(r.kinds),
  };
  if (r.signed !== null && r.signed !== undefined) s.signed = r.signed === 1;
  if (withReport && r.report) s.report = parse(r.report);
  return s;
}

export function hostFromRow(r: Row): HostRecord {
  const h: HostRecord = {
    host: r.host as string,
    lastSeen: r.last_seen as string,
    ackSeq: r.ack_seq as number,
    containers: parse(r.containers),
  };
  if (r.agent_version) h.agentVersion = r.agent_version as string;
  return h;
}

export function approvalFromRow(r: Row): ApprovalRow {
  const row: ApprovalRow = {
    ...parse<ApprovalRow>(r.request),
    host: r.host as string,
    state: r.state as ApprovalState,
    delivered: r.delivered === 1,
  };
  if (r.decision) row.decision = parse(r.decision);
  return row;
}
