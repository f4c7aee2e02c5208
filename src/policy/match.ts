import { globMatches, globToRegExp } from "../match/wildcard.js";
import type { Detection, RuleMatch, Severity } from "../model/index.js";

/**
 * `when` of a policy rule against one detection. Every field given must match; an array is any-of;
 * string fields are globs (`*` any run of characters, `?` one character, everything else literal,
 * case-sensitive). `severity` compares over critical > high > medium > low > unknown.
 */

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

export type SeverityOperator = ">=" | ">" | "<=" | "<" | "=";

/** Same grammar as the `severity` pattern in schemas/policy.schema.json. */
export const SEVERITY_CONDITION = /^\s*(>=|<=|>|<|=)?\s*(critical|high|medium|low|unknown)\s*$/;

export interface SeverityCondition {
  op: SeverityOperator;
  severity: Severity;
}

/** ">=high" → { op: ">=", severity: "high" }; a bare word means "=". undefined when malformed. */
export function parseSeverityCondition(text: string): SeverityCondition | undefined {
  const m = SEVERITY_CONDITION.exec(text);
  if (!m) return undefined;
  return { op: (m[1] ?? "=") as SeverityOperator, severity: m[2] as Severity };
}

export function severityMatches(condition: string, actual: Severity): boolean {
  const c = parseSeverityCondition(condition);
  if (!c) return false;
  const a = RANK[actual] ?? 0;
  const b = RANK[c.severity];
  switch (c.op) {
    case ">=":
      return a >= b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case "<":
      return a < b;
    default:
      return a === b;
  }
}

export { globMatches, globToRegExp };

const anyGlob = (patterns: string | string[], values: string[]): boolean =>
  (Array.isArray(patterns) ? patterns : [patterns]).some((p) => values.some((v) => globMatches(p, v)));

/**
 * The spellings an image reference goes by, so `image: "nginx*"` matches what Docker shows
 * ("nginx:1.25"), what podman shows ("docker.io/library/nginx:1.25") and a locally built
 * "localhost/app:dev" alike.
 */
export function imageSpellings(image: string): string[] {
  const out = new Set<string>([image]);
  for (const prefix of ["docker.io/library/", "index.docker.io/library/", "docker.io/", "localhost/"]) {
    if (image.startsWith(prefix)) out.add(image.slice(prefix.length));
  }
  return [...out];
}

/** A pattern naming no tag or digest ("nginx", "ghcr.io/acme/*") also matches every tag of it. */
function withoutTag(image: string): string {
  const at = image.indexOf("@");
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
}

function imageMatches(patterns: string | string[], image: string): boolean {
  const spellings = imageSpellings(image);
  return (Array.isArray(patterns) ? patterns : [patterns]).some((p) => {
    const names = p.includes("@") || withoutTag(p) !== p ? spellings : spellings.map(withoutTag);
    return spellings.concat(names).some((v) => globMatches(p, v));
  });
}

/** True when every field of `when` holds for `d`; an empty `when` matches everything. */
export function ruleMatches(when: RuleMatch, d: Detection): boolean {
  if (when.detector !== undefined && !anyGlob(when.detector, [d.detector])) return false;
  if (when.kind !== undefined && !anyGlob(when.kind, [d.kind])) return false;
  if (when.id !== undefined && !anyGlob(when.id, [d.id])) return false;
  if (when.severity !== undefined && !severityMatches(when.severity, d.severity)) return false;
  if (when.image !== undefined && !imageMatches(when.image, d.container.image)) return false;
  // Docker reports names with a leading "/" in some places; rules are written without it
  if (when.name !== undefined && !anyGlob(when.name, [d.container.name.replace(/^\//, "")])) return false;
  if (when.labels !== undefined) {
    const labels = d.container.labels ?? {};
    for (const [key, pattern] of Object.entries(when.labels)) {
      const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
      if (value === undefined || !globMatches(pattern, value)) return false;
    }
  }
  return true;
}
