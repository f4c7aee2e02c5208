#!/usr/bin/env node
/**
 * A longer fuzz run than CI's, for humans: every target of test/fuzz/targets/ (or one, --parser) gets
 * --seconds of mutants over the built library (dist/; run `npm run build` first). Failing inputs are
 * written under --out and listed; copy the worth-keeping ones to test/fuzz/regressions/<corpus>/.
 *
 *   node scripts/fuzz.mjs [--parser NAME] [--seconds N] [--seed S] [--budget-ms MS] [--out DIR]
 */
import { existsSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { runFuzz } from "../test/fuzz/engine/run.mjs";

const { values } = parseArgs({
  options: {
    parser: { type: "string" },
    seconds: { type: "string", default: "60" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
    "budget-ms": { type: "string", default: "2000" },
    out: { type: "string", default: "fuzz-failures" },
  },
});
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const budgetMs = Number(values["budget-ms"]);
if (!(seconds > 0) || !Number.isInteger(seed) || !(budgetMs > 0)) {
  console.error("fuzz: --seconds and --budget-ms must be positive numbers, --seed an integer");
  process.exit(2);
}
if (!existsSync(new URL("../dist/index.js", import.meta.url))) {
  console.error("fuzz: dist/ missing: run `npm run build` first");
  process.exit(2);
}

const dir = new URL("../test/fuzz/targets/", import.meta.url);
const all = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".mjs") && f !== "common.mjs")
  .sort()) {
  const module = new URL(file, dir).href;
  for (const t of (await import(module)).targets) all.push({ module, name: t.name, budgetMs: t.budgetMs });
}
const chosen = values.parser ? all.filter((t) => t.name === values.parser) : all;
if (chosen.length === 0) {
  console.error(`fuzz: no target ${values.parser}; targets: ${all.map((t) => t.name).join(", ")}`);
  process.exit(2);
}

console.log(`fuzz: seed ${seed}, ${seconds} s per target, ${chosen.length} targets`);
let failed = 0;
for (const t of chosen) {
  const until = Date.now() + seconds * 1000;
  const total = { inputs: 0, rejected: 0, slowestMs: 0, failures: [] };
  // batches of 200 continue the same mutant sequence until the time is up
  for (let start = 0; Date.now() < until; start += 200) {
    const s = await runFuzz({
      targetsModule: t.module,
      parser: t.name,
      seed,
      start,
      count: 200,
      budgetMs: t.budgetMs ?? budgetMs,
      failuresDir: values.out,
    });
    total.inputs += s.inputs;
    total.rejected += s.rejected;
    total.slowestMs = Math.max(total.slowestMs, s.slowestMs);
    total.failures.push(...s.failures);
    if (total.failures.length >= 20) break;
  }
  failed += total.failures.length;
  console.log(
    `${t.name}: ${total.inputs} inputs, ${total.rejected} rejected cleanly, slowest ${total.slowestMs.toFixed(0)} ms, ${total.failures.length} failures`,
  );
  for (const f of total.failures)
    console.log(`  #${f.index} ${f.kind}: ${f.error.split("\n")[0]}\n    ${f.file}`);
}
process.exit(failed > 0 ? 1 : 0);
