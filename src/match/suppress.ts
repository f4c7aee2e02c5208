import type { Finding, Inventory, Package, Severity, SuppressedFinding } from "../model/index.js";
import { globToRegExp, type IgnoreRule } from "./ignore-file.js";
import { purlMatches, type VexStatement } from "./vex.js";

/**
 * Everything that takes a finding out of the gate: a detector's own verdict (Airbag's rule files),
 * ignore rules, VEX statements, `--severity` and `--only-fixed`. Nothing is dropped: each removed
 * finding goes to `suppressed` with the reason, so a report always accounts for every match.
 */

export interface SuppressOptions {
  ignore?: readonly IgnoreRule[];
  vex?: readonly VexStatement[];
  /** keep only these severities */
  severities?: ReadonlySet<Severity>;
  /** keep only vulnerabilities with a fixed version */
  onlyFixed?: boolean;
  now?: Date;
}

export interface SuppressResult {
  findings: Finding[];
  suppressed: SuppressedFinding[];
  warnings: string[];
}

export function suppressFindings(
  findings: readonly Finding[],
  inv: Inventory,
  opts: SuppressOptions,
): SuppressResult {
  const now = opts.now ?? new Date();
  const warnings: string[] = [];
  const active: (IgnoreRule & { re?: RegExp })[] = [];
  for (const r of opts.ignore ?? []) {
    if (r.expires && r.expires.getTime() < now.getTime()) {
      warnings.push(
        `${r.where} (${r.id}) expired on ${r.expires.toISOString().slice(0, 10)}; no longer suppressing`,
      );
      continue;
    }
    active.push({ ...r, ...(r.path ? { re: globToRegExp(r.path) } : {}) });
  }
  const packages = new Map(inv.packages.map((p) => [p.id, p]));
  const out: SuppressResult = { findings: [], suppressed: [], warnings };
  for (const f of findings) {
    if (f.kind !== "vulnerability" && f.suppressedBecause) {
      // the detector's own verdict (Airbag's rule files): listed with its reason, field not repeated
      const { suppressedBecause: reason, ...finding } = f;
      out.suppressed.push({ finding, reason });
      continue;
    }
    const pkg = f.kind === "vulnerability" ? packages.get(f.package) : undefined;
    const reason =
      ignoreReason(f, pkg, active) ?? vexReason(f, pkg, opts.vex ?? [], inv) ?? filterReason(f, opts);
    if (reason) out.suppressed.push({ finding: f, reason });
    else out.findings.push(f);
  }
  return out;
}

const idsOf = (f: Finding): string[] => (f.kind === "vulnerability" ? [f.id, ...f.aliases] : [f.id]);

const pathsOf = (f: Finding, pkg: Package | undefined): string[] =>
  f.kind === "vulnerability"
    ? (pkg?.locations.map((l) => l.path) ?? [])
    : f.location
      ? [f.location.path]
      : [];

function ignoreReason(
  f: Finding,
  pkg: Package | undefined,
  rules: readonly (IgnoreRule & { re?: RegExp })[],
) {
  const ids = idsOf(f).map((s) => s.toLowerCase());
  for (const r of rules) {
    if (!ids.includes(r.id.toLowerCase())) continue;
    if (r.package && !packageMatches(r.package, pkg)) continue;
    if (r.re && !pathsOf(f, pkg).some((p) => r.re!.test(p))) continue;
    const until = r.expires ? ` until ${r.expires.toISOString().slice(0, 10)}` : "";
    return `ignored by ${r.where}${until}: ${r.reason}`;
  }
  return undefined;
}

function packageMatches(want: string, pkg: Package | undefined): boolean {
  if (!pkg) return false;
  if (want.startsWith("pkg:")) return purlMatches(want, pkg.purl);
  return want === pkg.name || want === pkg.id || want === pkg.source?.name;
}

function vexReason(f: Finding, pkg: Package | undefined, vex: readonly VexStatement[], inv: Inventory) {
  if (f.kind !== "vulnerability" || vex.length === 0) return undefined;
  const ids = new Set(idsOf(f).map((s) => s.toLowerCase()));
  let best: VexStatement | undefined;
  for (const s of vex) {
    if (!s.vulnerability.some((v) => ids.has(v.toLowerCase()))) continue;
    if (!statementCovers(s, pkg, inv)) continue;
    // the latest statement about this vulnerability and product is the publisher's current word
    if (!best || (s.timestamp ?? 0) >= (best.timestamp ?? 0)) best = s;
  }
  if (!best || (best.status !== "not_affected" && best.status !== "fixed")) return undefined;
  const why = best.justification ?? best.impact ?? "";
  return `VEX ${best.status}${why ? ` (${why})` : ""} by ${best.where}`;
}

const IMAGE_PURL = /^pkg:(oci|docker)\//i;

function statementCovers(s: VexStatement, pkg: Package | undefined, inv: Inventory): boolean {
  if (!pkg) return false;
  const products = s.products;
  const packageLevel = products.filter((p) => p.startsWith("pkg:") && !IMAGE_PURL.test(p));
  if (packageLevel.some((p) => purlMatches(p, pkg.purl))) return true;
  const imageLevel = products.filter((p) => !packageLevel.includes(p));
  const forThisImage = products.length === 0 || imageLevel.some((p) => namesImage(p, inv));
  if (!forThisImage) return false;
  return s.subcomponents.length === 0 || s.subcomponents.some((c) => purlMatches(c, pkg.purl));
}

/** Does a VEX product identifier (image purl, reference or digest) name the scanned image? */
function namesImage(product: string, inv: Inventory): boolean {
  const decoded = decodeURIComponent(product).toLowerCase();
  const digest = inv.target.digest?.toLowerCase();
  if (digest && decoded.includes(digest)) return true;
  const repo = (s: string) =>
    s
      .replace(/^pkg:(oci|docker)\//, "")
      .replace(/^[a-z]+:/, "")
      .split(/[?@#]/, 1)[0]!
      .replace(/:[^/]*$/, "")
      .split("/")
      .pop();
  const name = repo(inv.target.name.toLowerCase());
  return !!name && name === repo(decoded);
}

function filterReason(f: Finding, opts: SuppressOptions): string | undefined {
  if (opts.severities && !opts.severities.has(f.severity))
    return `severity ${f.severity} not selected by --severity`;
  if (opts.onlyFixed && f.kind === "vulnerability" && !f.fixedVersion)
    return "no fixed version yet (--only-fixed)";
  return undefined;
}
