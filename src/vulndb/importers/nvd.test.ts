import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectingSink, FIXTURES, recordingContext } from "../vulndb.testutil.js";
import { importPath } from "./index.js";
import { importNvd, nvdCves, nvdCveToAdvisory } from "./nvd.js";

const fixture = (f: string): unknown => JSON.parse(readFileSync(join(FIXTURES, "nvd", f), "utf8"));

describe("NVD importer", () => {
  it("keeps runc's and docker's CPE matches for host-software matching (CVE-2019-5736)", () => {
    const a = nvdCveToAdvisory(nvdCves(fixture("CVE-2019-5736.trimmed.json"))[0], "x", recordingContext())!;
    expect(a).toMatchObject({ id: "CVE-2019-5736", source: "nvd", published: "2019-02-11T19:29:00.297Z" });
    expect(a.details).toMatch(/^runc through 1\.0-rc6/);
    expect(a.cvss).toEqual([
      { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", score: 8.6 },
      { source: "nvd", version: "2.0", vector: "AV:N/AC:M/Au:N/C:C/I:C/A:C", score: 9.3 },
    ]);
    const runc = a.affected.find((f) => f.package === "linuxfoundation:runc");
    expect(runc).toMatchObject({ ecosystem: "cpe", ranges: [], versions: [] });
    expect(runc?.cpe?.[0]).toEqual({
      criteria: "cpe:2.3:a:linuxfoundation:runc:*:*:*:*:*:*:*:*",
      versionEndIncluding: "0.1.1",
    });
    expect(runc?.cpe?.map((c) => c.criteria.split(":")[5])).toContain("1.0.0");
    expect(a.affected.find((f) => f.package === "docker:docker")?.cpe).toEqual([
      { criteria: "cpe:2.3:a:docker:docker:*:*:*:*:*:*:*:*", versionEndExcluding: "18.09.2" },
    ]);
  });

  it("reads an API 2.0 page: every CVE, NVD and CNA metrics, AND configurations' platforms", () => {
    const ctx = recordingContext();
    const c = collectingSink();
    expect(importNvd(fixture("vunnel-full-page.json"), "page.json", c.sink, ctx)).toEqual({
      records: 38,
      skipped: 0,
    });
    const netapp = c.byId("CVE-2023-27314")!;
    expect(netapp.cvss.map((x) => x.source)).toEqual(["nvd", "security-alert@netapp.com"]);
    expect(netapp.affected[0]?.package).toBe("netapp:clustered_data_ontap");
    const and = c.advisories.flatMap((x) => x.advisory.affected).find((f) => f.cpe?.some((m) => m.platforms));
    expect(and?.cpe?.find((m) => m.platforms)?.platforms?.[0]).toMatch(/^cpe:2\.3:/);
    expect(ctx.warnings).toEqual([]);
  });

  it("reads an untrimmed record with references (CVE-2024-3094, xz)", () => {
    const c = collectingSink();
    importNvd(fixture("osv-dev-CVE-2024-3094.json"), "xz.json", c.sink, recordingContext());
    const xz = c.byId("CVE-2024-3094")!;
    expect(xz.references.length).toBeGreaterThan(10);
    expect(xz.cvss[0]).toMatchObject({ version: "3.1", score: 10 });
  });

  it("is recognised by the dispatcher in a directory of records", async () => {
    const c = collectingSink();
    const stats = await importPath(join(FIXTURES, "nvd"), c.sink, recordingContext());
    expect(stats).toEqual([{ format: "nvd", files: 6, records: 43, skipped: 0 }]);
  });

  it("never throws on arbitrary JSON, and reports instead", () => {
    const ctx = recordingContext();
    const real = nvdCves(fixture("CVE-2019-5736.trimmed.json"))[0] as Record<string, unknown>;
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...Object.keys(real)), (junk, key) => {
        importNvd(junk, "fuzz.json", collectingSink().sink, ctx);
        nvdCveToAdvisory({ ...real, [key]: junk }, "fuzz.json", ctx);
      }),
      { numRuns: 300 },
    );
  });
});
