import type { AdvisoryLookup } from "../match/matcher.js";
import type { Advisory } from "../model/index.js";
import type { RuntimeComponent } from "./types.js";

/**
 * Rule (c) of patched builds: a distro package. Debian and Ubuntu backport fixes into their own package
 * versions (`1.1.5+ds1-1+deb12u1`) while the binary still prints the upstream version (`1.1.5+ds1`); the
 * package version shows up in runc's commit line, in `/info` RuncCommit and in podman's Package detail.
 * When the database has the distro's advisories for the component's source package, the distro's fixed
 * versions decide instead of the upstream version ranges.
 */

/** Debian/Ubuntu source package of each normalised component name (podman's is `libpod`). */
const SOURCE_PACKAGES: Record<string, string> = {
  runc: "runc",
  containerd: "containerd",
  "engine:docker": "docker.io",
  "engine:podman": "libpod",
  crun: "crun",
  conmon: "conmon",
};

export interface DistroBuild {
  /** ecosystem with release, as the store keys it: `Debian:12`, `Ubuntu:22.04:LTS` */
  ecosystem: string;
  /** source package name */
  pkg: string;
  /** the package version, `1.1.5+ds1-1+deb12u1` */
  version: string;
  /** the distro's advisories for that package (non-empty) */
  advisories: Advisory[];
}

/** A Debian-style package version with a revision: `1.1.5+ds1-1+deb12u1`, `1.1.12-0ubuntu2~22.04.1`. */
const PACKAGE_VERSION = /^\d[\w.+~:]*-[\w.+~]+$/;

function releaseEcosystems(version: string, hint: string | undefined): string[] {
  const deb = /\+deb(\d+)u\d+/.exec(version);
  if (deb) return [`Debian:${deb[1]}`];
  const ubuntu = /ubuntu[\d.]*~(\d\d\.\d\d)/.exec(version);
  if (ubuntu) return [`Ubuntu:${ubuntu[1]}:LTS`, `Ubuntu:${ubuntu[1]}`];
  return hint ? [hint] : [];
}

/**
 * The distro package behind a component, when its version or commit is a package version whose release
 * is known (from `+debNNuM` / `~NN.NN`, else from `distro`, e.g. "Debian:12") and the database has that
 * distro's advisories for the source package; undefined otherwise (the upstream version decides).
 */
export function distroBuildOf(
  c: RuntimeComponent,
  lookup: AdvisoryLookup,
  distro?: string,
): DistroBuild | undefined {
  const pkg = SOURCE_PACKAGES[c.name === "engine" ? `engine:${c.product}` : c.name];
  if (!pkg) return undefined;
  const version = [c.commit, c.version].find((v): v is string => !!v && PACKAGE_VERSION.test(v));
  if (!version) return undefined;
  for (const ecosystem of releaseEcosystems(version, distro)) {
    const advisories = lookup.advisoriesFor(ecosystem, pkg);
    if (advisories.length) return { ecosystem, pkg, version, advisories };
  }
  return undefined;
}

/** Every id and alias the distro's advisories for the package mention. */
export function mentionedIds(build: DistroBuild): Set<string> {
  return new Set(build.advisories.flatMap((a) => [a.id, ...a.aliases]));
}

/** The distro's fixed version for one of `ids`, for the suppression reason. */
export function distroFixedVersion(build: DistroBuild, ids: string[]): string | undefined {
  for (const a of build.advisories) {
    if (![a.id, ...a.aliases].some((i) => ids.includes(i))) continue;
    for (const aff of a.affected) {
      if (aff.ecosystem !== build.ecosystem || aff.package !== build.pkg) continue;
      for (const r of aff.ranges) for (const e of r.events) if ("fixed" in e) return e.fixed;
    }
  }
  return undefined;
}

export function distroReason(c: RuntimeComponent, build: DistroBuild, id: string, ids: string[]): string {
  const fixed = distroFixedVersion(build, ids);
  const source = [...new Set(build.advisories.map((a) => a.source))].join(",");
  return `${build.ecosystem} package ${build.pkg} ${build.version} is not affected by ${id} according to ${source}${fixed ? ` (fixed in ${fixed})` : ""}; the distro's data decides for its builds, which backport fixes without changing the upstream version ${c.version}`;
}
