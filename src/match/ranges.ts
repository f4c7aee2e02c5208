import type { Affected, AffectedRange } from "../model/index.js";

/**
 * OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation): events sorted by version, an
 * `introduced` at or below the version opens a range, `fixed` at or below closes it, `last_affected`
 * below closes it, `limit` at or below excludes it. `introduced: "0"` sorts below every version.
 */

export type Compare = (a: string, b: string) => number;

export interface AffectedVerdict {
  affected: boolean;
  /** the lowest fix above the installed version, in the range that matched */
  fixed?: string;
}

interface FlatEvent {
  kind: "introduced" | "fixed" | "last_affected" | "limit";
  version: string;
}

function flatten(range: AffectedRange): FlatEvent[] {
  const out: FlatEvent[] = [];
  for (const e of range.events) {
    if ("introduced" in e) out.push({ kind: "introduced", version: e.introduced });
    else if ("fixed" in e) out.push({ kind: "fixed", version: e.fixed });
    else if ("last_affected" in e) out.push({ kind: "last_affected", version: e.last_affected });
    else if ("limit" in e) out.push({ kind: "limit", version: e.limit });
  }
  return out;
}

function safeCompare(cmp: Compare, a: string, b: string): number {
  if (a === b) return 0;
  if (a === "0") return -1;
  if (b === "0") return 1;
  return cmp(a, b);
}

export function rangeVerdict(version: string, range: AffectedRange, cmp: Compare): AffectedVerdict {
  if (range.type === "GIT") return { affected: false };
  const events = flatten(range);
  const c = (a: string, b: string) => safeCompare(cmp, a, b);
  const limits = events.filter((e) => e.kind === "limit" && e.version !== "*");
  if (limits.length && limits.every((l) => c(version, l.version) >= 0)) return { affected: false };
  const sorted = events.filter((e) => e.kind !== "limit").sort((a, b) => c(a.version, b.version));
  let affected = false;
  for (const e of sorted) {
    const rel = c(version, e.version);
    if (e.kind === "introduced" && rel >= 0) affected = true;
    else if (e.kind === "fixed" && rel >= 0) affected = false;
    else if (e.kind === "last_affected" && rel > 0) affected = false;
  }
  if (!affected) return { affected };
  const fix = sorted.find((e) => e.kind === "fixed" && c(version, e.version) < 0);
  return fix ? { affected, fixed: fix.version } : { affected };
}

/** Whether `version` is affected by an OSV `affected` entry (ranges or explicit `versions`). */
export function affectedVerdict(version: string, affected: Affected, cmp: Compare): AffectedVerdict {
  let best: AffectedVerdict = { affected: affected.versions.includes(version) };
  for (const r of affected.ranges) {
    const v = rangeVerdict(version, r, cmp);
    if (!v.affected) continue;
    if (!best.affected || (v.fixed && (!best.fixed || safeCompare(cmp, v.fixed, best.fixed) < 0))) best = v;
  }
  return best;
}
