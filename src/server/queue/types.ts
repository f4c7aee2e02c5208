import type { ScanJob } from "../store/types.js";

/**
 * Scan jobs: in-process on SQLite, pg-boss on PostgreSQL so `airbag worker` processes on many machines
 * share one queue. Guarantees both give: a target is never scanned by two workers at once (a second
 * enqueue of a queued/running target returns the existing job), a job whose worker died is retried,
 * and results are stored idempotently by image digest.
 */

export interface JobResult {
  digest: string;
}

export type JobHandler = (job: ScanJob) => Promise<JobResult>;

export interface WorkOptions {
  /** jobs this process runs at once (default 1) */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface JobQueue {
  readonly kind: "local" | "pg-boss";
  enqueue(target: string, origin: string): Promise<ScanJob>;
  /** consume jobs until the signal aborts (resolves then) */
  work(worker: string, handler: JobHandler, o?: WorkOptions): Promise<void>;
  close(): Promise<void>;
}
