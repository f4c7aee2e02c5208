import { describe, expect, it } from "vitest";
import { mutant, prng } from "./engine/mutate.mjs";
import { runFuzz } from "./engine/run.mjs";

/**
 * The runner itself, against parsers broken on purpose (engine/selftest-targets.mjs): if the watchdog,
 * the crash classification or the heap cap stopped working, these fail.
 */
const module = new URL("./engine/selftest-targets.mjs", import.meta.url).href;

describe("fuzz runner", () => {
  it("regenerates the same mutant from (seed, index) and varies across indexes", () => {
    const seeds = [Buffer.from("hello fuzz world, a seed of some length")];
    const a = mutant(7, 40, seeds, "bytes");
    expect(mutant(7, 40, seeds, "bytes")).toEqual(a);
    const distinct = new Set(
      Array.from({ length: 50 }, (_, i) => mutant(7, i + 1, seeds, "bytes").toString("hex")),
    );
    expect(distinct.size).toBeGreaterThan(40);
    expect(prng(1).next()).toBe(prng(1).next());
  });

  it("passes a parser that never fails", async () => {
    const s = await runFuzz({ targetsModule: module, parser: "clean", count: 30 });
    expect(s.failures).toEqual([]);
    expect(s.ok).toBe(30);
  });

  it("reports unexpected exceptions and lets expected ones through", async () => {
    const s = await runFuzz({ targetsModule: module, parser: "throws-typeerror", count: 40 });
    expect(s.failures.length).toBeGreaterThan(0);
    expect(s.failures.every((f) => f.kind === "crash" && f.error.startsWith("TypeError"))).toBe(true);
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.inputs).toBe(40);
  });

  it("terminates a synchronous hang after the budget and carries on with the next input", async () => {
    const t0 = Date.now();
    const s = await runFuzz({ targetsModule: module, parser: "sync-hang", count: 30, budgetMs: 300 });
    const hangs = s.failures.filter((f) => f.kind === "hang");
    expect(hangs.length).toBeGreaterThan(0);
    expect(s.inputs).toBe(30);
    // each hang costs its budget, not a stalled run
    expect(Date.now() - t0).toBeLessThan(300 * hangs.length + 10_000);
  });

  it("stops a parser whose heap grows without bound", async () => {
    const s = await runFuzz({ targetsModule: module, parser: "leaks", count: 4, heapLimitMb: 64 });
    expect(s.failures.some((f) => f.kind === "worker-error")).toBe(true);
  });
});
