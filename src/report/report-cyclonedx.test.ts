import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { findPackage, ROPTS, renderR, report, SUPPRESS_REASON } from "../../test/support/report-fixture.js";
import {
  addDraft2019Formats,
  addFormats,
  explain,
  schemaFixture as fixture,
  render as renderSbom,
} from "../../test/support/sbom-fixture.js";
import type { Report } from "../model/index.js";
import { suppressionAnalysis } from "./report-cyclonedx.js";

interface Vuln {
  "bom-ref": string;
  id: string;
  source?: { name?: string; url?: string };
  references?: { id: string; source: { name?: string; url?: string } }[];
  ratings?: {
    source?: { name?: string };
    score?: number;
    severity?: string;
    method?: string;
    vector?: string;
  }[];
  description?: string;
  recommendation?: string;
  advisories?: { url: string }[];
  analysis?: { state?: string; justification?: string; detail?: string };
  affects: { ref: string; versions?: { version: string; status?: string }[] }[];
  properties?: { name: string; value: string }[];
}
interface Cdx {
  serialNumber: string;
  components: { "bom-ref": string; name: string }[];
  vulnerabilities: Vuln[];
}

const bom = (r: Report = report()): Cdx => JSON.parse(renderR("cyclonedx", r)) as Cdx;
const vuln = (id: string, r?: Report): Vuln => bom(r).vulnerabilities.find((v) => v.id === id) as Vuln;
const prop = (v: Vuln, name: string) => v.properties?.find((p) => p.name === name)?.value;

describe("report cyclonedx", () => {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    schemas: {
      "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": fixture("spdx.SNAPSHOT.schema.json") as object,
      "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": fixture(
        "jsf-0.82.SNAPSHOT.schema.json",
      ) as object,
    },
  });
  addFormats(ajv);
  addDraft2019Formats(ajv, { formats: ["idn-email"] });
  ajv.addFormat("iri-reference", true);
  const validate = ajv.compile(fixture("bom-1.6.SNAPSHOT.schema.json") as object);

  it("is valid CycloneDX 1.6 and carries the same components as the SBOM", () => {
    const doc = bom();
    expect(validate(doc), explain(validate)).toBe(true);
    const sbom = JSON.parse(renderSbom("cyclonedx", report(), ROPTS)) as Cdx;
    expect(doc.components).toEqual(sbom.components);
    expect(doc.serialNumber).not.toBe(sbom.serialNumber); // another document
    expect(renderR("cyclonedx")).toBe(renderR("cyclonedx")); // reproducible for a fixed time
    // negative control: a rating method outside the enum is rejected
    const broken = structuredClone(doc);
    (broken.vulnerabilities[0]?.ratings?.[0] as Record<string, unknown>).method = "CVSSv9";
    expect(validate(broken)).toBe(false);
  });

  it("lists package vulnerabilities only, suppressed ones included", () => {
    expect(
      bom()
        .vulnerabilities.map((v) => v.id)
        .sort(),
    ).toEqual(["CVE-2010-4756", "CVE-2023-44487", "CVE-2023-5678", "CVE-2024-0727"]);
  });

  it("writes id, source, aliases, ratings, advisories and the fix", () => {
    const r = report();
    const v = vuln("CVE-2023-5678", r);
    expect(v.source).toEqual({ name: "NVD", url: "https://nvd.nist.gov/vuln/detail/CVE-2023-5678" });
    expect(v.references).toEqual([
      {
        id: "DSA-5532-1",
        source: {
          name: "Debian Security Tracker",
          url: "https://security-tracker.debian.org/tracker/DSA-5532-1",
        },
      },
    ]);
    expect(v.ratings).toEqual(
      expect.arrayContaining([
        {
          source: { name: "nvd" },
          score: 5.3,
          severity: "medium",
          method: "CVSSv31",
          vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
        },
        { source: { name: "debian-tracker" }, severity: "medium", method: "other" },
      ]),
    );
    expect(v.description).toBe("Excessive time spent in DH check / generation with large Q parameter value");
    expect(v.advisories?.map((a) => a.url)).toContain("https://www.openssl.org/news/secadv/20231106.txt");
    expect(v.affects).toEqual([
      {
        ref: findPackage(r, "libssl3").id,
        versions: [
          { version: "3.0.11-1~deb12u2", status: "affected" },
          { version: "3.0.13-1~deb12u1", status: "unaffected" },
        ],
      },
    ]);
    expect(v.recommendation).toBe("Upgrade libssl3 to 3.0.13-1~deb12u1 or later");
    expect(prop(v, "airbag:fixedVersion")).toBe("3.0.13-1~deb12u1");
  });

  it("rates with the method of each CVSS version and keeps KEV, EPSS and fix status", () => {
    const go = vuln("CVE-2023-44487");
    expect(go.ratings?.map((x) => x.method).sort()).toEqual(["CVSSv31", "CVSSv4", "other"]);
    expect(go.references?.map((x) => x.id)).toEqual(["GHSA-qppj-fm5r-hxr3", "GO-2023-2102"]);
    expect(prop(go, "airbag:kev")).toBe("true");
    expect(prop(go, "airbag:epss")).toBe("0.94");

    const glibc = vuln("CVE-2010-4756");
    expect(glibc.ratings).toEqual(
      expect.arrayContaining([expect.objectContaining({ method: "CVSSv2", severity: "medium" })]),
    );
    expect(glibc.recommendation).toBeUndefined();
    expect(glibc.affects[0]?.versions).toEqual([{ version: "2.36-9+deb12u3", status: "affected" }]);
    expect(prop(glibc, "airbag:status")).toBe("will_not_fix");
  });

  it("rates an uncomputable (NaN) CVSS score without a score", () => {
    const r = report();
    const f = r.findings.find((x) => x.id === "CVE-2023-5678");
    if (f?.kind !== "vulnerability") throw new Error("fixture");
    f.cvss = [
      {
        source: "osv",
        version: "4.0",
        vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        score: Number.NaN,
      },
    ];
    const doc = bom(r);
    expect(validate(doc), explain(validate)).toBe(true);
    const rating = doc.vulnerabilities
      .find((v) => v.id === "CVE-2023-5678")
      ?.ratings?.find((x) => x.method === "CVSSv4");
    expect(rating).toEqual({
      source: { name: "osv" },
      severity: "unknown",
      method: "CVSSv4",
      vector: f.cvss[0]?.vector,
    });
  });

  it("points every affects ref at a component", () => {
    const doc = bom();
    const refs = new Set(doc.components.map((c) => c["bom-ref"]));
    for (const v of doc.vulnerabilities) for (const a of v.affects) expect(refs.has(a.ref)).toBe(true);
  });

  it("records the VEX analysis of a suppressed finding", () => {
    const v = vuln("CVE-2024-0727");
    expect(v.analysis).toEqual({
      state: "not_affected",
      justification: "code_not_reachable",
      detail: SUPPRESS_REASON,
    });
    expect(v.affects[0]?.versions?.[0]).toEqual({ version: "3.0.11-1~deb12u2", status: "unaffected" });
    expect(vuln("CVE-2023-5678").analysis).toBeUndefined();
  });

  it("splits a CVE suppressed for one package but not another", () => {
    const r = report();
    const active = r.findings.find((f) => f.id === "CVE-2023-5678");
    if (active?.kind !== "vulnerability") throw new Error("fixture");
    r.suppressed.push({
      finding: { ...active, package: findPackage(r, "libc6").id },
      reason: "ignored: not shipped",
    });
    const doc = bom(r);
    expect(validate(doc), explain(validate)).toBe(true);
    const both = doc.vulnerabilities.filter((v) => v.id === "CVE-2023-5678");
    expect(both).toHaveLength(2);
    expect(new Set(both.map((v) => v["bom-ref"])).size).toBe(2);
    expect(both.filter((v) => v.analysis).map((v) => v.affects[0]?.ref)).toEqual([
      findPackage(r, "libc6").id,
    ]);
  });

  it("reads the analysis from OpenVEX and CycloneDX wording in the reason", () => {
    const a = (reason: string) => {
      const x = suppressionAnalysis(reason);
      return { state: x.state, justification: x.justification };
    };
    expect(a("VEX not_affected: component_not_present")).toEqual({
      state: "not_affected",
      justification: "code_not_present",
    });
    expect(a("vex: vulnerable_code_cannot_be_controlled_by_adversary")).toEqual({
      state: "not_affected",
      justification: "requires_environment",
    });
    expect(a("requires_configuration (vendor statement)")).toEqual({
      state: "not_affected",
      justification: "requires_configuration",
    });
    expect(a(".airbagignore: accepted until 2025-01-01")).toEqual({
      state: "not_affected",
      justification: undefined,
    });
    expect(a("VEX false_positive")).toEqual({ state: "false_positive", justification: undefined });
    expect(a("VEX under_investigation")).toEqual({ state: "in_triage", justification: undefined });
    // words that are Object.prototype members are not justifications
    expect(a("__proto__ constructor toString")).toEqual({ state: "not_affected", justification: undefined });
  });
});
