import type {
  Advisory,
  Cvss,
  FixStatus,
  Inventory,
  Package,
  Severity,
  VulnerabilityFinding,
} from "../model/index.js";
import { compareVersions } from "../versioning/index.js";
import { affectedVerdict } from "./ranges.js";
import { severityFromCvss, severityRank } from "./severity.js";

/**
 * Matching = pure function of (inventory, advisories). OS packages are looked up only in their own
 * distro release's advisories and by *source* package (Debian/Ubuntu `Source:`, Alpine origin, rpm
 * SOURCERPM), so a backported fix is recognised by the distro's own fixed version; language packages in
 * their ecosystem. Findings that are aliases of each other (CVE ↔ DSA ↔ GHSA) become one finding.
 */

export interface Enrichment {
  cvss: Cvss[];
  severity?: Severity;
  epss?: number;
  kev: boolean;
  title?: string;
  references: string[];
}

export interface AdvisoryLookup {
  advisoriesFor(ecosystem: string, pkg: string): Advisory[];
  /** facts other sources hold about any of these ids (NVD CVSS, EPSS, KEV) */
  enrich(ids: string[]): Enrichment;
}

interface Query {
  ecosystem: string;
  name: string;
  version: string;
}

/** PEP 503 normalisation: advisories and installed metadata spell PyPI names differently. */
const pep503 = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

export function queriesFor(pkg: Package): Query[] {
  const eco = pkg.ecosystem;
  switch (pkg.type) {
    case "deb":
      return [
        { ecosystem: eco, name: pkg.source?.name ?? pkg.name, version: pkg.source?.version ?? pkg.version },
      ];
    case "apk":
      return [{ ecosystem: eco, name: pkg.source?.name ?? pkg.name, version: pkg.version }];
    case "rpm": {
      const qs = [{ ecosystem: eco, name: pkg.name, version: pkg.version }];
      if (pkg.source?.name && pkg.source.name !== pkg.name)
        qs.push({ ecosystem: eco, name: pkg.source.name, version: pkg.version });
      return qs;
    }
    case "pypi":
      return [{ ecosystem: eco, name: pep503(pkg.name), version: pkg.version }];
    default:
      return [{ ecosystem: eco, name: pkg.name, version: pkg.version }];
  }
}

/** One advisory's verdict for one package (or runtime component). */
export interface Hit {
  advisory: Advisory;
  fixed?: string;
  status: FixStatus;
  severity?: Severity;
}

/** The ecosystem's version order; never throws (odd strings compare as strings). */
export function safeCompare(ecosystem: string) {
  return (a: string, b: string): number => {
    try {
      return compareVersions(ecosystem, a, b);
    } catch {
      return a < b ? -1 : a > b ? 1 : 0;
    }
  };
}

/**
 * The advisories' affected entries that `isFor` accepts and whose ranges contain `version`, as hits
 * (fixed version, fix status, the entry's own rating).
 */
export function rangeHits(
  advisories: readonly Advisory[],
  isFor: (aff: Advisory["affected"][number]) => boolean,
  version: string,
  cmp: (a: string, b: string) => number,
): Hit[] {
  const hits: Hit[] = [];
  for (const advisory of advisories)
    for (const aff of advisory.affected) {
      if (!isFor(aff)) continue;
      const v = affectedVerdict(version, aff, cmp);
      if (!v.affected) continue;
      hits.push({
        advisory,
        fixed: v.fixed,
        status: v.fixed ? "fixed" : (aff.status ?? "affected"),
        severity: aff.severity,
      });
    }
  return hits;
}

function hitsFor(pkg: Package, lookup: AdvisoryLookup): Hit[] {
  const norm = pkg.type === "pypi" ? pep503 : (n: string) => n;
  return queriesFor(pkg).flatMap((q) =>
    rangeHits(
      lookup.advisoriesFor(q.ecosystem, q.name),
      (aff) => aff.ecosystem === q.ecosystem && norm(aff.package) === q.name,
      q.version,
      safeCompare(q.ecosystem),
    ),
  );
}

/** Group hits whose ids or aliases overlap (union-find over identifiers). */
export function groupAliases<H extends Hit>(hits: H[]): H[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const add = (x: string) => {
    if (!parent.has(x)) parent.set(x, x);
  };
  for (const h of hits) {
    add(h.advisory.id);
    for (const a of h.advisory.aliases) {
      add(a);
      parent.set(find(a), find(h.advisory.id));
    }
  }
  const groups = new Map<string, H[]>();
  for (const h of hits) {
    const root = find(h.advisory.id);
    groups.set(root, [...(groups.get(root) ?? []), h]);
  }
  return [...groups.values()];
}

/** The id users search for: the CVE when the group has exactly one, else the first advisory's id. */
export function primaryId(ids: string[]): string {
  const cves = ids.filter((i) => i.startsWith("CVE-"));
  return cves.length === 1 ? cves[0]! : ids[0]!;
}

/** What a finding is about: the package id (or component name), its version, a fix known elsewhere. */
export interface FindingSubject {
  package: string;
  installedVersion: string;
  fallbackFix?: string;
}

/** One finding for an alias group: ids merged, rated (package rating, own, enrichment, CVSS), fix chosen. */
export function findingForGroup(
  subject: FindingSubject,
  group: Hit[],
  lookup: AdvisoryLookup,
  cmp: (a: string, b: string) => number,
): VulnerabilityFinding {
  const ids = [...new Set(group.flatMap((h) => [h.advisory.id, ...h.advisory.aliases]))];
  const id = primaryId(ids);
  const extra = lookup.enrich(ids);
  const cvss = dedupeCvss([...group.flatMap((h) => h.advisory.cvss), ...extra.cvss]);
  // the distro's (or the package-specific) rating first, then the advisory's own, then CVSS
  const ranked = group.map((h) => h.severity).find((s) => s && s !== "unknown");
  const own = group.map((h) => h.advisory.severity).find((s) => s && s !== "unknown");
  // an OSV MAL- record is a malicious package (OpenSSF malicious-packages): no CVSS, always critical
  const malicious = ids.some((i) => i.startsWith("MAL-")) ? ("critical" as const) : undefined;
  const severity = ranked ?? own ?? extra.severity ?? severityFromCvss(cvss) ?? malicious ?? "unknown";
  const fixes = group.map((h) => h.fixed).filter((f): f is string => !!f);
  const fixedVersion = fixes.sort(cmp)[0] ?? subject.fallbackFix;
  const statuses = group.map((h) => h.status);
  const status: FixStatus = fixedVersion ? "fixed" : (statuses.find((s) => s !== "affected") ?? "affected");
  const first = group.find((h) => h.advisory.id === id)?.advisory ?? group[0]!.advisory;
  return {
    kind: "vulnerability",
    id,
    aliases: ids.filter((i) => i !== id).sort(),
    severity,
    package: subject.package,
    installedVersion: subject.installedVersion,
    ...(fixedVersion ? { fixedVersion } : {}),
    status,
    cvss,
    ...(extra.epss !== undefined ? { epss: extra.epss } : {}),
    kev: extra.kev,
    title: first.summary ?? extra.title ?? firstLine(first.details),
    references: [...new Set([...group.flatMap((h) => h.advisory.references), ...extra.references])],
    dataSource: [...new Set(group.map((h) => h.advisory.source))].join(","),
  };
}

const firstLine = (s?: string) => s?.split("\n")[0]?.slice(0, 200) || undefined;

function dedupeCvss(list: Cvss[]): Cvss[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    const k = `${c.source}\0${c.vector}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function matchPackage(pkg: Package, lookup: AdvisoryLookup): VulnerabilityFinding[] {
  const hits = hitsFor(pkg, lookup);
  if (hits.length === 0) return [];
  const cmp = safeCompare(pkg.ecosystem);
  return groupAliases(hits).map((g) =>
    findingForGroup({ package: pkg.id, installedVersion: pkg.version }, g, lookup, cmp),
  );
}

export function matchInventory(inv: Inventory, lookup: AdvisoryLookup): VulnerabilityFinding[] {
  const out = inv.packages.flatMap((p) => matchPackage(p, lookup));
  return out.sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
