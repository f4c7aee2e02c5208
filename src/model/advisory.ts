import type { Cvss, FixStatus, Severity } from "./finding.js";

/**
 * A vulnerability record as stored in the database, normalised from every source (OSV, Debian tracker,
 * Alpine secdb, NVD, …). Shape follows OSV (https://ossf.github.io/osv-schema/) where it can, with the
 * distro facts OSV lacks (unfixed status, per-package urgency) on `Affected`.
 */

export type RangeEvent =
  | { introduced: string }
  | { fixed: string }
  | { last_affected: string }
  | { limit: string };

export interface AffectedRange {
  type: "ECOSYSTEM" | "SEMVER" | "GIT";
  events: RangeEvent[];
}

/**
 * One NVD CPE match (https://nvd.nist.gov/developers/vulnerabilities, `configurations[].nodes[].cpeMatch[]`),
 * kept as NVD states it: its version bounds do not fit OSV events (`versionStartExcluding`) and CPE
 * versions follow no single ordering, so they are interpreted by the host-software matcher, not `ranges`.
 */
export interface CpeMatch {
  /** `cpe:2.3:a:linuxfoundation:runc:*:*:*:*:*:*:*:*` */
  criteria: string;
  versionStartIncluding?: string;
  versionStartExcluding?: string;
  versionEndIncluding?: string;
  versionEndExcluding?: string;
  /** CPEs the same configuration also requires (an AND node: "running on / with"); absent for plain OR */
  platforms?: string[];
}

export interface Affected {
  /** OSV ecosystem, with release where the source is per-release: `Debian:12`, `Alpine:v3.19`, `Go` */
  ecosystem: string;
  /** package name as the ecosystem spells it; for Debian/Ubuntu the *source* package, Alpine the origin */
  package: string;
  ranges: AffectedRange[];
  /** explicit affected versions (OSV `versions`) */
  versions: string[];
  /** distro status when there is no fixed version (Debian `open` → affected, `ignored` → will_not_fix, …) */
  status?: FixStatus;
  /** the source's severity for this package (Debian urgency, OSV ecosystem_specific severity) */
  severity?: Severity;
  /** NVD only (ecosystem `cpe`, package `vendor:product`): the vulnerable CPE matches */
  cpe?: CpeMatch[];
}

export interface Advisory {
  id: string;
  aliases: string[];
  /** database source that supplied it: `osv`, `debian-tracker`, `alpine-secdb`, `nvd`, … */
  source: string;
  summary?: string;
  details?: string;
  published?: string;
  modified?: string;
  /** the source's own overall severity, if it states one */
  severity?: Severity;
  cvss: Cvss[];
  affected: Affected[];
  references: string[];
}
