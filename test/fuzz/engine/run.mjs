import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { loadCorpus, REGRESSIONS_DIR } from "./corpus.mjs";
import { mutant } from "./mutate.mjs";

const WORKER = new URL("./worker.mjs", import.meta.url);

/**
 * Fuzz one target: mutants 0..count-1 (the first ones are the unmodified seeds) run in a worker whose
 * heap is capped; a watchdog terminates it when one input overruns `budgetMs` and carries on from the
 * next index. Every failing input is written out (path in the failure) so it can become a regression.
 *
 * @returns {Promise<{parser: string, inputs: number, ok: number, rejected: number, slowestMs: number,
 *   slowestIndex: number, failures: {index: number, kind: string, error: string, file: string}[]}>}
 */
export async function runFuzz({
  targetsModule,
  parser,
  seed = 1,
  count = 200,
  // first mutant index: a long run continues where the previous batch stopped
  start = 0,
  budgetMs = 2000,
  heapLimitMb = 256,
  // a parser that fails on every input would otherwise write (and restart a worker for) each one
  maxFailures = 10,
  failuresDir = join(tmpdir(), "airbag-fuzz-failures"),
}) {
  const summary = { parser, inputs: 0, ok: 0, rejected: 0, slowestMs: 0, slowestIndex: -1, failures: [] };
  let target;
  const save = (index, kind, error) => {
    target ??= import(targetsModule).then((m) => m.targets.find((t) => t.name === parser));
    mkdirSync(failuresDir, { recursive: true });
    const file = join(failuresDir, `${parser}-seed${seed}-${index}.bin`);
    summary.failures.push({ index, kind, error, file });
    return target.then((t) =>
      writeFileSync(
        file,
        mutant(seed, index, loadCorpus(t.corpus, t.regression ? REGRESSIONS_DIR : undefined), t.kind),
      ),
    );
  };
  const pending = [];
  let from = start;
  const end = start + count;
  while (from < end && summary.failures.length < maxFailures) {
    from = await new Promise((resolve) => {
      const worker = new Worker(WORKER, {
        workerData: { targetsModule: String(targetsModule), parser, seed, from, to: end },
        resourceLimits: { maxOldGenerationSizeMb: heapLimitMb },
        stdout: true,
        stderr: true,
      });
      let current = from;
      let timer;
      let settled = false;
      const finish = (next) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(next);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          pending.push(save(current, "hang", `no result within ${budgetMs} ms`));
          summary.inputs++;
          void worker.terminate();
          finish(current + 1);
        }, budgetMs);
      };
      worker.on("message", (m) => {
        if (m.type === "start") {
          current = m.index;
          arm();
        } else if (m.type === "crash") pending.push(save(m.index, "crash", `${m.error}\n${m.stack}`));
        else if (m.type === "done") {
          clearTimeout(timer);
          summary.inputs++;
          if (m.outcome === "ok") summary.ok++;
          else if (m.outcome === "rejected") summary.rejected++;
          if (m.ms > summary.slowestMs) {
            summary.slowestMs = m.ms;
            summary.slowestIndex = m.index;
          }
        } else if (m.type === "finished") {
          summary.maxHeapGrowthMb = Math.round(m.maxHeap / 2 ** 20);
          finish(end);
        }
      });
      // an error escaping the loop (out of heap, an unhandled rejection from a stray promise): blame the
      // input in flight and restart after it
      worker.on("error", (err) => {
        pending.push(save(current, "worker-error", String(err?.message ?? err)));
        summary.inputs++;
        finish(current + 1);
      });
      worker.on("exit", () => finish(end));
    });
  }
  await Promise.all(pending);
  return summary;
}

/** One line per failure, for assertion messages. */
export const describeFailures = (s) =>
  s.failures
    .map((f) => `${s.parser} #${f.index} ${f.kind}: ${f.error.split("\n")[0]} (input: ${f.file})`)
    .join("\n");
