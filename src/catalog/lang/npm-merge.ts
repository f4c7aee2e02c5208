import type { Package } from "../../model/index.js";
import { packageId } from "../purl.js";
import { baseName, dirName, LOCK_NAMES } from "./npm-common.js";

/**
 * One package, not two, when a project's lockfile and its installed node_modules both list it.
 *
 * The npm analyzers each report what their file says: npm-installed one package per installed
 * `package.json`, the lock analyzers one per name@version per lockfile. This runs once over the whole
 * package list after every analyzer has run (it needs both sides) and merges, per name@version:
 *
 * - lock packages whose lockfiles sit in the same directory (package-lock.json next to yarn.lock);
 * - with them, every installed copy whose path lies below that directory, when it is the nearest
 *   directory above the copy holding a lockfile (a nested project's node_modules belongs to the nested
 *   project, even when its lockfile is stale).
 *
 * The merged package lists the installed locations first (installed metadata is the truth inside an
 * image), then the lockfiles; its licences are the installed manifest's when it states any, else the
 * lockfile's; metadata is combined (installed wins on conflicts; `dev` comes from the lockfile). Installed
 * copies without a lockfile, lock entries that were never installed, and every non-npm package pass
 * through unchanged. Order is kept: a merged package takes the place of its first member.
 */

type Kind = "installed" | "lock";

function kindOf(p: Package): Kind | undefined {
  if (p.type !== "npm" || p.locations.length !== 1) return undefined;
  const path = p.locations[0]!.path;
  if (path.endsWith("/package.json") && path.includes("node_modules/")) return "installed";
  return LOCK_NAMES.has(baseName(path)) ? "lock" : undefined;
}

const keyOf = (dir: string, p: Package) => `${dir}\0${p.name}\0${p.version}`;

export function mergeNpm(packages: Package[]): Package[] {
  // group key → member indexes; lock groups are created first so installed copies can find them
  const groups = new Map<string, number[]>();
  const lockDirs = new Set<string>();
  const kinds = packages.map(kindOf);
  packages.forEach((p, i) => {
    // every lockfile seen decides which project an installed copy belongs to, merged ones included
    if (p.type === "npm")
      for (const l of p.locations) if (LOCK_NAMES.has(baseName(l.path))) lockDirs.add(dirName(l.path));
    if (kinds[i] !== "lock") return;
    const dir = dirName(p.locations[0]!.path);
    const key = keyOf(dir, p);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  if (groups.size === 0) return packages;
  packages.forEach((p, i) => {
    if (kinds[i] !== "installed") return;
    nearestGroup(groups, lockDirs, p)?.push(i);
  });

  const leader = new Map<number, number[]>(); // first member index → members
  const absorbed = new Set<number>();
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    members.sort((a, b) => a - b);
    leader.set(members[0]!, members);
    for (const m of members.slice(1)) absorbed.add(m);
  }
  const out: Package[] = [];
  packages.forEach((p, i) => {
    if (absorbed.has(i)) return;
    const members = leader.get(i);
    out.push(
      members
        ? combine(
            members.map((m) => packages[m]!),
            members.map((m) => kinds[m]!),
          )
        : p,
    );
  });
  return out;
}

/**
 * The installed package's project is the nearest directory above it with a lockfile (node's own lookup
 * goes upwards the same way); it joins that lockfile's entry for its name@version, if there is one.
 */
function nearestGroup(
  groups: Map<string, number[]>,
  lockDirs: Set<string>,
  p: Package,
): number[] | undefined {
  let dir = dirName(p.locations[0]!.path); // the package directory itself holds no lockfile we read
  while (dir !== "") {
    dir = dirName(dir);
    if (lockDirs.has(dir)) return groups.get(keyOf(dir, p));
  }
  return undefined;
}

function combine(members: Package[], kinds: Kind[]): Package {
  const installed = members.filter((_, i) => kinds[i] === "installed");
  const locks = members.filter((_, i) => kinds[i] === "lock");
  const byPath = (a: Package, b: Package) => (a.locations[0]!.path < b.locations[0]!.path ? -1 : 1);
  installed.sort(byPath);
  locks.sort(byPath);
  const ordered = [...installed, ...locks];
  const base = ordered[0]!;
  const locations = ordered.map((p) => p.locations[0]!);
  const licenses =
    installed.find((p) => p.licenses.length > 0)?.licenses ??
    locks.find((p) => p.licenses.length > 0)?.licenses ??
    [];
  const metadata = Object.assign(
    {},
    ...[...locks].reverse().map((p) => p.metadata),
    ...installed.map((p) => p.metadata),
  );
  // dev-only when every lockfile says so
  if (locks.some((p) => !p.metadata?.dev)) delete metadata.dev;
  const { metadata: _, ...rest } = base;
  return {
    ...rest,
    id: packageId(base.purl, locations[0]),
    locations,
    licenses: [...licenses],
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}
