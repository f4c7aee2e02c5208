import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { VulnDb } from "../store.js";
import { collectingSink, FIXTURES, recordingContext, SHARED } from "../vulndb.testutil.js";
import { parseYaml } from "./common.js";
import { importIntoDatabase, importPath } from "./index.js";
import { importOsvDocument, osvRecordToAdvisory } from "./osv.js";

const fixture = (f: string): unknown => JSON.parse(readFileSync(join(FIXTURES, f), "utf8"));
const yamlFixture = (f: string): unknown => parseYaml(readFileSync(join(FIXTURES, f), "utf8"));
const convert = (doc: unknown, ctx = recordingContext()) => {
  const out = osvRecordToAdvisory(doc, "test.json", ctx);
  if (!("advisory" in out)) throw new Error(`not converted: ${out.skipped}: ${ctx.warnings.join("; ")}`);
  return out.advisory;
};

const GO_VULNDB = join(SHARED, "golang-vulndb/data/osv");
const work = mkdtempSync(join(tmpdir(), "airbag-osv-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("OSV importer", () => {
  it.skipIf(!existsSync(GO_VULNDB))(
    "imports the whole Go vulndb (4,291 records, 17 withdrawn) in under 2 s",
    async () => {
      const times: number[] = [];
      let ctx = recordingContext();
      let stats: Awaited<ReturnType<typeof importIntoDatabase>> = [];
      for (let run = 0; run < 3; run++) {
        ctx = recordingContext();
        const t0 = performance.now();
        stats = await importIntoDatabase(join(work, `go-${run}.sqlite`), [GO_VULNDB], ctx);
        times.push(performance.now() - t0);
      }
      const median = [...times].sort((a, b) => a - b)[1]!;
      console.log(
        `Go vulndb import: ${times.map((t) => t.toFixed(0)).join(", ")} ms; median ${median.toFixed(0)} ms`,
      );
      expect(ctx.warnings).toEqual([]);
      expect(stats).toEqual([{ format: "osv", files: 4291, records: 4274, skipped: 0, withdrawn: 17 }]);
      expect(median).toBeLessThan(2000);

      const db = VulnDb.open(join(work, "go-2.sqlite"), { readonly: true });
      expect(db.status().sources.osv).toEqual({ updatedAt: "2026-01-02T03:04:05.000Z", records: 4274 });
      const [go0969] = db.byAlias("CVE-2022-27664");
      expect(go0969?.id).toBe("GO-2022-0969");
      expect(go0969?.affected.find((a) => a.package === "stdlib")?.ranges).toEqual([
        {
          type: "SEMVER",
          events: [{ introduced: "0" }, { fixed: "1.18.6" }, { introduced: "1.19.0-0" }, { fixed: "1.19.1" }],
        },
      ]);
      const stdlib = db.advisoriesFor("Go", "stdlib");
      expect(stdlib).toHaveLength(167); // grep -l "\"name\": \"stdlib\"" | not withdrawn
      expect(stdlib.map((a) => a.id)).toContain("GO-2022-0969");
      expect(db.byAlias("GO-2024-2442")).toEqual([]); // withdrawn
      db.close();
    },
    120_000,
  );

  it("reads a GHSA record: MODERATE/HIGH/CRITICAL severity, CVSS score computed from the vector", () => {
    const a = convert(fixture("osv/GHSA-jfh8-c2jp-5v3q.json"));
    expect(a).toMatchObject({ id: "GHSA-jfh8-c2jp-5v3q", source: "osv", severity: "critical" });
    expect(a.aliases).toEqual(["CVE-2021-44228"]);
    expect(a.cvss).toEqual([
      { source: "ghsa", version: "3.1", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", score: 10 },
    ]);
    expect(a.affected.map((f) => `${f.ecosystem} ${f.package}`)).toContain(
      "Maven org.apache.logging.log4j:log4j-core",
    );
    expect(a.references.length).toBeGreaterThan(10);
  });

  it("keeps a GHSA record whose vector has a trailing slash, tidying the vector", () => {
    const ctx = recordingContext();
    const a = convert(fixture("osv/GHSA-f5pg-7wfw-84q9.json"), ctx);
    expect(a.severity).toBe("medium");
    expect(a.cvss[0]).toMatchObject({
      vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
      score: 9.8,
    });
    expect(ctx.warnings).toEqual([]);
  });

  it("reads an Ubuntu record: release-suffixed ecosystem, priority word, upstream CVE as alias", () => {
    const a = convert(fixture("osv/UBUNTU-CVE-2014-9913.json"));
    expect(a.aliases).toEqual(["CVE-2014-9913"]);
    expect(a.severity).toBe("low"); // Ubuntu "negligible"
    expect(a.cvss[0]).toMatchObject({ source: "ubuntu", version: "3.0" });
    expect(a.affected[0]).toMatchObject({
      ecosystem: "Ubuntu:Pro:14.04:LTS",
      package: "unzip",
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "6.0-9ubuntu1.6" }] }],
    });
  });

  it("reads PyPA YAML, keeps versions as written and drops GIT ranges", () => {
    const a = convert(yamlFixture("pypa/PYSEC-2021-108.yaml"));
    const [f] = a.affected;
    expect(f?.ranges).toEqual([{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.26.5" }] }]);
    expect(f?.versions.slice(0, 6)).toEqual(["0.2", "0.3", "0.3.1", "0.4.0", "0.4.1", "1.0"]);
  });

  it("keeps unquoted YAML versions like 1.10 as text, not the number 1.1", () => {
    const doc = parseYaml(
      "id: PYSEC-2099-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package: {ecosystem: PyPI, name: x}\n  versions:\n  - 1.10\n  - 2.0\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.20\n",
    );
    const a = convert(doc);
    expect(a.affected[0]?.versions).toEqual(["1.10", "2.0"]);
    expect(a.affected[0]?.ranges[0]?.events).toEqual([{ introduced: "0" }, { fixed: "1.20" }]);
  });

  it("skips withdrawn records quietly", () => {
    const ctx = recordingContext();
    const c = collectingSink();
    expect(
      importOsvDocument(yamlFixture("pypa/PYSEC-2023-73.yaml"), "PYSEC-2023-73.yaml", c.sink, ctx),
    ).toEqual({
      records: 0,
      skipped: 0,
      withdrawn: 1,
    });
    expect(
      importOsvDocument(fixture("osv/GO-2024-2442.json"), "GO-2024-2442.json", c.sink, ctx).withdrawn,
    ).toBe(1);
    expect(ctx.warnings).toEqual([]);
  });

  it("skips an invalid record with a warning naming the file and the field", () => {
    const ctx = recordingContext();
    const bad = {
      id: "GHSA-aaaa-bbbb-cccc",
      modified: "2024-01-01T00:00:00Z",
      affected: [{ package: { ecosystem: "Nope", name: "x" } }],
    };
    expect(osvRecordToAdvisory(bad, "feed/bad.json", ctx)).toEqual({ skipped: "invalid" });
    expect(ctx.warnings).toEqual([
      expect.stringMatching(
        /^feed\/bad\.json: GHSA-aaaa-bbbb-cccc: invalid OSV record at \/affected\/0\/package\/ecosystem/,
      ),
    ]);
    expect(osvRecordToAdvisory({ id: "X-1" }, "feed/x.json", ctx)).toEqual({ skipped: "invalid" });
    expect(ctx.warnings[1]).toMatch(/^feed\/x\.json: X-1: invalid OSV record at \//);
  });

  it("imports a mixed directory, a JSON array and JSON lines of OSV records", async () => {
    const ctx = recordingContext();
    const c = collectingSink();
    const stats = await importPath(join(FIXTURES, "osv"), c.sink, ctx);
    expect(stats).toEqual([{ format: "osv", files: 7, records: 6, skipped: 0, withdrawn: 1 }]);
    expect(c.byId("MAL-2025-20690")?.affected[0]).toMatchObject({
      ecosystem: "npm",
      package: "flatmap-stream",
    });
    expect(ctx.warnings).toEqual([]);
  });

  it("never throws on arbitrary JSON, and reports instead", () => {
    const ctx = recordingContext();
    const real = fixture("osv/GO-2022-0969.json") as Record<string, unknown>;
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...Object.keys(real)), (junk, key) => {
        osvRecordToAdvisory(junk, "fuzz.json", ctx);
        const out = osvRecordToAdvisory({ ...real, [key]: junk }, "fuzz.json", ctx);
        expect("advisory" in out || ctx.warnings.length > 0 || out.skipped === "withdrawn").toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
