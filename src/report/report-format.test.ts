import { describe, expect, it } from "vitest";
import { ROPTS, renderR, report } from "../../test/support/report-fixture.js";
import { AirbagError, type Finding } from "../model/index.js";
import { renderReport, reportFormats, reportFormatter } from "./report-format.js";
import { compareFindings, maxCvssScore, summarize, webUrl } from "./summary.js";

describe("renderReport", () => {
  it("registers each formatter under its own name, the contract's scan formats", () => {
    for (const [key, f] of Object.entries(reportFormats)) expect(f.name).toBe(key);
    expect(Object.keys(reportFormats).sort()).toEqual([
      "cyclonedx",
      "html",
      "json",
      "sarif",
      "spdx",
      "table",
    ]);
  });

  it.each(["xml", "constructor", "toString", ""])(
    "rejects the unknown format %j as a usage error",
    (format) => {
      expect(() => renderReport(format, report(), ROPTS)).toThrow(AirbagError);
      try {
        reportFormatter(format);
      } catch (e) {
        expect((e as AirbagError).code).toBe("USAGE");
        expect((e as AirbagError).message).toContain("sarif");
      }
    },
  );

  it("renders spdx as the SBOM of the scanned image", () => {
    const doc = JSON.parse(renderR("spdx")) as { spdxVersion: string; packages: { name: string }[] };
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    expect(doc.packages.map((p) => p.name)).toContain("stdlib");
  });
});

describe("summarize", () => {
  it("counts unsuppressed findings per severity, all severities present", () => {
    const r = report();
    expect(summarize(r.findings)).toEqual({ critical: 1, high: 1, medium: 2, low: 1, unknown: 0 });
    expect(summarize(r.findings)).toEqual(r.summary);
    expect(summarize([])).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
  });

  it("counts a malformed severity as unknown instead of inventing a key", () => {
    const odd = { kind: "secret", id: "x", severity: "severe" } as unknown as Finding;
    expect(summarize([odd])).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 1 });
    const proto = { ...odd, severity: "__proto__" } as unknown as Finding;
    expect(summarize([proto, proto])).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 2 });
  });
});

describe("finding helpers", () => {
  it("orders worst first, then by id", () => {
    const ids = [...report().findings].sort(compareFindings).map((f) => f.id);
    expect(ids).toEqual([
      "aws-access-key-id",
      "CVE-2023-44487",
      "CIS-DI-0001",
      "CVE-2023-5678",
      "CVE-2010-4756",
    ]);
  });

  it("takes the highest CVSS score of any version", () => {
    const go = report().findings.find((f) => f.id === "CVE-2023-44487");
    expect(go?.kind === "vulnerability" && maxCvssScore(go.cvss)).toBe(8.7);
    expect(maxCvssScore([])).toBeUndefined();
  });

  it("accepts only absolute http(s) URLs as links", () => {
    expect(webUrl("https://nvd.nist.gov/vuln/detail/CVE-2023-5678")).toBe(
      "https://nvd.nist.gov/vuln/detail/CVE-2023-5678",
    );
    expect(webUrl("javascript:alert(1)")).toBeUndefined();
    expect(webUrl("data:text/html,<script>")).toBeUndefined();
    expect(webUrl("/relative")).toBeUndefined();
    expect(webUrl(undefined)).toBeUndefined();
  });
});
