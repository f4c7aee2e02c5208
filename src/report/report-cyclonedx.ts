import { Enums, Models } from "@cyclonedx/cyclonedx-library";
import { severityFromScore } from "../match/severity.js";
import type { Cvss, Report, Severity, VulnerabilityFinding } from "../model/index.js";
import { buildCycloneDxBom, serializeCycloneDx } from "./cyclonedx.js";
import type { RenderOptions } from "./format.js";
import type { ReportFormatter } from "./report-format.js";
import { documentUuid } from "./spdx.js";
import { compareFindings, isVulnerability, packageIndex, webUrl } from "./summary.js";

/**
 * `airbag scan --format cyclonedx`: the image SBOM (same components and bom-refs as `airbag sbom`)
 * plus CycloneDX 1.6 `vulnerabilities[]`, so one document carries inventory, findings and — for
 * suppressed findings — the VEX-style `analysis` that explains why they are not reported.
 * Secrets, malware and misconfigurations have no CycloneDX model and are left out (use json or sarif).
 */

const V = Models.Vulnerability;
const E = Enums.Vulnerability;

/** Where users look an id up; the database that supplied the finding when the id scheme is not known. */
function idSource(id: string, fallback: string, fallbackUrl?: string): Models.Vulnerability.Source {
  const known: [RegExp, string, string][] = [
    [/^CVE-\d{4}-\d+$/, "NVD", "https://nvd.nist.gov/vuln/detail/"],
    [/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/, "GitHub Advisory Database", "https://github.com/advisories/"],
    [/^GO-\d{4}-\d+$/, "Go Vulnerability Database", "https://pkg.go.dev/vuln/"],
    [/^D[SL]A-\d+(-\d+)?$/, "Debian Security Tracker", "https://security-tracker.debian.org/tracker/"],
  ];
  for (const [re, name, base] of known) if (re.test(id)) return new V.Source({ name, url: `${base}${id}` });
  return new V.Source({ name: fallback, ...(fallbackUrl ? { url: fallbackUrl } : {}) });
}

function ratingMethod(version: string): Enums.Vulnerability.RatingMethod {
  const major = version.split(".")[0];
  if (major === "2") return E.RatingMethod.CVSSv2;
  if (major === "4") return E.RatingMethod.CVSSv4;
  if (major === "3") return version.startsWith("3.1") ? E.RatingMethod.CVSSv31 : E.RatingMethod.CVSSv3;
  return E.RatingMethod.Other;
}

// OpenVEX justification → CycloneDX justification; CycloneDX's own names are accepted as they are.
const OPENVEX_JUSTIFICATION: Record<string, Enums.Vulnerability.AnalysisJustification> = {
  component_not_present: E.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_present: E.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_in_execute_path: E.AnalysisJustification.CodeNotReachable,
  vulnerable_code_cannot_be_controlled_by_adversary: E.AnalysisJustification.RequiresEnvironment,
  inline_mitigations_already_exist: E.AnalysisJustification.ProtectedByMitigatingControl,
};

/**
 * The analysis of a suppressed finding, read from its reason (`VEX not_affected: <justification> …`,
 * or an ignore-file comment). A suppression says "do not report this here", hence not_affected unless
 * the reason names another state; the reason itself is always kept as `detail`.
 */
export function suppressionAnalysis(reason: string): Models.Vulnerability.Analysis {
  const words = new Set(reason.toLowerCase().match(/[a-z_]+/g) ?? []);
  const cdxNames = new Set<string>(Object.values(E.AnalysisJustification));
  let justification: Enums.Vulnerability.AnalysisJustification | undefined;
  for (const w of words) {
    justification ??=
      (Object.hasOwn(OPENVEX_JUSTIFICATION, w) ? OPENVEX_JUSTIFICATION[w] : undefined) ??
      (cdxNames.has(w) ? (w as Enums.Vulnerability.AnalysisJustification) : undefined);
  }
  const state = words.has("false_positive")
    ? E.AnalysisState.FalsePositive
    : words.has("under_investigation") || words.has("in_triage")
      ? E.AnalysisState.InTriage
      : E.AnalysisState.NotAffected;
  return new V.Analysis({
    state,
    ...(justification && state === E.AnalysisState.NotAffected ? { justification } : {}),
    detail: reason,
  });
}

interface Entry {
  finding: VulnerabilityFinding;
  reason?: string;
}

/** CVSS v2 has no "critical" band: its 7.0–10.0 are all "high" (NVD's v2 rating scale). */
const cvssSeverity = (c: Cvss): Severity => {
  const s = severityFromScore(c.score);
  return c.version.startsWith("2") && s === "critical" ? "high" : s;
};

function ratings(group: readonly Entry[]): Models.Vulnerability.Rating[] {
  const seen = new Set<string>();
  const cvss: Cvss[] = [];
  for (const { finding } of group) {
    for (const c of finding.cvss) {
      const key = `${c.source}\u0000${c.vector}`;
      if (seen.has(key)) continue;
      seen.add(key);
      cvss.push(c);
    }
  }
  const out = cvss.map(
    (c) =>
      new V.Rating({
        source: new V.Source({ name: c.source }),
        ...(Number.isFinite(c.score) ? { score: c.score } : {}),
        severity: cvssSeverity(c) as Enums.Vulnerability.Severity,
        method: ratingMethod(c.version),
        vector: c.vector,
      }),
  );
  // The severity airbag reports and gates on (often the distro's own rating), next to the CVSS ones.
  const first = group[0]?.finding;
  if (first) {
    out.push(
      new V.Rating({
        source: new V.Source({ name: first.dataSource }),
        severity: first.severity as Enums.Vulnerability.Severity,
        method: E.RatingMethod.Other,
      }),
    );
  }
  return out;
}

export function buildReportBom(report: Report, opts: RenderOptions): Models.Bom {
  const now = opts.now ?? new Date();
  const bom = buildCycloneDxBom(report, opts);
  // a report is another document than the SBOM of the same image at the same time
  bom.serialNumber = `urn:uuid:${documentUuid("cyclonedx-report", report, now)}`;
  const components = new Map<string, Models.Component>();
  for (const c of bom.components) if (c.bomRef.value) components.set(c.bomRef.value, c);
  const pkgs = packageIndex(report.packages);

  // One CycloneDX vulnerability per id and suppression reason: `analysis` belongs to the vulnerability,
  // so a CVE suppressed for one package but not for another needs two entries.
  const entries: Entry[] = [
    ...report.findings.filter(isVulnerability).map((finding) => ({ finding })),
    ...report.suppressed.flatMap((s) =>
      isVulnerability(s.finding) ? [{ finding: s.finding, reason: s.reason }] : [],
    ),
  ].sort((a, b) => compareFindings(a.finding, b.finding));
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const key = `${e.finding.id}\u0000${e.reason ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }

  const refCount = new Map<string, number>();
  for (const group of groups.values()) {
    const head = group[0] as Entry;
    const f = head.finding;
    const n = (refCount.get(f.id) ?? 0) + 1;
    refCount.set(f.id, n);
    const references = [...new Set(group.flatMap((e) => e.finding.references))];
    const vuln = new V.Vulnerability({
      bomRef: n === 1 ? `vuln:${f.id}` : `vuln:${f.id}:${n}`,
      id: f.id,
      source: idSource(f.id, f.dataSource, webUrl(references[0])),
      ...(f.title ? { description: f.title } : {}),
      ...(head.reason !== undefined ? { analysis: suppressionAnalysis(head.reason) } : {}),
    });
    const aliases = [...new Set(group.flatMap((e) => e.finding.aliases))];
    for (const a of aliases) vuln.references.add(new V.Reference(a, idSource(a, f.dataSource)));
    for (const r of ratings(group)) vuln.ratings.add(r);
    for (const url of references.map(webUrl)) if (url) vuln.advisories.add(new V.Advisory(url));

    const fixes: string[] = [];
    for (const { finding, reason } of group) {
      const component = components.get(finding.package);
      if (!component) continue; // a finding on a package the inventory lacks has nothing to point at
      // Installed version: affected, unless a VEX statement says otherwise; the fix: unaffected.
      const installed =
        reason === undefined
          ? E.AffectStatus.Affected
          : suppressionAnalysis(reason).state === E.AnalysisState.NotAffected
            ? E.AffectStatus.Unaffected
            : E.AffectStatus.Unknown;
      const affect = new V.Affect(component.bomRef);
      affect.versions.add(new V.AffectedSingleVersion(finding.installedVersion, { status: installed }));
      if (finding.fixedVersion) {
        affect.versions.add(
          new V.AffectedSingleVersion(finding.fixedVersion, { status: E.AffectStatus.Unaffected }),
        );
        fixes.push(
          `${pkgs.get(finding.package)?.name ?? finding.package} to ${finding.fixedVersion} or later`,
        );
      }
      vuln.affects.add(affect);
    }
    if (fixes.length) vuln.recommendation = `Upgrade ${fixes.join("; ")}`;

    const prop = (k: string, v: string | number | boolean | undefined): void => {
      if (v !== undefined) vuln.properties.add(new Models.Property(k, String(v)));
    };
    prop("airbag:status", f.status);
    prop("airbag:fixedVersion", f.fixedVersion);
    prop("airbag:severity", f.severity);
    prop(
      "airbag:kev",
      group.some((e) => e.finding.kev),
    );
    prop("airbag:epss", f.epss);
    prop("airbag:dataSource", f.dataSource);
    bom.vulnerabilities.add(vuln);
  }
  return bom;
}

export const reportCyclonedxFormat: ReportFormatter = {
  name: "cyclonedx",
  render: (report, opts) => serializeCycloneDx(buildReportBom(report, opts)),
};
