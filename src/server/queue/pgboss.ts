import pg from "pg";
import PgBoss from "pg-boss";
import { newJobId } from "../store/common.js";
import type { PgStore } from "../store/postgres.js";
import type { ScanJob } from "../store/types.js";
import type { JobHandler, JobQueue, WorkOptions } from "./types.js";

/**
 * The fleet queue on PostgreSQL: pg-boss 10 (queue `airbag-scan`) delivers jobs to `airbag worker`
 * processes on any machine, expires the job of a worker that died (`expireInSeconds`) and retries it
 * (`retryLimit`). Around it:
 *  - enqueue inserts the visible job row (store `jobs`, unique per live target) and the pg-boss job in
 *    ONE transaction, so a target is never queued twice and the two never disagree;
 *  - a worker holds a session advisory lock on the target while it scans: a job retried because its
 *    first worker was only slow (not dead) waits for it instead of scanning the same target twice at
 *    once; a killed worker's connection closes and PostgreSQL drops its lock with it;
 *  - every state change is mirrored into the store's `jobs` row (putJob) for the API and dashboard.
 */

export const SCAN_QUEUE = "airbag-scan";

export interface PgBossQueueOptions {
  /** a job running longer than this is considered lost (its worker died) and retried */
  expireInSeconds?: number;
  /** retries after the first attempt */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** how often an idle worker asks for work */
  pollingIntervalSeconds?: number;
}

interface JobData {
  target: string;
  origin: string;
}

const LOCK_WAIT_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PgBossQueue implements JobQueue {
  readonly kind = "pg-boss" as const;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly store: PgStore,
    private readonly boss: PgBoss,
    private readonly o: Required<PgBossQueueOptions>,
  ) {}

  static async open(store: PgStore, url: string, opts: PgBossQueueOptions = {}): Promise<PgBossQueue> {
    const o: Required<PgBossQueueOptions> = {
      expireInSeconds: opts.expireInSeconds ?? 900,
      retryLimit: opts.retryLimit ?? 2,
      retryDelaySeconds: opts.retryDelaySeconds ?? 5,
      pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1,
    };
    const boss = new PgBoss({
      connectionString: url,
      schema: "pgboss",
      max: 4,
      // expired jobs are found by maintenance: run it often enough that a lost job waits ~1/4 extra
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(o.expireInSeconds / 4))),
    });
    boss.on("error", (err) => process.emitWarning(`pg-boss: ${err.message}`));
    await boss.start();
    await boss.createQueue(SCAN_QUEUE, {
      name: SCAN_QUEUE,
      policy: "short", // at most one *queued* job per singletonKey (= target)
      retryLimit: o.retryLimit,
      retryDelay: o.retryDelaySeconds,
      expireInSeconds: o.expireInSeconds,
    });
    return new PgBossQueue(store, boss, o);
  }

  async enqueue(target: string, origin: string): Promise<ScanJob> {
    const c = await this.store.pool.connect();
    try {
      await c.query("BEGIN");
      // serialise enqueues of the same target across processes
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))", [target]);
      const live = await c.query("SELECT id FROM jobs WHERE target = $1 AND state IN ('queued', 'running')", [
        target,
      ]);
      if (live.rows[0]) {
        const id = live.rows[0].id as string;
        if (await this.bossJobLive(id)) {
          await c.query("COMMIT");
          return (await this.store.getJob(id))!;
        }
        // pg-boss gave up on it (retries exhausted after expiry) without anyone to mirror that
        await c.query("UPDATE jobs SET state = 'failed', finished_at = now(), error = $2 WHERE id = $1", [
          id,
          "lost: no attempt left",
        ]);
      }
      const job: ScanJob = {
        id: newJobId(),
        target,
        state: "queued",
        origin,
        createdAt: new Date().toISOString(),
        attempts: 0,
      };
      await this.store.putJob(job, c);
      const sent = await this.boss.send(SCAN_QUEUE, { target, origin } satisfies JobData, {
        id: job.id,
        singletonKey: target,
        retryLimit: this.o.retryLimit,
        retryDelay: this.o.retryDelaySeconds,
        expireInSeconds: this.o.expireInSeconds,
        db: { executeSql: (text: string, values: unknown[]) => c.query(text, values) },
      });
      if (!sent) throw new Error(`pg-boss refused job for ${target}: one is already queued`);
      await c.query("COMMIT");
      return job;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async bossJobLive(id: string): Promise<boolean> {
    const j = await this.boss.getJobById(SCAN_QUEUE, id, { includeArchive: true });
    return !!j && ["created", "retry", "active"].includes(j.state);
  }

  async work(worker: string, handler: JobHandler, o: WorkOptions = {}): Promise<void> {
    if (o.signal?.aborted) return;
    const slots = Math.max(1, Math.trunc(o.concurrency ?? 1));
    const ids: string[] = [];
    for (let i = 0; i < slots; i++) {
      let id: string | undefined;
      id = await this.boss.work<JobData>(
        SCAN_QUEUE,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.o.pollingIntervalSeconds },
        async ([job]) => {
          const p = this.runOne(worker, job!, handler);
          this.inFlight.add(p);
          try {
            return await p;
          } finally {
            this.inFlight.delete(p);
            // a worker that just finished a job asks again at once instead of sleeping a poll period
            if (id && !o.signal?.aborted) this.boss.notifyWorker(id);
          }
        },
      );
      ids.push(id);
    }
    await new Promise<void>((resolve) =>
      o.signal?.addEventListener("abort", () => resolve(), { once: true }),
    );
    for (const id of ids) await this.boss.offWork({ id });
    // let jobs already started finish (and be recorded) before the caller closes the queue
    await Promise.allSettled([...this.inFlight]);
  }

  private async runOne(worker: string, j: PgBoss.JobWithMetadata<JobData>, handler: JobHandler) {
    const lock = new pg.Client({ connectionString: this.store.url });
    lock.on("error", () => {});
    await lock.connect();
    try {
      // another worker may still be scanning this target (a slow job pg-boss expired): wait for it
      while (
        !(await lock.query("SELECT pg_try_advisory_lock(hashtextextended($1, 2)) AS ok", [j.data.target]))
          .rows[0].ok
      )
        await sleep(LOCK_WAIT_MS);
      const seen = await this.store.getJob(j.id);
      if (seen?.state === "done" && seen.digest) return { digest: seen.digest }; // the slow one finished it
      const job: ScanJob = {
        id: j.id,
        target: j.data.target,
        origin: j.data.origin,
        createdAt: seen?.createdAt ?? j.createdOn.toISOString(),
        state: "running",
        attempts: j.retryCount + 1,
        worker,
        startedAt: new Date().toISOString(),
      };
      await this.store.putJob(job);
      try {
        const result = await handler(job);
        await this.store.putJob({
          ...job,
          state: "done",
          digest: result.digest,
          finishedAt: new Date().toISOString(),
        });
        return result;
      } catch (err) {
        const last = j.retryCount >= j.retryLimit;
        const message = (err as Error)?.message ?? String(err);
        await this.store.putJob({
          ...job,
          state: last ? "failed" : "queued",
          error: message,
          ...(last ? { finishedAt: new Date().toISOString() } : {}),
        });
        throw err;
      }
    } finally {
      await lock.end().catch(() => {}); // also releases the advisory lock
    }
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }
}
