import { createHash, randomBytes, randomUUID } from "node:crypto";
import { inputError, SEVERITIES, type Severity, type SeverityCounts } from "../../model/index.js";
import type { ApprovalState, JobState, ScanJob, TrendPoint } from "./types.js";

/** What both store backends share: token secrets, severity ranks, trend folding, input checks. */

/** `abt_` + 32 random bytes (base64url): recognisable in logs and secret scanners, never stored. */
export function newTokenSecret(): string {
  return `abt_${randomBytes(32).toString("base64url")}`;
}

export const newTokenId = (): string => `tok_${randomBytes(8).toString("hex")}`;
export const newJobId = (): string => randomUUID();

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

/** Rank of the worst severity with a non-zero count, -1 when there are no findings at all. */
export function worstRank(summary: Partial<SeverityCounts>): number {
  let worst = -1;
  for (const s of SEVERITIES) if ((summary[s] ?? 0) > 0) worst = Math.max(worst, RANK[s]);
  return worst;
}

/** `--severity`-style filter value → the minimum rank, or an input error naming the field. */
export function minSeverityRank(s: string): number {
  const v = s.trim().toLowerCase() as Severity;
  if (!(v in RANK)) throw inputError(`severity: unknown severity "${s}" (use ${SEVERITIES.join(", ")})`);
  return RANK[v];
}

export const zeroCounts = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });

export const JOB_STATES: readonly JobState[] = ["queued", "running", "done", "failed"];
export const APPROVAL_STATES: readonly ApprovalState[] = ["pending", "approved", "denied", "expired"];

export function checkState<T extends string>(
  value: T | undefined,
  allowed: readonly T[],
  field: string,
): void {
  if (value !== undefined && !allowed.includes(value))
    throw inputError(`${field}: unknown state "${value}" (use ${allowed.join(", ")})`);
}

/** limit/offset with sane bounds (API callers pass user input straight through) */
export function page(o: { limit?: number; offset?: number } | undefined): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(o?.limit ?? 100), 1), 1000);
  const offset = Math.max(Math.trunc(o?.offset ?? 0), 0);
  return { limit: Number.isFinite(limit) ? limit : 100, offset: Number.isFinite(offset) ? offset : 0 };
}

/** escape a user string for `LIKE … ESCAPE '\'` */
export const likeContains = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The window of a trend: `days` whole UTC days ending today. Returns the first day's start (ISO) and
 * the day labels, oldest first.
 */
export function trendWindow(days: number, now = Date.now()): { since: string; labels: string[] } {
  const n = Math.min(Math.max(Math.trunc(days), 1), 3660);
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const first = today - (n - 1) * DAY_MS;
  const labels = Array.from({ length: n }, (_, i) => dayOf(first + i * DAY_MS));
  return { since: new Date(first).toISOString(), labels };
}

/**
 * Fold scan history into per-day totals: each day shows the findings of every image as of the end of
 * that day (its latest scan so far), so a fixed image drops out and a rescan does not double count.
 * `before` = each digest's latest scan before the window; `inWindow` = scans inside it, oldest first.
 */
export function foldTrend(
  labels: string[],
  before: { digest: string; summary: SeverityCounts }[],
  inWindow: { digest: string; scannedAt: string; summary: SeverityCounts }[],
): TrendPoint[] {
  const current = new Map(before.map((b) => [b.digest, b.summary]));
  const out: TrendPoint[] = [];
  let i = 0;
  for (const day of labels) {
    while (i < inWindow.length && inWindow[i]!.scannedAt.slice(0, 10) <= day) {
      current.set(inWindow[i]!.digest, inWindow[i]!.summary);
      i++;
    }
    const counts = zeroCounts();
    for (const s of current.values()) for (const k of SEVERITIES) counts[k] += s[k] ?? 0;
    out.push({ day, counts });
  }
  return out;
}

/** A job row in either backend, JSON-free: maps straight to ScanJob. */
export interface JobRow {
  id: string;
  target: string;
  state: string;
  origin: string;
  created_at: string | Date;
  started_at: string | Date | null;
  finished_at: string | Date | null;
  attempts: number;
  worker: string | null;
  digest: string | null;
  error: string | null;
}

export const iso = (v: string | Date): string => (typeof v === "string" ? v : v.toISOString());
export const isoOrUndef = (v: string | Date | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : iso(v);

export function jobFromRow(r: JobRow): ScanJob {
  const job: ScanJob = {
    id: r.id,
    target: r.target,
    state: r.state as JobState,
    origin: r.origin,
    createdAt: iso(r.created_at),
    attempts: Number(r.attempts),
  };
  const startedAt = isoOrUndef(r.started_at);
  const finishedAt = isoOrUndef(r.finished_at);
  if (startedAt) job.startedAt = startedAt;
  if (finishedAt) job.finishedAt = finishedAt;
  if (r.worker) job.worker = r.worker;
  if (r.digest) job.digest = r.digest;
  if (r.error) job.error = r.error;
  return job;
}

/** approval state an agent's verdict leads to */
export const stateOfVerdict = (v: "approve" | "deny"): ApprovalState =>
  v === "approve" ? "approved" : "denied";

/** the URL without its password, for messages */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    // libpq also takes the password (and the client key's passphrase) as query parameters
    for (const k of ["password", "sslpassword"]) if (u.searchParams.has(k)) u.searchParams.set(k, "***");
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
