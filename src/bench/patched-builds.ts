import { readFileSync } from "node:fs";
import { cpeMatchesVersion } from "../match/cpe.js";
import type { AdvisoryLookup } from "../match/matcher.js";
import { inputError } from "../model/index.js";
import { FIX_COMMITS_FILE } from "./runtime-db.js";
import type { RuntimeComponent } from "./types.js";

/**
 * Builds that print an old version but carry the fix. Vendors and distros backport fixes without
 * bumping the upstream version (runc `1.0.0-rc6+dev` in Docker 18.09.2 has the CVE-2019-5736 fix;
 * Debian's runc `1.1.5+ds1-1+deb12u1` has CVE-2024-21626's), so a version-only match would be a false
 * positive. Each rule below is data-driven and returns the reason the finding is suppressed (never
 * dropped), or undefined when the data does not show the build is patched.
 */

export interface FixCommitEntry {
  /** CVE (or advisory) id */
  id: string;
  /** normalised component name: runc, containerd */
  component: string;
  /** full upstream commit hashes that contain the fix */
  commits: string[];
  /** first upstream release with the fix, when the advisory data does not say */
  fixedVersion?: string;
  /** where the entry comes from */
  source: string;
}

let bundled: FixCommitEntry[] | undefined;

/** Read and check a fix-commit table (`data/runtime-advisories/fix-commits.json` by default). */
export function loadFixCommits(file = FIX_COMMITS_FILE): FixCommitEntry[] {
  if (file === FIX_COMMITS_FILE && bundled) return bundled;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw inputError(`${file}: not a readable JSON fix-commit table (${(err as Error).message})`, err);
  }
  const entries = (doc as { entries?: unknown })?.entries;
  if (!Array.isArray(entries)) throw inputError(`${file}: "entries" must be an array`);
  const out = entries.map((e, i): FixCommitEntry => {
    const where = `${file}: entries[${i}]`;
    const o = e as Record<string, unknown>;
    for (const k of ["id", "component", "source"] as const)
      if (typeof o?.[k] !== "string" || !o[k]) throw inputError(`${where}.${k} must be a non-empty string`);
    const commits = o.commits;
    if (!Array.isArray(commits) || !commits.every((c) => typeof c === "string" && /^[0-9a-f]{40}$/.test(c)))
      throw inputError(`${where}.commits must be a list of 40-hex commit hashes`);
    if (o.fixedVersion !== undefined && typeof o.fixedVersion !== "string")
      throw inputError(`${where}.fixedVersion must be a string`);
    return {
      id: o.id as string,
      component: o.component as string,
      commits: commits as string[],
      ...(typeof o.fixedVersion === "string" ? { fixedVersion: o.fixedVersion } : {}),
      source: o.source as string,
    };
  });
  if (file === FIX_COMMITS_FILE) bundled = out;
  return out;
}

/**
 * The git hash in a component's commit field: a hash (full or abbreviated, as /info's `fec3683`) or the
 * hash inside `git describe` output (`v1.1.11-0-g4bccb38c`); undefined for Debian versions and junk.
 */
export function commitHash(commit: string | undefined): string | undefined {
  const c = commit?.trim().toLowerCase();
  if (!c) return undefined;
  if (/^[0-9a-f]{7,40}$/.test(c)) return c;
  return /-g([0-9a-f]{7,40})(?:-dirty)?$/.exec(c)?.[1];
}

/** Rule (a): the build's commit is one of the CVE's upstream fix commits. */
export function fixCommitReason(
  c: RuntimeComponent,
  ids: string[],
  table: FixCommitEntry[],
): string | undefined {
  const hash = commitHash(c.commit);
  if (!hash) return undefined;
  for (const e of table) {
    if (e.component !== c.name || !ids.includes(e.id)) continue;
    const full = e.commits.find((x) => x.startsWith(hash));
    if (full)
      return `${c.name} ${c.version} was built from commit ${full.slice(0, 12)}, the upstream fix for ${e.id} (${e.source}); the version it prints predates the fix`;
  }
  return undefined;
}

/** The first fixed release the fix-commit table knows for one of `ids`. */
export function tableFixedVersion(
  component: string,
  ids: string[],
  table: FixCommitEntry[],
): string | undefined {
  return table.find((e) => e.component === component && ids.includes(e.id) && e.fixedVersion)?.fixedVersion;
}

const DOCKER_CPES = ["docker:docker", "mobyproject:moby"];

/**
 * Rule (b): a `+dev` runc is a vendor build (Docker's static runc from containerd.io). When NVD's record
 * of the same CVE lists the Docker engine's affected versions and the engine in use is outside them, the
 * engine release shipped a runc with the fix, whatever version that runc prints.
 */
export function vendorBuildReason(
  c: RuntimeComponent,
  ids: string[],
  engine: RuntimeComponent | undefined,
  source: AdvisoryLookup,
): string | undefined {
  if (c.name !== "runc" || !/\+dev\b/.test(c.version)) return undefined;
  if (engine?.product !== "docker" || engine.version === "unknown") return undefined;
  for (const product of DOCKER_CPES) {
    for (const adv of source.advisoriesFor("cpe", product)) {
      if (!ids.includes(adv.id)) continue;
      const entries = adv.affected
        .filter((a) => a.ecosystem === "cpe" && a.package === product)
        .flatMap((a) => a.cpe ?? []);
      if (entries.length === 0) continue;
      if (entries.some((m) => cpeMatchesVersion(m, engine.version))) return undefined;
      const ranges = entries.map(describeCpeRange).join(", ");
      return `${c.name} ${c.version} is the vendor build shipped with Docker ${engine.version}, which NVD lists as not affected by ${adv.id} (${product} affected: ${ranges}); Docker backported the fix without changing runc's version`;
    }
  }
  return undefined;
}

function describeCpeRange(m: {
  criteria: string;
  versionStartIncluding?: string;
  versionStartExcluding?: string;
  versionEndIncluding?: string;
  versionEndExcluding?: string;
}): string {
  const parts: string[] = [];
  if (m.versionStartIncluding) parts.push(`>= ${m.versionStartIncluding}`);
  if (m.versionStartExcluding) parts.push(`> ${m.versionStartExcluding}`);
  if (m.versionEndIncluding) parts.push(`<= ${m.versionEndIncluding}`);
  if (m.versionEndExcluding) parts.push(`< ${m.versionEndExcluding}`);
  if (parts.length) return parts.join(" ");
  const f = m.criteria.split(":");
  return [f[5], f[6]].filter((x) => x && x !== "*").join(":") || "all versions";
}
