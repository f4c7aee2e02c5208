import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VulnDb } from "../vulndb/index.js";
import { FIX_COMMITS_FILE, openRuntimeAdvisories } from "./runtime-db.js";

describe("the bundled runtime advisory pack", () => {
  let db: VulnDb;
  const warnings: string[] = [];
  beforeAll(async () => {
    db = await openRuntimeAdvisories({ warn: (m) => warnings.push(m) });
  });
  afterAll(() => db.close());

  it("imports every feed without a warning", () => {
    expect(warnings).toEqual([]);
  });

  it("holds NVD's CPE data for CVE-2019-5736 and the Go records for runc and containerd", () => {
    expect(db.advisoriesFor("cpe", "linuxfoundation:runc").map((a) => a.id)).toEqual(["CVE-2019-5736"]);
    expect(db.advisoriesFor("cpe", "docker:docker").map((a) => a.id)).toEqual(["CVE-2019-5736"]);
    const runc = db.advisoriesFor("Go", "github.com/opencontainers/runc").map((a) => a.id);
    expect(runc).toContain("GO-2024-2491");
    expect(runc.length).toBeGreaterThanOrEqual(15);
    expect(db.advisoriesFor("Go", "github.com/containerd/containerd").length).toBeGreaterThan(10);
    expect(db.advisoriesFor("Debian:12", "runc").map((a) => a.id)).toEqual(["CVE-2024-21626"]);
    expect(db.enrich(["CVE-2019-5736"]).cvss.map((c) => c.score)).toContain(8.6);
  });

  it("has a source URL for every fix-commit entry and only full commit hashes", () => {
    const table = JSON.parse(readFileSync(FIX_COMMITS_FILE, "utf8")) as {
      entries: { id: string; commits: string[]; source: string }[];
    };
    expect(table.entries.find((e) => e.id === "CVE-2019-5736")?.commits).toEqual([
      "0a8e4117e7f715d5fbeef398405813ce8e88558b",
    ]);
    for (const e of table.entries) {
      expect(e.source).toMatch(/^https:\/\//);
      for (const c of e.commits) expect(c).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});
