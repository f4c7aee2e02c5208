/**
 * Version ordering by OSV ecosystem (https://ossf.github.io/osv-schema/#affectedpackage-field; names exactly
 * as in ossf/osv-schema `ecosystems.json`). The ecosystem may carry a release after `:` (`Debian:12`,
 * `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `Red Hat:rhel_aus:8.4::appstream`); only the part before it counts.
 */
import { AirbagError } from "../model/errors.js";
import * as apk from "./apk.js";
import type { Ordering } from "./common.js";
import * as composer from "./composer.js";
import * as debian from "./debian.js";
import * as go from "./go.js";
import * as maven from "./maven.js";
import * as nuget from "./nuget.js";
import * as pep440 from "./pep440.js";
import * as rpm from "./rpm.js";
import * as rubygems from "./rubygems.js";
import * as semver from "./semver.js";

export type SchemeName =
  | "debian"
  | "rpm"
  | "apk"
  | "semver"
  | "go"
  | "pep440"
  | "maven"
  | "rubygems"
  | "composer"
  | "nuget";

export const SCHEMES: Record<SchemeName, (a: string, b: string) => Ordering> = {
  debian: debian.compare,
  rpm: rpm.compare,
  apk: apk.compare,
  semver: semver.compare,
  go: go.compare,
  pep440: pep440.compare,
  maven: maven.compare,
  rubygems: rubygems.compare,
  composer: composer.compare,
  nuget: nuget.compare,
};

/** OSV ecosystem → version scheme. Ecosystems whose scheme we are not sure of are left out on purpose. */
export const ECOSYSTEM_SCHEMES: Readonly<Record<string, SchemeName>> = {
  Debian: "debian",
  Ubuntu: "debian",
  Alpine: "apk",
  Wolfi: "apk",
  Chainguard: "apk",
  Alpaquita: "apk",
  "Red Hat": "rpm",
  AlmaLinux: "rpm",
  "Rocky Linux": "rpm",
  SUSE: "rpm",
  openSUSE: "rpm",
  "Azure Linux": "rpm",
  "Photon OS": "rpm",
  Mageia: "rpm",
  openEuler: "rpm",
  npm: "semver",
  "crates.io": "semver",
  Hex: "semver",
  SwiftURL: "semver",
  Go: "go",
  PyPI: "pep440",
  Maven: "maven",
  RubyGems: "rubygems",
  Packagist: "composer",
  NuGet: "nuget",
};

/** The scheme for an OSV ecosystem string, or undefined when unknown. */
export function schemeFor(ecosystem: string): SchemeName | undefined {
  const name = ecosystem.split(":", 1)[0] as string;
  return Object.hasOwn(ECOSYSTEM_SCHEMES, name) ? ECOSYSTEM_SCHEMES[name] : undefined;
}

/**
 * Compare two versions of a package in `ecosystem`: -1 when `a` is older, 0 when equal, 1 when newer.
 * Never throws for odd version strings (each scheme orders invalid ones deterministically); throws
 * AirbagError("UNSUPPORTED") for an ecosystem without a known version scheme.
 */
export function compareVersions(ecosystem: string, a: string, b: string): Ordering {
  const scheme = schemeFor(ecosystem);
  if (scheme === undefined) {
    throw new AirbagError(
      "UNSUPPORTED",
      `unknown ecosystem "${ecosystem}": no version ordering for it; use an OSV ecosystem name such as ${Object.keys(ECOSYSTEM_SCHEMES).join(", ")}`,
    );
  }
  return SCHEMES[scheme](a, b);
}
