/**
 * Debian security tracker JSON (https://security-tracker.debian.org/tracker/data/json):
 * `{ "<source package>": { "<CVE or TEMP id>": { description, releases: { "<codename>": { status,
 * fixed_version, urgency, nodsa, nodsa_reason, repositories } } } } }` → one advisory per id (source
 * `debian-tracker`) with one Affected per (source package, release), ecosystem `Debian:<major>`.
 *
 * Per release:
 *  - `resolved` + `fixed_version: "0"` → not affected: no entry
 *  - `resolved` + version            → range introduced 0, fixed <version>, status fixed
 *  - `open`                          → range introduced 0, status affected; `nodsa_reason: ignored` →
 *                                      will_not_fix, `postponed` → fix_deferred; urgency `end-of-life` →
 *                                      end_of_life (the tracker's marker for unsupported packages)
 *  - `undetermined`                  → no entry (not known to be affected; as Trivy does)
 * Urgency → severity: unimportant/low → low, medium → medium, high → high, not yet assigned → unknown;
 * a trailing `**` (urgency taken from NVD) is ignored. `sid` and unknown codenames are skipped.
 */
import type { Advisory, Affected, FixStatus } from "../../model/index.js";
import type { AdvisorySink } from "../types.js";
import { type ImportContext, isObject, prop, severityWord, str } from "./common.js";

export const DEBIAN_SOURCE = "debian-tracker";

/** Debian codename → major version (https://www.debian.org/releases/). */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  squeeze: "6",
  wheezy: "7",
  jessie: "8",
  stretch: "9",
  buster: "10",
  bullseye: "11",
  bookworm: "12",
  trixie: "13",
  forky: "14",
  duke: "15",
};

function statusOf(release: unknown, urgency: string | undefined): FixStatus {
  if (urgency === "end-of-life") return "end_of_life";
  const reason = str(prop(release, "nodsa_reason"));
  if (reason === "ignored") return "will_not_fix";
  if (reason === "postponed") return "fix_deferred";
  return "affected";
}

function affectedFor(pkg: string, version: string, release: unknown): Affected | undefined {
  if (!isObject(release)) return undefined;
  const status = str(release.status);
  const urgency = str(release.urgency)?.replace(/\*+$/, "");
  const severity = urgency === "end-of-life" ? undefined : severityWord(urgency);
  const base = {
    ecosystem: `Debian:${version}`,
    package: pkg,
    versions: [],
    ...(severity ? { severity } : {}),
  };
  if (status === "resolved") {
    const fixed = str(release.fixed_version);
    if (!fixed || fixed === "0") return undefined;
    return {
      ...base,
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }],
      status: "fixed",
    };
  }
  if (status === "open")
    return {
      ...base,
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      status: statusOf(release, urgency),
    };
  return undefined;
}

/**
 * The whole tracker document → advisories (one per CVE/TEMP id, packages merged). Never throws; odd
 * entries are skipped with a warning naming the package and id.
 */
export function debianTrackerAdvisories(doc: unknown, file: string, ctx: ImportContext): Advisory[] {
  const byId = new Map<string, Advisory>();
  if (!isObject(doc)) {
    ctx.warn(`${file}: not a Debian security tracker document (expected an object of source packages)`);
    return [];
  }
  const unknownCodenames = new Set<string>();
  for (const [pkg, issues] of Object.entries(doc)) {
    if (!isObject(issues)) {
      ctx.warn(`${file}: ${pkg}: expected an object of issues; skipped`);
      continue;
    }
    for (const [id, issue] of Object.entries(issues)) {
      if (!isObject(issue)) {
        ctx.warn(`${file}: ${pkg}/${id}: expected an object; skipped`);
        continue;
      }
      const releases = issue.releases;
      const affected: Affected[] = [];
      if (isObject(releases)) {
        for (const [codename, release] of Object.entries(releases)) {
          const version = Object.hasOwn(DEBIAN_RELEASES, codename) ? DEBIAN_RELEASES[codename] : undefined;
          if (!version) {
            if (codename !== "sid") unknownCodenames.add(codename);
            continue;
          }
          const a = affectedFor(pkg, version, release);
          if (a) affected.push(a);
        }
      }
      if (affected.length === 0) continue;
      let adv = byId.get(id);
      if (!adv) {
        const details = str(issue.description);
        adv = {
          id,
          aliases: [],
          source: DEBIAN_SOURCE,
          ...(details ? { details } : {}),
          cvss: [],
          affected: [],
          references: [],
        };
        adv.references.push(`https://security-tracker.debian.org/tracker/${encodeURIComponent(id)}`);
        byId.set(id, adv);
      }
      adv.affected.push(...affected);
    }
  }
  if (unknownCodenames.size)
    ctx.warn(`${file}: releases with unknown codenames skipped: ${[...unknownCodenames].sort().join(", ")}`);
  return [...byId.values()];
}

/** Does this parsed document look like the tracker JSON? (package → id → {releases}) */
export function looksLikeDebianTracker(doc: unknown): boolean {
  if (!isObject(doc)) return false;
  let seen = 0;
  for (const pkg in doc) {
    const issues = doc[pkg];
    if (isObject(issues))
      for (const id in issues) {
        const issue = issues[id];
        if (/^(CVE|TEMP)-/.test(id) && isObject(issue) && "releases" in issue) return true;
        break;
      }
    if (++seen >= 20) return false;
  }
  return false;
}

export function importDebianTracker(
  doc: unknown,
  file: string,
  sink: AdvisorySink,
  ctx: ImportContext,
): number {
  const list = debianTrackerAdvisories(doc, file, ctx);
  for (const a of list) sink.advisory(a, "replace");
  return list.length;
}
