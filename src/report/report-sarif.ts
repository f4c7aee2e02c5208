import { createHash } from "node:crypto";
import { severityRank } from "../match/severity.js";
import type { Finding, Package, Report, Severity, SuppressedFinding } from "../model/index.js";
import type { RenderOptions } from "./format.js";
import type { ReportFormatter } from "./report-format.js";
import {
  compareFindings,
  isVulnerability,
  locationText,
  maxCvssScore,
  packageIndex,
  webUrl,
} from "./summary.js";

/**
 * SARIF 2.1.0 (OASIS), written by hand: the object model is small and a dependency would not validate
 * anything the tests do not already check against the official schema. Shaped for code-scanning UIs
 * (GitHub, GitLab, Azure DevOps): one rule per advisory/detector id, `security-severity` on the rule,
 * `partialFingerprints` so an alert survives re-scans, suppressed findings kept with `suppressions`.
 */

export const SCHEMA_URI =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

type Level = "error" | "warning" | "note";

export function sarifLevel(s: Severity): Level {
  return s === "critical" || s === "high" ? "error" : s === "medium" ? "warning" : "note";
}

// GitHub derives its severity from `security-severity` alone. Secrets and misconfigurations have no
// CVSS score, so they get one inside their severity's CVSS band instead of no severity at all.
export const BAND_SCORE: Record<Severity, number | undefined> = {
  critical: 9.5,
  high: 8,
  medium: 5.5,
  low: 2,
  unknown: undefined,
};

/**
 * Relative URI reference for a path inside the image. Each segment is percent-encoded (spaces, `#`,
 * `?`, `%` would otherwise change the meaning), keeping the characters RFC 3986 allows in a segment
 * readable; `:` stays encoded so a first segment can never parse as a URI scheme.
 */
export function imagePathUri(path: string): string {
  return path
    .replace(/^\/+/, "")
    .split("/")
    .map((seg) => encodeURIComponent(seg).replace(/%(40|2B|3D|2C|3B|24|26)/g, (m) => decodeURIComponent(m)))
    .join("/");
}

const digest = (parts: readonly string[]): string =>
  createHash("sha256").update(parts.join("\u0000")).digest("hex");

/**
 * Identity of "the same problem" across scans. Not the package id: that hashes the purl, which contains
 * the version, so upgrading to a still-vulnerable version would close the alert and open a new one.
 */
function fingerprint(f: Finding, pkg: Package | undefined): string {
  if (isVulnerability(f)) {
    return digest([
      "vulnerability",
      f.id,
      pkg?.type ?? "",
      pkg?.name ?? f.package,
      pkg?.locations[0]?.path ?? "",
    ]);
  }
  // secrets: a masked match pins the credential, so moving lines around the file keeps the alert
  const where = f.kind === "secret" && f.match ? f.match : String(f.location?.line ?? "");
  // image-config findings have no file: the field tells an Env secret from the same rule in a label
  return digest([f.kind, f.id, f.location?.path ?? f.field ?? "", where]);
}

export interface RuleAcc {
  id: string;
  kind: Finding["kind"];
  title?: string;
  aliases: string[];
  references: string[];
  severity: Severity;
  score?: number;
  kev: boolean;
}

export function ruleFor(acc: RuleAcc): Record<string, unknown> {
  const text = acc.title ?? acc.id;
  const helpLines = [
    `${acc.id}: ${text}`,
    `Severity: ${acc.severity}${acc.score !== undefined ? ` (CVSS ${acc.score.toFixed(1)})` : ""}`,
    ...(acc.aliases.length ? [`Aliases: ${acc.aliases.join(", ")}`] : []),
    ...(acc.kev ? ["Listed in CISA's Known Exploited Vulnerabilities catalog."] : []),
    ...acc.references.map((r) => `- ${r}`),
  ];
  const helpUri = webUrl(acc.references[0]);
  const score = acc.score ?? BAND_SCORE[acc.severity];
  const tags = ["security", acc.kind, acc.severity, ...(acc.kev ? ["known-exploited"] : [])];
  return {
    id: acc.id,
    shortDescription: { text },
    fullDescription: { text: acc.aliases.length ? `${text} (${acc.aliases.join(", ")})` : text },
    ...(helpUri ? { helpUri } : {}),
    help: { text: helpLines.join("\n") },
    defaultConfiguration: { level: sarifLevel(acc.severity) },
    properties: {
      ...(score !== undefined ? { "security-severity": score.toFixed(1) } : {}),
      tags,
      precision: acc.kind === "vulnerability" ? "very-high" : "high",
    },
  };
}

/** One rule per id; a CVE found in several packages keeps its worst severity and highest score. */
export function collectRules(findings: readonly Finding[]): Map<string, RuleAcc> {
  const rules = new Map<string, RuleAcc>();
  for (const f of findings) {
    const v = isVulnerability(f) ? f : undefined;
    const score = v ? maxCvssScore(v.cvss) : undefined;
    const known = rules.get(f.id);
    if (!known) {
      rules.set(f.id, {
        id: f.id,
        kind: f.kind,
        ...(f.title ? { title: f.title } : {}),
        aliases: [...(v?.aliases ?? [])],
        references: [...(v?.references ?? [])],
        severity: f.severity,
        ...(score !== undefined ? { score } : {}),
        kev: v?.kev ?? false,
      });
      continue;
    }
    if (severityRank(f.severity) > severityRank(known.severity)) known.severity = f.severity;
    if (score !== undefined && (known.score === undefined || score > known.score)) known.score = score;
    known.title ??= f.title;
    known.kev ||= v?.kev ?? false;
    for (const a of v?.aliases ?? []) if (!known.aliases.includes(a)) known.aliases.push(a);
    for (const r of v?.references ?? []) if (!known.references.includes(r)) known.references.push(r);
  }
  return rules;
}

function message(f: Finding, pkg: Package | undefined, target: string): string {
  if (isVulnerability(f)) {
    const name = pkg?.name ?? f.package;
    const fix = f.fixedVersion ?? `none (${f.status})`;
    const title = f.title ? `. ${f.title}` : "";
    return `${f.id} (${f.severity}) in ${name}: installed ${f.installedVersion}, fixed ${fix}${title}`;
  }
  const config = `the image configuration of ${target}`;
  const where = f.location ? locationText(f) : f.field ? `${f.field} of ${config}` : config;
  // a deleted file is still in the image's blobs: say where, or the alert reads like a false positive
  const deleted = f.deleted
    ? ` (deleted by a later layer; still shipped in layer ${f.location?.layer ?? "unknown"})`
    : "";
  const detail = [f.match, f.evidence].filter(Boolean).join(" ");
  return `${f.title ?? f.id} (${f.id}, ${f.severity}) in ${where}${deleted}${detail ? `: ${detail}` : ""}`;
}

function location(f: Finding, pkg: Package | undefined): Record<string, unknown>[] {
  if (isVulnerability(f)) {
    const first = pkg?.locations[0];
    if (!pkg || !first) return [];
    return [
      {
        physicalLocation: { artifactLocation: { uri: imagePathUri(first.path) } },
        message: { text: `${pkg.name} ${pkg.version} (${pkg.purl})` },
      },
    ];
  }
  if (!f.location) return []; // e.g. image-config misconfigurations: no file to point at
  const region = f.location.line ? { region: { startLine: f.location.line } } : {};
  return [{ physicalLocation: { artifactLocation: { uri: imagePathUri(f.location.path) }, ...region } }];
}

function properties(f: Finding, pkg: Package | undefined): Record<string, unknown> {
  const layer = isVulnerability(f) ? pkg?.locations[0]?.layer : f.location?.layer;
  if (!isVulnerability(f))
    return {
      ...(layer ? { layer } : {}),
      ...(f.deleted ? { deleted: true } : {}),
      ...(f.field ? { field: f.field } : {}),
    };
  return {
    ...(pkg ? { packageName: pkg.name, purl: pkg.purl } : {}),
    installedVersion: f.installedVersion,
    ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
    status: f.status,
    ...(f.epss !== undefined ? { epss: f.epss } : {}),
    kev: f.kev,
    ...(layer ? { layer } : {}),
  };
}

export function buildSarif(report: Report, opts: RenderOptions): Record<string, unknown> {
  const pkgs = packageIndex(report.packages);
  const pkgOf = (f: Finding): Package | undefined => (isVulnerability(f) ? pkgs.get(f.package) : undefined);
  const entries: { finding: Finding; suppressed?: SuppressedFinding }[] = [
    ...[...report.findings].sort(compareFindings).map((finding) => ({ finding })),
    ...report.suppressed.map((s) => ({ finding: s.finding, suppressed: s })),
  ];
  const accs = [...collectRules(entries.map((e) => e.finding)).values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const ruleIndex = new Map(accs.map((r, i) => [r.id, i]));

  const results = entries.map(({ finding: f, suppressed }) => {
    const pkg = pkgOf(f);
    const locs = location(f, pkg);
    const props = properties(f, pkg);
    return {
      ruleId: f.id,
      ruleIndex: ruleIndex.get(f.id),
      level: sarifLevel(f.severity),
      message: { text: message(f, pkg, report.target.name) },
      ...(locs.length ? { locations: locs } : {}),
      partialFingerprints: { "airbagFindingHash/v1": fingerprint(f, pkg) },
      ...(suppressed
        ? { suppressions: [{ kind: "external", state: "accepted", justification: suppressed.reason }] }
        : {}),
      ...(Object.keys(props).length ? { properties: props } : {}),
    };
  });

  const t = report.target;
  return sarifLog(opts.toolVersion, accs.map(ruleFor), {
    results,
    properties: {
      target: t.name,
      targetKind: t.kind,
      ...(t.digest ? { digest: t.digest } : {}),
      ...(t.os ? { os: [t.os.family, t.os.version].filter(Boolean).join(" ") } : {}),
    },
  });
}

/** A SARIF 2.1.0 log with one run of Airbag's: the driver and its rules, plus the run's own parts. */
export function sarifLog(toolVersion: string, rules: unknown[], run: Record<string, unknown>) {
  return {
    $schema: SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "airbag", version: toolVersion, semanticVersion: toolVersion, rules } },
        ...run,
      },
    ],
  };
}

export const reportSarifFormat: ReportFormatter = {
  name: "sarif",
  render: (report, opts) => `${JSON.stringify(buildSarif(report, opts), null, 2)}\n`,
};
