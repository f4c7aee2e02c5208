import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeFailures, runFuzz } from "./engine/run.mjs";

/**
 * One `it` per target of a targets module: seeded mutants of its corpus, each under a 2 s budget in a
 * heap-capped worker. The targets import dist/, so CI's `npm test` (build first) tests what ships.
 */
export function fuzzSuite(
  family: string,
  options: { count?: number; seed?: number; skip?: string[]; regressionsOnly?: boolean } = {},
) {
  const module = new URL(`./targets/${family}.mjs`, import.meta.url);
  describe(`fuzz${options.regressionsOnly ? " regressions" : ""}: ${family}`, async () => {
    if (!existsSync(new URL("../../dist/index.js", import.meta.url)))
      throw new Error("dist/ missing: run `npm run build` first");
    const { targets } = (await import(module.href)) as {
      targets: { name: string; budgetMs?: number; regression?: boolean }[];
    };
    for (const { name, budgetMs, regression } of targets) {
      // regression targets replay found inputs: they run in regressions.test.ts, not in the families
      if (options.skip?.includes(name) || Boolean(regression) !== Boolean(options.regressionsOnly)) continue;
      it(name, async () => {
        const s = await runFuzz({
          targetsModule: module.href,
          parser: name,
          budgetMs: budgetMs ?? 2000,
          seed: options.seed ?? 20261129,
          count: options.count ?? 120,
        });
        expect(describeFailures(s)).toBe("");
        expect(s.inputs).toBe(options.count ?? 120);
        expect(s.slowestMs).toBeLessThan(budgetMs ?? 2000);
      });
    }
  });
}
