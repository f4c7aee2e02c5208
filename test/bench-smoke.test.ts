import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Keeps the benchmark harness from rotting: `bench/run.js --tiny` generates a few-MB synthetic image,
 * measures it once and must write results.json / RESULTS.md in the BRIEF.md contract. Needs dist/
 * (`npm test` builds first).
 */

const ROOT = resolve(import.meta.dirname, "..");

interface Row {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
  runs: number;
  peakRssMB: number;
}

describe("bench harness (tiny mode)", () => {
  let out: string;
  let rows: Row[];
  let md: string;
  let log: string;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, "dist", "index.js")))
      throw new Error("dist/ missing: run `npm run build` first");
    out = await mkdtemp(join(tmpdir(), "airbag-bench-smoke-"));
    const r = await promisify(execFile)(process.execPath, ["bench/run.js", "--tiny", "--out", out], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
    log = r.stdout;
    rows = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as Row[];
    md = await readFile(join(out, "RESULTS.md"), "utf8");
  }, 180_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("writes every catalog figure with the contract's fields", () => {
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "catalog.time",
        "catalog.time-vs-gnu-tar",
        "catalog.time-vs-gunzip",
        "catalog.cpu",
        "catalog.time-half",
        "catalog.peak-rss",
      ]),
    );
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(
        ["baseline", "baselineValue", "name", "peakRssMB", "ratio", "runs", "unit", "value"].sort(),
      );
      expect(typeof r.baseline).toBe("string");
      expect(r.runs).toBe(1);
      for (const k of ["value", "baselineValue", "ratio", "peakRssMB"] as const) {
        expect(Number.isFinite(r[k]), `${r.name}.${k} = ${r[k]}`).toBe(true);
        expect(r[k]).toBeGreaterThan(0);
      }
      expect(r.ratio).toBeCloseTo(r.value / r.baselineValue, 1);
    }
  });

  it("reports plausible values", () => {
    const byName = new Map(rows.map((r) => [r.name, r]));
    const time = byName.get("catalog.time")!;
    expect(time.unit).toBe("ms");
    expect(time.value).toBeLessThan(60_000);
    // a few-MB image: node's own baseline RSS dominates; anything near the goal means a leak
    const rss = byName.get("catalog.peak-rss")!;
    expect(rss.unit).toBe("MB");
    expect(rss.value).toBeGreaterThan(20);
    expect(rss.value).toBeLessThan(250);
    // the walker and the floor do the same decompression: wildly different times mean a broken contender
    expect(time.ratio).toBeGreaterThan(0.1);
    expect(time.ratio).toBeLessThan(10);
  });

  it("writes RESULTS.md with the table, machine info and the bench's section", () => {
    expect(md).toMatch(
      /\|\s*name\s*\|\s*value\s*\|\s*unit\s*\|\s*baseline\s*\|\s*baselineValue\s*\|\s*ratio\s*\|\s*runs\s*\|\s*peakRssMB\s*\|/,
    );
    expect(md).toMatch(/- CPU: .+\(\d+ cores/);
    expect(md).toMatch(/- Node: v\d+/);
    expect(md).toContain("<!-- bench:catalog -->");
    expect(log).toContain("catalog.time");
  });
});
