import { cpeMatchesVersion } from "../match/cpe.js";
import {
  type AdvisoryLookup,
  findingForGroup,
  groupAliases,
  type Hit as MatchHit,
  rangeHits,
  safeCompare,
} from "../match/matcher.js";
import { compareRuntimeVersions, parseRuntimeVersion, runtimeMajor } from "../match/runtime-version.js";
import { severityRank } from "../match/severity.js";
import type { SuppressedFinding, VulnerabilityFinding } from "../model/index.js";
import { type DistroBuild, distroBuildOf, distroReason, mentionedIds } from "./distro-builds.js";
import {
  type FixCommitEntry,
  fixCommitReason,
  loadFixCommits,
  tableFixedVersion,
  vendorBuildReason,
} from "./patched-builds.js";
import type { RuntimeComponent } from "./types.js";

/**
 * Outdated runtime components → vulnerability findings. Each component is matched against the Go
 * vulndb ranges of its Go module and NVD's CPE entries of its product (kept by the NVD importer under
 * ecosystem `cpe`), both read with the runtime version order (`1.0.0-rc6+dev`, `18.06.1-ce`), and —
 * for distro packages — the distro's own advisories. Advisories that are aliases of each other
 * (GO-2024-2491 ↔ CVE-2024-21626) become one finding. Builds the data shows patched (distro package,
 * fix commit, vendor build of a fixed Docker release) go to `suppressed` with the reason.
 */

export interface OutdatedResult {
  findings: VulnerabilityFinding[];
  suppressed: SuppressedFinding[];
}

export interface MatchComponentsOptions {
  /** fix-commit table (default: the bundled data/runtime-advisories/fix-commits.json) */
  fixCommits?: FixCommitEntry[];
  /** distro release of the host when the package version does not say (`Debian:12`) */
  distro?: string;
}

interface Target {
  /** Go module and the version spelled as the Go vulndb's module versions */
  go: { module: string; version: string }[];
  /** CPE `vendor:product` */
  cpe: string[];
}

/** Where each component's advisories live. crun, conmon, docker-init and the kernel have none here. */
export function targetsFor(c: RuntimeComponent): Target | undefined {
  const v = `v${c.version.replace(/^v/, "")}`;
  const major = runtimeMajor(c.version);
  if (c.name === "runc")
    return { go: [{ module: "github.com/opencontainers/runc", version: v }], cpe: ["linuxfoundation:runc"] };
  if (c.name === "containerd") {
    const module =
      (major ?? 0) >= 2 ? "github.com/containerd/containerd/v2" : "github.com/containerd/containerd";
    return { go: [{ module, version: v }], cpe: ["linuxfoundation:containerd"] };
  }
  if (c.name === "engine" && c.product === "docker")
    return {
      go: [{ module: "github.com/docker/docker", version: `${v.replace(/\+.*$/, "")}+incompatible` }],
      cpe: ["docker:docker", "mobyproject:moby"],
    };
  if (c.name === "engine" && c.product === "podman") {
    const module =
      (major ?? 0) >= 2 ? `github.com/containers/podman/v${major}` : "github.com/containers/podman";
    return { go: [{ module, version: v }], cpe: ["podman_project:podman"] };
  }
  return undefined;
}

interface Hit extends MatchHit {
  distro: boolean;
}

function upstreamHits(c: RuntimeComponent, target: Target, lookup: AdvisoryLookup): Hit[] {
  const hits: Hit[] = target.go.flatMap(({ module, version }) =>
    rangeHits(
      lookup.advisoriesFor("Go", module),
      (aff) => aff.ecosystem === "Go" && aff.package === module,
      version,
      compareRuntimeVersions,
    ).map((h) => ({ ...h, distro: false })),
  );
  for (const product of target.cpe)
    for (const advisory of lookup.advisoriesFor("cpe", product)) {
      const entries = advisory.affected
        .filter((a) => a.ecosystem === "cpe" && a.package === product)
        .flatMap((a) => a.cpe ?? [])
        .filter((m) => cpeMatchesVersion(m, c.version));
      if (entries.length === 0) continue;
      const fixes = entries.map((m) => m.versionEndExcluding).filter((f): f is string => !!f);
      const fixed = fixes.sort(compareRuntimeVersions)[0];
      hits.push({ advisory, fixed, status: fixed ? "fixed" : "affected", distro: false });
    }
  return hits;
}

function distroHits(build: DistroBuild): Hit[] {
  return rangeHits(
    build.advisories,
    (aff) => aff.ecosystem === build.ecosystem && aff.package === build.pkg,
    build.version,
    safeCompare(build.ecosystem),
  ).map((h) => ({ ...h, distro: true }));
}

const idsOf = (group: Hit[]) => [...new Set(group.flatMap((h) => [h.advisory.id, ...h.advisory.aliases]))];

function matchOne(
  c: RuntimeComponent,
  engine: RuntimeComponent | undefined,
  lookup: AdvisoryLookup,
  table: FixCommitEntry[],
  distro: string | undefined,
  out: OutdatedResult,
): void {
  const target = targetsFor(c);
  if (!target || !parseRuntimeVersion(c.version)) return;
  const build = distroBuildOf(c, lookup, distro);
  const mentioned = build ? mentionedIds(build) : new Set<string>();
  const hits = [...upstreamHits(c, target, lookup), ...(build ? distroHits(build) : [])];
  for (const group of groupAliases(hits)) {
    const ids = idsOf(group);
    const byDistro = build !== undefined && ids.some((i) => mentioned.has(i));
    if (byDistro) {
      const own = group.filter((h) => h.distro);
      if (own.length) {
        const finding = findingForGroup(
          { package: c.name, installedVersion: build.version },
          own,
          lookup,
          safeCompare(build.ecosystem),
        );
        out.findings.push({ ...finding, ...mergedSources(finding, group) });
      } else {
        const finding = findingForGroup(
          { package: c.name, installedVersion: c.version },
          group,
          lookup,
          compareRuntimeVersions,
        );
        out.suppressed.push({ finding, reason: distroReason(c, build, finding.id, ids) });
      }
      continue;
    }
    const upstream = group.filter((h) => !h.distro);
    const fallback = tableFixedVersion(c.name, ids, table);
    const finding = findingForGroup(
      { package: c.name, installedVersion: c.version, ...(fallback ? { fallbackFix: fallback } : {}) },
      upstream,
      lookup,
      compareRuntimeVersions,
    );
    const reason = fixCommitReason(c, ids, table) ?? vendorBuildReason(c, ids, engine, lookup);
    if (reason) out.suppressed.push({ finding, reason });
    else out.findings.push(finding);
  }
}

/** A distro-decided finding still names every source that contributed to the group. */
function mergedSources(f: VulnerabilityFinding, group: Hit[]): Pick<VulnerabilityFinding, "dataSource"> {
  return {
    dataSource: [...new Set([...f.dataSource.split(","), ...group.map((h) => h.advisory.source)])].join(","),
  };
}

/**
 * Go module versions as people know the releases: `20.10.9+incompatible` is Docker 20.10.9, and a
 * pseudo-version `1.0.0-rc9.0.20200122160610-2fc03cc11c77` is commit 2fc03cc11c77, made after 1.0.0-rc9.
 */
export function releaseSpelling(v: string): string {
  const plain = v.replace(/\+incompatible$/, "");
  const pseudo = /^(.*?)\.?0\.(\d{14})-([0-9a-f]{12})$/.exec(plain);
  return pseudo ? `commit ${pseudo[3]} (after ${pseudo[1]})` : plain;
}

const tidyFix = (f: VulnerabilityFinding): VulnerabilityFinding =>
  f.fixedVersion ? { ...f, fixedVersion: releaseSpelling(f.fixedVersion) } : f;

/**
 * Match runtime components against the advisories in `lookup` (the vulnerability DB or the bundled
 * pack, see runtime-db.ts). Findings are sorted by severity, then component, then id.
 */
export function matchComponents(
  components: RuntimeComponent[],
  lookup: AdvisoryLookup,
  opts: MatchComponentsOptions = {},
): OutdatedResult {
  const table = opts.fixCommits ?? loadFixCommits();
  const engine = components.find((c) => c.name === "engine");
  const out: OutdatedResult = { findings: [], suppressed: [] };
  for (const c of components) matchOne(c, engine, lookup, table, opts.distro, out);
  const order = (a: VulnerabilityFinding, b: VulnerabilityFinding) =>
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.package < b.package ? -1 : a.package > b.package ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  out.findings = out.findings.map(tidyFix).sort(order);
  out.suppressed = out.suppressed.map((s) => ({ ...s, finding: tidyFix(s.finding as VulnerabilityFinding) }));
  out.suppressed.sort((a, b) => order(a.finding as VulnerabilityFinding, b.finding as VulnerabilityFinding));
  return out;
}
