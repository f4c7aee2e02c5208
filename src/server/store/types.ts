import type {
  AgentEvent,
  AlertMessage,
  ApprovalDecisionWire,
  ApprovalRequestWire,
  Detection,
  FleetContainer,
  Report,
  SeverityCounts,
} from "../../model/index.js";

/**
 * What `airbag serve` keeps, behind one interface with two backends: embedded SQLite (default,
 * better-sqlite3) and PostgreSQL for fleets. Both apply their numbered migrations on open
 * (`schema_migrations` table) and are async so callers do not care which one they hold.
 */

export type Role = "viewer" | "operator" | "admin" | "agent";

/** A role's rights, widest last: viewer reads; operator also approves/denies; admin changes policies and tokens. */
export const ROLE_RANK: Record<Role, number> = { agent: 0, viewer: 1, operator: 2, admin: 3 };

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  /** agents: the host this token may report for ("*" = any) */
  host?: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

export interface StoredScan {
  /** image digest (manifest digest, else config digest): results are idempotent by it */
  digest: string;
  /** references it was scanned or seen under */
  refs: string[];
  scannedAt: string;
  summary: SeverityCounts;
  /** count of findings by kind (vulnerability, secret, malware, misconfig) */
  kinds: Record<string, number>;
  /** signature verification outcome when known */
  signed?: boolean;
  report?: Report;
}

export type JobState = "queued" | "running" | "done" | "failed";

export interface ScanJob {
  id: string;
  /** what to scan (a target string `airbag scan` accepts) */
  target: string;
  state: JobState;
  /** who asked: "api", "registry-notification", "admission" */
  origin: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  attempts: number;
  worker?: string;
  digest?: string;
  error?: string;
}

export interface HostRecord {
  host: string;
  agentVersion?: string;
  lastSeen: string;
  ackSeq: number;
  containers: FleetContainer[];
}

export interface AlertRecord {
  id: string;
  host: string;
  at: string;
  alert: AlertMessage;
}

export interface DetectionRecord {
  host: string;
  seq: number;
  at: string;
  detection: Detection;
}

export type ApprovalState = "pending" | "approved" | "denied" | "expired";

export interface ApprovalRow extends ApprovalRequestWire {
  host: string;
  state: ApprovalState;
  decision?: ApprovalDecisionWire;
  /** the agent reported approval-settled: the decision reached it and nothing is left to deliver */
  delivered: boolean;
}

export interface BenchRecord {
  host: string;
  at: string;
  score: number;
  percent: number;
  summary: SeverityCounts;
}

export interface TrendPoint {
  /** day, YYYY-MM-DD (UTC) */
  day: string;
  counts: SeverityCounts;
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

export interface ServerStore {
  readonly kind: "sqlite" | "postgres";
  close(): Promise<void>;

  // tokens: only a SHA-256 of the secret is kept
  createToken(t: {
    name: string;
    role: Role;
    host?: string;
  }): Promise<{ record: TokenRecord; secret: string }>;
  /** by secret; undefined when unknown or revoked; records last use */
  authenticate(secret: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string): Promise<boolean>;

  // scans, idempotent by digest (a second result for a digest replaces the first)
  putScan(scan: StoredScan): Promise<void>;
  getScan(digest: string, withReport?: boolean): Promise<StoredScan | undefined>;
  /** newest first; `minSeverity` keeps images with at least one finding at or above it */
  listScans(o?: ListOptions & { ref?: string; minSeverity?: string }): Promise<StoredScan[]>;
  /** findings per day over the last `days` days, from scan history */
  severityTrend(days: number): Promise<TrendPoint[]>;

  // scan jobs (the queue itself is queue/*.ts; the store keeps the visible record)
  putJob(job: ScanJob): Promise<void>;
  getJob(id: string): Promise<ScanJob | undefined>;
  listJobs(o?: ListOptions & { state?: JobState }): Promise<ScanJob[]>;

  // agents
  /** stores every event not seen before (by host+seq) and returns the new ackSeq */
  ingest(host: string, agentVersion: string, events: AgentEvent[]): Promise<number>;
  listHosts(): Promise<HostRecord[]>;
  getHost(host: string): Promise<HostRecord | undefined>;
  listAlerts(o?: ListOptions & { host?: string }): Promise<AlertRecord[]>;
  listDetections(o?: ListOptions & { host?: string }): Promise<DetectionRecord[]>;

  // approvals (created by agents' approval-request events)
  listApprovals(o?: ListOptions & { state?: ApprovalState; host?: string }): Promise<ApprovalRow[]>;
  getApproval(id: string): Promise<ApprovalRow | undefined>;
  /** first decision wins; returns undefined when already decided (409 for the API) */
  decideApproval(id: string, d: ApprovalDecisionWire): Promise<ApprovalRow | undefined>;
  /**
   * human decisions on the host's approvals that the agent has not yet confirmed (approval-settled):
   * sent with every report until confirmed, so an answer lost on the way costs a repeat, not the
   * decision (the agent ignores a decision it already applied)
   */
  takeDecisions(host: string): Promise<ApprovalDecisionWire[]>;

  // CIS bench results reported by agents or uploaded
  putBench(b: BenchRecord): Promise<void>;
  listBench(o?: ListOptions & { host?: string }): Promise<BenchRecord[]>;

  // fleet policy (YAML text, versioned; admin only)
  putPolicy(yaml: string, by: string): Promise<number>;
  getPolicy(): Promise<{ version: number; yaml: string; by: string; at: string } | undefined>;
}
