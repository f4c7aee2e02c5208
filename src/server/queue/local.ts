import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { type JobRow, jobFromRow, newJobId } from "../store/common.js";
import type { SqliteStore } from "../store/sqlite.js";
import type { ScanJob } from "../store/types.js";
import type { JobHandler, JobQueue, WorkOptions } from "./types.js";

/**
 * The in-process queue of `airbag serve` on SQLite: jobs are rows of the store's `jobs` table (the
 * same file), claimed by one conditional UPDATE, so the visible record and the queue never disagree.
 * A claim is a lease the worker renews while it runs; a job whose lease ran out (worker hung or gone)
 * or whose owning process on this host is dead is queued again, up to `retryLimit` retries. A partial
 * unique index keeps one live (queued or running) job per target.
 */

export interface LocalQueueOptions {
  /** how long a claim holds without renewal (renewed every third of it while the job runs) */
  leaseMs?: number;
  /** attempts after the first before a job is marked failed */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** idle poll period; an enqueue in this process wakes idle workers at once */
  pollIntervalMs?: number;
}

type Row = JobRow & { owner: string | null; lease_until: string | null };

const OWNER_PREFIX = `${hostname()}:`;
const OWNER = `${OWNER_PREFIX}${process.pid}`;
const iso = (ms = Date.now()) => new Date(ms).toISOString();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class LocalQueue implements JobQueue {
  readonly kind = "local" as const;
  private readonly wake = new EventEmitter();
  private readonly lease: number;
  private readonly retryLimit: number;
  private readonly retryDelay: number;
  private readonly poll: number;

  constructor(
    private readonly store: SqliteStore,
    o: LocalQueueOptions = {},
  ) {
    this.lease = o.leaseMs ?? 60_000;
    this.retryLimit = o.retryLimit ?? 2;
    this.retryDelay = (o.retryDelaySeconds ?? 5) * 1000;
    this.poll = o.pollIntervalMs ?? 500;
    this.wake.setMaxListeners(0);
    this.recoverDeadOwners();
  }

  private get db() {
    return this.store.db;
  }

  /** jobs left running by a process of this host that no longer exists go back to the queue now */
  private recoverDeadOwners(): void {
    const running = this.db.prepare("SELECT id, owner FROM jobs WHERE state = 'running'").all() as Row[];
    for (const r of running) {
      if (!r.owner?.startsWith(OWNER_PREFIX)) continue; // another host's: its lease decides
      const pid = Number(r.owner.slice(OWNER_PREFIX.length));
      if (pid !== process.pid && !processAlive(pid)) this.release(r.id, "worker process died");
    }
  }

  /** a running job whose worker is gone: queue it again, or fail it when out of retries */
  private release(id: string, why: string): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = CASE WHEN attempts > ? THEN 'failed' ELSE 'queued' END,
           finished_at = CASE WHEN attempts > ? THEN ? ELSE NULL END,
           error = ?, owner = NULL, lease_until = NULL WHERE id = ? AND state = 'running'`,
      )
      .run(this.retryLimit, this.retryLimit, iso(), why, id);
  }

  async enqueue(target: string, origin: string): Promise<ScanJob> {
    const job = this.db
      .transaction((): ScanJob => {
        const live = this.db
          .prepare("SELECT * FROM jobs WHERE target = ? AND state IN ('queued', 'running')")
          .get(target) as Row | undefined;
        if (live) return jobFromRow(live);
        const fresh: ScanJob = {
          id: newJobId(),
          target,
          state: "queued",
          origin,
          createdAt: iso(),
          attempts: 0,
        };
        this.db
          .prepare(
            "INSERT INTO jobs (id, target, state, origin, created_at, attempts) VALUES (?, ?, ?, ?, ?, 0)",
          )
          .run(fresh.id, target, fresh.state, origin, fresh.createdAt);
        return fresh;
      })
      .immediate();
    this.wake.emit("job");
    return job;
  }

  /** take the oldest runnable job, or undefined */
  private claim(worker: string): ScanJob | undefined {
    const now = Date.now();
    const expired = this.db
      .prepare("SELECT id FROM jobs WHERE state = 'running' AND lease_until < ?")
      .all(iso(now)) as Row[];
    for (const r of expired) this.release(r.id, "lease expired (worker hung or gone)");
    const row = this.db
      .prepare(
        `UPDATE jobs SET state = 'running', worker = ?, owner = ?, started_at = ?, finished_at = NULL,
           attempts = attempts + 1, lease_until = ?, not_before = NULL
         WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND (not_before IS NULL OR not_before <= ?)
                     ORDER BY created_at, id LIMIT 1)
         RETURNING *`,
      )
      .get(worker, OWNER, iso(now), iso(now + this.lease), iso(now)) as Row | undefined;
    return row ? jobFromRow(row) : undefined;
  }

  private async run(worker: string, job: ScanJob, handler: JobHandler): Promise<void> {
    const renew = setInterval(() => {
      this.db
        .prepare("UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND worker = ?")
        .run(iso(Date.now() + this.lease), job.id, worker);
    }, this.lease / 3);
    renew.unref();
    try {
      const { digest } = await handler(job);
      this.db
        .prepare(
          `UPDATE jobs SET state = 'done', digest = ?, finished_at = ?, error = NULL, owner = NULL, lease_until = NULL
           WHERE id = ? AND state = 'running'`,
        )
        .run(digest, iso(), job.id);
    } catch (err) {
      const retry = job.attempts <= this.retryLimit;
      this.db
        .prepare(
          `UPDATE jobs SET state = ?, error = ?, finished_at = ?, not_before = ?, owner = NULL, lease_until = NULL
           WHERE id = ? AND state = 'running'`,
        )
        .run(
          retry ? "queued" : "failed",
          (err as Error)?.message ?? String(err),
          retry ? null : iso(),
          retry ? iso(Date.now() + this.retryDelay) : null,
          job.id,
        );
    } finally {
      clearInterval(renew);
    }
  }

  private idle(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.off("job", done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, this.poll);
      this.wake.once("job", done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  async work(worker: string, handler: JobHandler, o: WorkOptions = {}): Promise<void> {
    const slots = Math.max(1, Math.trunc(o.concurrency ?? 1));
    const loop = async () => {
      while (!o.signal?.aborted) {
        if (!this.db.open) return;
        const job = this.claim(worker);
        if (job) await this.run(worker, job, handler);
        else await this.idle(o.signal);
      }
    };
    await Promise.all(Array.from({ length: slots }, loop));
  }

  async close(): Promise<void> {
    this.wake.emit("job");
  }
}
