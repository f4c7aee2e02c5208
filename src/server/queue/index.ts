import { PgStore } from "../store/postgres.js";
import { SqliteStore } from "../store/sqlite.js";
import type { ServerStore } from "../store/types.js";
import { LocalQueue } from "./local.js";
import { PgBossQueue } from "./pgboss.js";
import type { JobQueue } from "./types.js";

export { LocalQueue, type LocalQueueOptions } from "./local.js";
export { PgBossQueue, type PgBossQueueOptions, SCAN_QUEUE } from "./pgboss.js";
export type * from "./types.js";

export interface QueueOptions {
  /** idle poll period of workers */
  pollMs?: number;
  /** local queue: how long a claim holds without renewal (default 60 s, or expireInSeconds) */
  leaseMs?: number;
  /** job timeout: a job whose worker died is retried after this long (pg-boss; default 900) */
  expireInSeconds?: number;
  /** retries after the first attempt (default 2) */
  retryLimit?: number;
  retryDelaySeconds?: number;
}

/**
 * The queue that goes with a store: in-process on SQLite (jobs in the same file), pg-boss on
 * PostgreSQL (`databaseUrl` is the store's URL; pg-boss keeps its tables in the `pgboss` schema).
 */
export async function openQueue(
  store: ServerStore,
  databaseUrl: string | undefined,
  o: QueueOptions = {},
): Promise<JobQueue> {
  const retry = {
    ...(o.retryLimit !== undefined ? { retryLimit: o.retryLimit } : {}),
    ...(o.retryDelaySeconds !== undefined ? { retryDelaySeconds: o.retryDelaySeconds } : {}),
  };
  if (store instanceof SqliteStore) {
    const lease = o.leaseMs ?? (o.expireInSeconds !== undefined ? o.expireInSeconds * 1000 : undefined);
    return new LocalQueue(store, {
      ...retry,
      ...(lease !== undefined ? { leaseMs: lease } : {}),
      ...(o.pollMs !== undefined ? { pollIntervalMs: o.pollMs } : {}),
    });
  }
  if (store instanceof PgStore)
    return PgBossQueue.open(store, databaseUrl ?? store.url, {
      ...retry,
      ...(o.expireInSeconds !== undefined ? { expireInSeconds: o.expireInSeconds } : {}),
      // pg-boss polls at most every 0.5 s
      ...(o.pollMs !== undefined ? { pollingIntervalSeconds: Math.max(0.5, o.pollMs / 1000) } : {}),
    });
  throw new Error(`openQueue: no queue for a ${store.kind} store`);
}
