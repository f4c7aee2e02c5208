/**
 * Shared by the scan-report format tests in src/report/: the realistic inventory of sbom-fixture.ts plus
 * a Go binary, and findings of every shape a scan produces — a fixed Debian CVE with a DSA alias, an
 * unfixed `will_not_fix` one, a Go stdlib CVE that is in KEV with EPSS and two CVSS versions, a secret
 * with a line, a misconfiguration without a location, and a VEX-suppressed finding.
 */
import { buildPurl, packageId } from "../../src/catalog/purl.js";
import type { Finding, Package, Report, VulnerabilityFinding } from "../../src/model/index.js";
import { renderReport } from "../../src/report/report-format.js";
import { inventory, LAYER2, NOW } from "./sbom-fixture.js";

export { LAYER1, LAYER2, NOW } from "./sbom-fixture.js";

export const ROPTS = { color: false, now: NOW, toolVersion: "0.1.0-test" };

function goStdlib(): Package {
  const purl = buildPurl({ type: "golang", name: "stdlib", version: "1.21.0" });
  const loc = { path: "usr/local/bin/api", layer: LAYER2 };
  return {
    id: packageId(purl, loc),
    ecosystem: "Go",
    name: "stdlib",
    version: "1.21.0",
    purl,
    type: "golang",
    locations: [loc],
    licenses: ["BSD-3-Clause"],
  };
}

export const SUPPRESS_REASON = "VEX not_affected: vulnerable_code_not_in_execute_path (vex/openssl.json)";

export function report(): Report {
  const inv = inventory();
  inv.packages.push(goStdlib());
  const pkg = (name: string): Package => {
    const p = inv.packages.find((x) => x.name === name);
    if (!p) throw new Error(`fixture: no package ${name}`);
    return p;
  };
  const libssl = pkg("libssl3");
  const libc = pkg("libc6");
  const go = pkg("stdlib");
  const vuln = (
    p: Package,
    f: Omit<VulnerabilityFinding, "kind" | "package" | "installedVersion">,
  ): VulnerabilityFinding => ({ kind: "vulnerability", package: p.id, installedVersion: p.version, ...f });

  const findings: Finding[] = [
    vuln(libssl, {
      id: "CVE-2023-5678",
      aliases: ["DSA-5532-1"],
      severity: "medium",
      fixedVersion: "3.0.13-1~deb12u1",
      status: "fixed",
      cvss: [
        { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", score: 5.3 },
      ],
      epss: 0.0012,
      kev: false,
      title: "Excessive time spent in DH check / generation with large Q parameter value",
      references: [
        "https://security-tracker.debian.org/tracker/CVE-2023-5678",
        "https://www.openssl.org/news/secadv/20231106.txt",
      ],
      dataSource: "debian-tracker",
    }),
    vuln(libc, {
      id: "CVE-2010-4756",
      aliases: [],
      severity: "low",
      status: "will_not_fix",
      cvss: [{ source: "nvd", version: "2.0", vector: "AV:N/AC:L/Au:S/C:N/I:N/A:P", score: 4 }],
      kev: false,
      title:
        "The glob implementation in the GNU C Library allows remote authenticated users to cause a denial of service (CPU and memory consumption) via crafted glob expressions",
      references: ["https://security-tracker.debian.org/tracker/CVE-2010-4756"],
      dataSource: "debian-tracker",
    }),
    vuln(go, {
      id: "CVE-2023-44487",
      aliases: ["GHSA-qppj-fm5r-hxr3", "GO-2023-2102"],
      severity: "high",
      fixedVersion: "1.21.3",
      status: "fixed",
      cvss: [
        { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", score: 7.5 },
        {
          source: "ghsa",
          version: "4.0",
          vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
          score: 8.7,
        },
      ],
      epss: 0.94,
      kev: true,
      title: "HTTP/2 rapid reset can cause excessive work in net/http",
      references: ["https://pkg.go.dev/vuln/GO-2023-2102", "https://nvd.nist.gov/vuln/detail/CVE-2023-44487"],
      dataSource: "osv",
    }),
    {
      kind: "secret",
      id: "aws-access-key-id",
      severity: "critical",
      title: "AWS access key ID",
      location: { path: "app/config/.env", layer: LAYER2, line: 3 },
      match: "AKIA************MPLE",
    },
    { kind: "misconfig", id: "CIS-DI-0001", severity: "medium", title: "Create a user for the container" },
  ];

  const suppressed = vuln(libssl, {
    id: "CVE-2024-0727",
    aliases: ["DSA-5633-1"],
    severity: "medium",
    fixedVersion: "3.0.13-1~deb12u1",
    status: "fixed",
    cvss: [
      { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", score: 5.5 },
    ],
    kev: false,
    title: "PKCS12 Decoding crashes",
    references: ["https://security-tracker.debian.org/tracker/CVE-2024-0727"],
    dataSource: "debian-tracker",
  });

  return {
    ...inv,
    findings,
    suppressed: [{ finding: suppressed, reason: SUPPRESS_REASON }],
    summary: { critical: 1, high: 1, medium: 2, low: 1, unknown: 0 },
    metadata: {
      tool: "airbag",
      version: "0.1.0-test",
      db: { builtAt: "2024-05-06T00:00:00Z", sources: { "debian-tracker": "2024-05-05", osv: "2024-05-05" } },
      durationMs: 1234,
    },
  };
}

/** The same image with nothing found. */
export function cleanReport(): Report {
  return {
    ...report(),
    findings: [],
    suppressed: [],
    summary: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
  };
}

export const findPackage = (r: Report, name: string): Package => {
  const p = r.packages.find((x) => x.name === name);
  if (!p) throw new Error(`fixture: no package ${name}`);
  return p;
};

export const renderR = (format: string, r: Report = report(), opts = ROPTS): string =>
  renderReport(format, r, opts);
