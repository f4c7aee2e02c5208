import { parentPort, workerData } from "node:worker_threads";
import { loadCorpus, REGRESSIONS_DIR } from "./corpus.mjs";
import { mutant } from "./mutate.mjs";

/**
 * Runs one parser over mutants [from, to) and reports each input's start and outcome to the watchdog
 * in the parent. A synchronous hang never yields, so only the parent can notice it: that is why this
 * is a worker and not a loop in the test itself.
 */
const { targetsModule, parser, seed, from, to } = workerData;
const mod = await import(targetsModule);
const targets = mod.targets;
const target = targets.find((t) => t.name === parser);
if (!target) throw new Error(`no fuzz target ${parser} in ${targetsModule}`);
const seeds = loadCorpus(target.corpus, target.regression ? REGRESSIONS_DIR : undefined);
if (seeds.length === 0) throw new Error(`empty corpus ${target.corpus}`);
const heapStart = process.memoryUsage().heapUsed;
let maxHeap = 0;
for (let i = from; i < to; i++) {
  const input = mutant(seed, i, seeds, target.kind);
  parentPort.postMessage({ type: "start", index: i });
  const t0 = performance.now();
  let outcome = "ok";
  try {
    await target.run(input);
  } catch (err) {
    if (!target.clean(err) || (i < seeds.length && !target.seedsMayFail)) {
      parentPort.postMessage({
        type: "crash",
        index: i,
        error: `${err?.name ?? typeof err}: ${String(err?.message ?? err).slice(0, 300)}`,
        stack: String(err?.stack ?? "")
          .split("\n")
          .slice(1, 6)
          .join("\n"),
      });
      outcome = "crash";
    } else outcome = "rejected";
  }
  const ms = performance.now() - t0;
  if (i % 25 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed - heapStart);
  parentPort.postMessage({ type: "done", index: i, ms, outcome });
}
const heapEnd = process.memoryUsage().heapUsed - heapStart;
// targets holding resources (a server, a temp dir) release them; a terminated worker cannot
await mod.teardown?.();
parentPort.postMessage({ type: "finished", heapGrowth: heapEnd, maxHeap });
