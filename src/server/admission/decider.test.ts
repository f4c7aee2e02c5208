import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SeverityCounts } from "../../model/index.js";
import { SqliteStore } from "../store/sqlite.js";
import type { ServerStore } from "../store/types.js";
import { parseAdmissionReview } from "./review.js";
import { AdmissionDecider, admissionPolicy } from "./verdict.js";

/** AdmissionDecider over the real SQLite store: lookups by tag and digest, caching, query coalescing. */

let dir: string;
let store: ServerStore;
let n = 0;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "airbag-decider-"));
  store = await SqliteStore.open(join(dir, "server.sqlite"));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = async (ref: string, c: Partial<SeverityCounts>, scannedAt: string) => {
  const digest = `sha256:${(++n).toString(16).padStart(64, "0")}`;
  const summary = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0, ...c };
  await store.putScan({ digest, refs: [ref], scannedAt, summary, kinds: {} });
  return digest;
};

const review = (...images: string[]) =>
  parseAdmissionReview({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `u-${++n}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      operation: "CREATE",
      object: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
    },
  });

/** count the store's scan queries */
function counting(s: ServerStore): { queries: number } {
  const c = { queries: 0 };
  const { getScan, listScans } = s;
  s.getScan = (...a) => {
    c.queries++;
    return getScan.apply(s, a);
  };
  s.listScans = (...a) => {
    c.queries++;
    return listScans.apply(s, a);
  };
  return c;
}

describe("AdmissionDecider", () => {
  it("matches tags exactly: a newer scan of a name that merely contains the image is not its verdict", async () => {
    await put("r.example/team/app:1", {}, "2026-11-01T00:00:00Z");
    await put("r.example/team/app:10", { critical: 4 }, "2026-11-02T00:00:00Z");
    await put("r.example/team/myapp:1", { critical: 4 }, "2026-11-03T00:00:00Z");
    const d = new AdmissionDecider({ store });
    expect((await d.review(review("r.example/team/app:1"))).response.allowed).toBe(true);
    const other = await d.review(review("r.example/team/app:1", "r.example/team/pp:1"));
    expect(other.response.status?.message).toBe(
      "airbag denied 1 of 2 images: r.example/team/pp:1 (c1): not scanned; no scan queued",
    );
  });

  it("finds a scan stored under its job target, as the scan workers record it", async () => {
    await put("registry:docker.io/library/redis:7", { critical: 1 }, "2026-11-01T00:00:00Z");
    const d = new AdmissionDecider({ store });
    expect((await d.review(review("redis:7"))).response.status?.message).toBe(
      "airbag denied 1 of 1 image: redis:7 (c0): 1 critical finding (policy denies critical)",
    );
  });

  it("finds a pushed tag by its scan-on-push target (tag kept beside the pinned digest)", async () => {
    const D = `sha256:${"9".repeat(64)}`;
    await put(`registry:r.example/team/pushed:1@${D}`, { critical: 1 }, "2026-11-01T00:00:00Z");
    await put(`registry:r.example/team/untagged@${D}`, { critical: 1 }, "2026-11-01T00:00:00Z");
    const d = new AdmissionDecider({ store });
    expect((await d.review(review("r.example/team/pushed:1"))).response.status?.message).toContain(
      "1 critical finding",
    );
    // a digest-only target says nothing about what `:latest` is
    expect((await d.review(review("r.example/team/untagged"))).response.status?.message).toContain(
      "not scanned",
    );
  });

  it("finds an image pinned by an index digest through the job target that named it", async () => {
    const INDEX = `sha256:${"8".repeat(64)}`;
    // the scan is stored under the platform manifest's digest; the pushed target named the index
    await put(`registry:r.example/team/multi:2@${INDEX}`, { critical: 1 }, "2026-11-01T00:00:00Z");
    // a tag-only scan of the same repository says nothing about a pinned digest
    await put("registry:r.example/team/multi:3", {}, "2026-11-02T00:00:00Z");
    const d = new AdmissionDecider({ store });
    expect((await d.review(review(`r.example/team/multi@${INDEX}`))).response.status?.message).toContain(
      "1 critical finding",
    );
    const other = `sha256:${"7".repeat(64)}`;
    expect((await d.review(review(`r.example/team/multi:3@${other}`))).response.status?.message).toContain(
      "not scanned",
    );
  });

  it("finds a Hub image stored fully qualified, and pinned images by digest", async () => {
    await put("docker.io/library/nginx:1.25", { critical: 1 }, "2026-11-01T00:00:00Z");
    const pinned = await put("r.example/x", {}, "2026-11-01T00:00:00Z");
    const d = new AdmissionDecider({ store, policy: admissionPolicy({ maxSeverity: "high" }) });
    const r = await d.review(review("nginx:1.25", `r.example/other-name@${pinned}`));
    expect(r.response.status?.message).toBe(
      "airbag denied 1 of 2 images: nginx:1.25 (c0): 1 critical finding (policy denies high and above)",
    );
  });

  it("asks the store once for many concurrent requests on a cold image, then never while warm", async () => {
    await put("r.example/team/hot:1", {}, "2026-11-01T00:00:00Z");
    const c = counting(store);
    const d = new AdmissionDecider({ store });
    const all = await Promise.all(Array.from({ length: 20 }, () => d.review(review("r.example/team/hot:1"))));
    expect(all.every((r) => r.response.allowed)).toBe(true);
    // one reference, two spellings (as written, fully qualified): at most two queries
    const cold = c.queries;
    expect(cold).toBeGreaterThan(0);
    expect(cold).toBeLessThanOrEqual(2);
    for (let i = 0; i < 100; i++) await d.review(review("r.example/team/hot:1"));
    expect(c.queries).toBe(cold);
    expect(d.cache.hits).toBeGreaterThanOrEqual(100);
  });

  it("judges an image used by several containers once and names every container", async () => {
    await put("r.example/team/bad:1", { critical: 2 }, "2026-11-01T00:00:00Z");
    const d = new AdmissionDecider({ store });
    const r = await d.review(review("r.example/team/bad:1", "r.example/team/bad:1"));
    expect(r.response.status?.message).toBe(
      "airbag denied 1 of 1 image: r.example/team/bad:1 (c0, c1): 2 critical findings (policy denies critical)",
    );
    expect(r.response.auditAnnotations).toEqual({ "airbag.dev/images": "1", "airbag.dev/denied": "1" });
  });
});
