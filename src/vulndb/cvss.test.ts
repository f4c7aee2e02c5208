import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cvss2BaseScore, cvss3BaseScore, cvssFromVector } from "./cvss.js";
import { FIXTURES, SHARED } from "./vulndb.testutil.js";

interface Scored {
  version: string;
  vector: string;
  score: number;
  where: string;
}

/** Every `cvssData` (NVD API 2.0) in a JSON document, with NVD's own baseScore. */
function nvdScores(doc: unknown, where: string, out: Scored[] = []): Scored[] {
  if (Array.isArray(doc)) for (const d of doc) nvdScores(d, where, out);
  else if (doc && typeof doc === "object") {
    const data = (doc as { cvssData?: { version: string; vectorString: string; baseScore: number } })
      .cvssData;
    if (data?.vectorString)
      out.push({ version: data.version, vector: data.vectorString, score: data.baseScore, where });
    for (const v of Object.values(doc)) nvdScores(v, where, out);
  }
  return out;
}

const jsonFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".json"))
    .map((f) => join(dir, f));

const scoresIn = (files: string[]) =>
  files.flatMap((f) => nvdScores(JSON.parse(readFileSync(f, "utf8")), f.split("/").slice(-2).join("/")));

describe("CVSS base scores", () => {
  const copied = scoresIn(jsonFiles(join(FIXTURES, "nvd")));

  it("reproduces NVD's baseScore for every CVSS v3.x vector in the copied NVD records", () => {
    const v3 = copied.filter((s) => s.version.startsWith("3"));
    expect(v3.filter((s) => s.version === "3.1").length).toBeGreaterThan(50);
    for (const s of v3) expect(cvss3BaseScore(s.vector), `${s.where}: ${s.vector}`).toBe(s.score);
  });

  it("reproduces NVD's baseScore for every CVSS v2 vector in the copied NVD records", () => {
    const v2 = copied.filter((s) => s.version === "2.0");
    expect(v2.length).toBeGreaterThan(3);
    for (const s of v2) expect(cvss2BaseScore(s.vector), `${s.where}: ${s.vector}`).toBe(s.score);
  });

  it.skipIf(!existsSync(join(SHARED, "nvd-cve-records")))(
    "also for every NVD record in the shared data set",
    () => {
      const dirs = [
        "nvd-cve-records",
        "osv-dev/vulnfeeds/test_data",
        "distro-feeds/vunnel/tests/unit/providers/nvd",
      ];
      const all = scoresIn(dirs.flatMap((d) => jsonFiles(join(SHARED, d))));
      for (const s of all.filter((x) => x.version.startsWith("3")))
        expect(cvss3BaseScore(s.vector), `${s.where}: ${s.vector}`).toBe(s.score);
      for (const s of all.filter((x) => x.version === "2.0"))
        expect(cvss2BaseScore(s.vector), `${s.where}: ${s.vector}`).toBe(s.score);
    },
  );

  it("scores the spec's edge cases: no impact, scope change cap, v3.0 rounding", () => {
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N")).toBe(0);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")).toBe(10);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")).toBe(9.8);
    expect(cvss3BaseScore("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N")).toBe(5.5);
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/")).toBe(9.8);
  });

  it("rejects malformed vectors instead of guessing", () => {
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")).toBeUndefined();
    expect(cvss3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")).toBeUndefined();
    expect(cvss3BaseScore("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")).toBeUndefined();
    expect(cvss2BaseScore("AV:N/AC:L/Au:N/C:P/I:P")).toBeUndefined();
    expect(cvssFromVector("x", "not a vector")).toBeUndefined();
  });

  it("keeps a v4.0 vector with a NaN score (no v4 calculator yet)", () => {
    const c = cvssFromVector("ghsa", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
    expect(c).toMatchObject({ source: "ghsa", version: "4.0" });
    expect(c?.score).toBeNaN();
    expect(cvssFromVector("nvd", "(AV:N/AC:L/Au:N/C:P/I:P/A:P)")).toEqual({
      source: "nvd",
      version: "2.0",
      vector: "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
      score: 7.5,
    });
  });
});
