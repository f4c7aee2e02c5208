import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectingSink, FIXTURES, recordingContext } from "../vulndb.testutil.js";
import { secdbAdvisories } from "./alpine-secdb.js";
import { idsIn, parseYaml } from "./common.js";
import { importPath } from "./index.js";

const text = (f: string) => readFileSync(join(FIXTURES, "alpine", f), "utf8");

describe("Alpine secdb importer", () => {
  it("agrees with vunnel's normalised output for the same secdb YAML", () => {
    const ctx = recordingContext();
    const ours = ["v3.15/main.yaml", "v3.15/community.yaml"].flatMap((f) =>
      secdbAdvisories(parseYaml(text(f)), f, ctx),
    );
    const { expected } = JSON.parse(readFileSync(join(FIXTURES, "expected/alpine-vunnel.json"), "utf8")) as {
      expected: { release: string; id: string; package: string; version: string }[];
    };
    expect(expected).toHaveLength(16);
    for (const e of expected) {
      const aff = ours.find((a) => a.id === e.id)?.affected.find((f) => f.package === e.package);
      expect(aff, e.id).toMatchObject({
        ecosystem: "Alpine:v3.15",
        status: "fixed",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: e.version }] }],
      });
    }
    expect(ours).toHaveLength(16);
    expect(ctx.warnings).toEqual([]);
  });

  it("reads vuln-list's one-package JSON and Wolfi's secdb", () => {
    const ctx = recordingContext();
    const openssl = secdbAdvisories(JSON.parse(text("vuln-list/3.19/openssl.json")), "openssl.json", ctx);
    expect(openssl.find((a) => a.id === "CVE-2023-6129")?.affected).toEqual([
      {
        ecosystem: "Alpine:v3.19",
        package: "openssl",
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "3.1.4-r3" }] }],
        versions: [],
        status: "fixed",
      },
    ]);
    const wolfi = secdbAdvisories(JSON.parse(text("wolfi-security.json")), "security.json", ctx);
    expect(new Set(wolfi.map((a) => `${a.source} ${a.affected[0]?.ecosystem}`))).toEqual(
      new Set(["wolfi-secdb Wolfi"]),
    );
    expect(ctx.warnings).toEqual([]);
  });

  it("takes ids out of free text and skips the not-affected key 0", () => {
    expect(idsIn("CVE-2024-22195 GHSA-h5c8-rqwp-cp95")).toEqual(["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"]);
    expect(idsIn("CVE-2017-2616 (+ regression fix)")).toEqual(["CVE-2017-2616"]);
    expect(idsIn("CVE 2018-16859")).toEqual(["CVE-2018-16859"]);
    expect(idsIn("CVE_2019-14907")).toEqual(["CVE-2019-14907"]);
    expect(idsIn("CVE-2018-1000.patch")).toEqual(["CVE-2018-1000"]);
    expect(idsIn("CVE-????-?????  XSA-248")).toEqual(["XSA-248"]);
    const [a, ...rest] = secdbAdvisories(
      {
        distroversion: "v3.20",
        packages: [
          {
            pkg: {
              name: "busybox",
              secfixes: { "0": ["CVE-2025-46394"], "1.36.1-r29": ["CVE-2023-42363 (fixed upstream)"] },
            },
          },
        ],
      },
      "t.json",
      recordingContext(),
    );
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      id: "CVE-2023-42363",
      affected: [{ ecosystem: "Alpine:v3.20", package: "busybox" }],
    });
  });

  it("keeps versions like 1.10 from YAML keys as written", () => {
    const doc = parseYaml(
      "distroversion: v3.9\npackages:\n- pkg:\n    name: x\n    secfixes:\n      1.10:\n      - CVE-2019-0001\n",
    );
    const [a] = secdbAdvisories(doc, "t.yaml", recordingContext());
    expect(a?.affected[0]?.ranges[0]?.events).toEqual([{ introduced: "0" }, { fixed: "1.10" }]);
  });

  it("imports a directory of secdb files, merging releases, warning about the broken one", async () => {
    const ctx = recordingContext();
    const c = collectingSink();
    const stats = await importPath(join(FIXTURES, "alpine"), c.sink, ctx);
    expect(stats.find((s) => s.format === "alpine-secdb")).toMatchObject({ files: 8 });
    expect(c.advisories.every((a) => a.mode === "merge")).toBe(true);
    expect(ctx.warnings).toEqual([expect.stringMatching(/trivy-ansible-broken\.json: not valid JSON/)]);
  });

  it("never throws on arbitrary JSON, and reports instead", () => {
    const ctx = recordingContext();
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (junk, secfixes) => {
        secdbAdvisories(junk, "fuzz.json", ctx);
        secdbAdvisories(
          { distroversion: "v3.19", packages: [{ pkg: { name: "x", secfixes } }, junk] },
          "fuzz.json",
          ctx,
        );
      }),
      { numRuns: 300 },
    );
  });
});
