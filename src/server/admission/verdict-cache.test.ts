import { describe, expect, it } from "vitest";
import { type ScanFacts, VerdictCache } from "./verdict-cache.js";

const facts = (digest: string): ScanFacts => ({
  digest,
  summary: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
  scannedAt: "2026-11-29T10:00:00Z",
});
const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

describe("VerdictCache", () => {
  it("keys pinned references by digest and tags by the reference", () => {
    expect(VerdictCache.keyFor(`a.io/x@${D1}`)).toBe(`d:${D1}`);
    expect(VerdictCache.keyFor(`b.io/y:1@${D1}`)).toBe(`d:${D1}`);
    expect(VerdictCache.keyFor("nginx:1.25")).toBe("r:nginx:1.25");
  });

  it("expires tag entries sooner than digest entries, and unscanned ones soonest", () => {
    let now = 0;
    const c = new VerdictCache({ digestTtlMs: 1000, refTtlMs: 100, unscannedTtlMs: 10, now: () => now });
    c.set(`d:${D1}`, { facts: facts(D1) });
    c.set("r:app:1", { facts: facts(D2) });
    c.set("r:new:1", { jobId: "j1" });
    now = 11;
    expect(c.get("r:new:1")).toBeUndefined();
    expect(c.get("r:app:1")?.facts?.digest).toBe(D2);
    now = 101;
    expect(c.get("r:app:1")).toBeUndefined();
    expect(c.get(`d:${D1}`)?.facts?.digest).toBe(D1);
    now = 1001;
    expect(c.get(`d:${D1}`)).toBeUndefined();
  });

  it("a stored scan drops its digest and every tag and unscanned entry, keeping other digests", () => {
    const c = new VerdictCache();
    c.set(`d:${D1}`, { facts: facts(D1) });
    c.set(`d:${D2}`, { facts: facts(D2) });
    c.set("r:app:1", { facts: facts(D2) });
    c.set("r:new:1", { jobId: "j1" });
    c.invalidateDigest(D1);
    expect(c.get(`d:${D1}`)).toBeUndefined();
    // app:1 resolved to D2 before; it may have just been pushed as D1
    expect(c.get("r:app:1")).toBeUndefined();
    expect(c.get("r:new:1")).toBeUndefined();
    expect(c.get(`d:${D2}`)?.facts?.digest).toBe(D2);
  });

  it("stays within maxEntries, dropping the oldest write", () => {
    const c = new VerdictCache({ maxEntries: 3 });
    for (const k of ["a", "b", "c", "d"]) c.set(`r:${k}`, { facts: facts(D1) });
    expect(c.size).toBe(3);
    expect(c.get("r:a")).toBeUndefined();
    expect(c.get("r:d")).toBeDefined();
    expect(c.hits).toBe(1);
    expect(c.misses).toBe(1);
  });
});
