import { hostname } from "node:os";
import type { Command } from "commander";
import { AirbagError } from "../model/index.js";
import { openQueue } from "../server/queue/index.js";
import { runScanJob } from "../server/scan-job.js";
import { openStore, redactUrl } from "../server/store/index.js";
import { restrictUmask, warnIfRoot } from "./privileges.js";
import type { GlobalFlags } from "./run.js";

interface WorkerFlags {
  database: string;
  db?: string;
  concurrency: string;
  name?: string;
  jobTimeout?: string;
  verifyKey?: string;
  allowRoot?: boolean;
}

function positiveInt(v: string, flag: string, max: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new AirbagError("USAGE", `${flag}: "${v}" is not a whole number from 1 to ${max}`);
  return n;
}

/** one JSON line per job event on stdout: what ran where, for logs and tests */
function logLine(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...fields })}\n`);
}

/**
 * `airbag worker --database postgres://… [--db VULNDB] [--concurrency N] [--name NAME]`: takes scan
 * jobs from the server's queue and stores the results, until SIGTERM / SIGINT (jobs already started
 * are finished and recorded first).
 */
export function registerWorker(program: Command, flags: () => GlobalFlags): void {
  program
    .command("worker")
    .description(
      "run scan jobs from the `airbag serve` queue (PostgreSQL: any number of workers on any machines)",
    )
    .requiredOption(
      "--database <url>",
      "the server's store: postgres://… (or sqlite:FILE on the server's host)",
    )
    .option("--db <file>", "vulnerability database (default $AIRBAG_DB, then the XDG cache)")
    .option("--concurrency <n>", "jobs this process runs at once", "1")
    .option("--name <name>", "worker name shown on jobs (default host:pid)")
    .option("--job-timeout <seconds>", "a job silent this long is considered lost and retried (default 900)")
    .option("--verify-key <file>", "cosign public key: record whether registry images are signed")
    .option("--allow-root", "run as root without the warning (it needs no privileges)")
    .action(async (opts: WorkerFlags) => {
      restrictUmask();
      warnIfRoot("worker", opts.allowRoot);
      const concurrency = positiveInt(opts.concurrency, "--concurrency", 256);
      const expireInSeconds = opts.jobTimeout
        ? positiveInt(opts.jobTimeout, "--job-timeout", 86_400)
        : undefined;
      const name = opts.name?.trim() || `${hostname()}:${process.pid}`;
      const store = await openStore(opts.database);
      const queue = await openQueue(store, opts.database, expireInSeconds ? { expireInSeconds } : {});
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      const verbose = flags().verbose;
      logLine({
        worker: name,
        event: "ready",
        queue: queue.kind,
        database: redactUrl(opts.database),
        concurrency,
      });
      try {
        await queue.work(
          name,
          async (job) => {
            const started = Date.now();
            logLine({ worker: name, event: "start", job: job.id, target: job.target, attempt: job.attempts });
            try {
              const r = await runScanJob(job, {
                store,
                ...(opts.db ? { dbPath: opts.db } : {}),
                ...(opts.verifyKey ? { verifyKey: opts.verifyKey } : {}),
                scanOptions: verbose ? { onWarning: (m) => console.error(`airbag: warning: ${m}`) } : {},
              });
              logLine({
                worker: name,
                event: "done",
                job: job.id,
                target: job.target,
                digest: r.digest,
                ms: Date.now() - started,
              });
              return { digest: r.digest };
            } catch (err) {
              logLine({
                worker: name,
                event: "failed",
                job: job.id,
                target: job.target,
                error: (err as Error)?.message ?? String(err),
              });
              throw err;
            }
          },
          { concurrency, signal: stop.signal },
        );
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        await queue.close();
        await store.close();
        logLine({ worker: name, event: "stopped" });
      }
    });
}
