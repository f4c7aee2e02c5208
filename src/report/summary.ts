import { severityRank } from "../match/severity.js";
import {
  type Cvss,
  type Finding,
  type Package,
  SEVERITIES,
  type Severity,
  type VulnerabilityFinding,
} from "../model/index.js";

/**
 * Facts about findings that every report format needs (counts, order, package lookup), in one place so
 * the table, SARIF, CycloneDX and HTML outputs of one scan can never disagree with each other.
 */

/** Counts per severity. Pass `report.findings` only: suppressed findings are counted separately. */
export function summarize(findings: readonly Finding[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[Object.hasOwn(out, f.severity) ? f.severity : "unknown"]++;
  return out;
}

export const isVulnerability = (f: Finding): f is VulnerabilityFinding => f.kind === "vulnerability";

/** Worst first, then by id, then by package: a stable order independent of matcher output order. */
export function compareFindings(a: Finding, b: Finding): number {
  const bySeverity = severityRank(b.severity) - severityRank(a.severity);
  if (bySeverity) return bySeverity;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const pa = isVulnerability(a) ? a.package : (a.location?.path ?? "");
  const pb = isVulnerability(b) ? b.package : (b.location?.path ?? "");
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** Highest CVSS base score of any source and version, if any source scored it. */
export function maxCvssScore(cvss: readonly Cvss[]): number | undefined {
  const scores = cvss.map((c) => c.score).filter((s) => Number.isFinite(s) && s > 0);
  return scores.length ? Math.max(...scores) : undefined;
}

// Distro package managers: their findings are fixed by the base image, language ones by the app team,
// which is why reports list them in two groups.
const OS_TYPES = new Set(["deb", "apk", "rpm", "alpm", "ebuild"]);
export const isOsPackage = (p: Package): boolean => OS_TYPES.has(p.type);

export function packageIndex(packages: readonly Package[]): Map<string, Package> {
  return new Map(packages.map((p) => [p.id, p]));
}

/**
 * The value when it is an absolute http(s) URL, else undefined. Advisory references come from feeds we
 * do not control: a `javascript:` or relative "reference" must never become a link or a SARIF helpUri.
 */
export function webUrl(s: string | undefined): string | undefined {
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a located finding is: `path:line` (or the path alone) for a file, the config field
 * (`config.Env[1]`, `history[3].created_by`) for a finding in the image configuration.
 */
export function locationText(f: Finding): string {
  if (isVulnerability(f)) return "";
  if (!f.location) return f.field ?? "";
  return f.location.line ? `${f.location.path}:${f.location.line}` : f.location.path;
}
