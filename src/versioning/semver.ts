/**
 * Semantic Versioning 2.0.0 precedence, for npm and crates.io (and the base of Go's ordering).
 * Spec: https://semver.org/spec/v2.0.0.html §11 (precedence); build metadata is ignored (§10).
 * Vectors: node-semver's own comparison/equality fixtures and osv-scalibr's semver list.
 *
 * Tolerated, as npm's loose mode does: surrounding whitespace and any leading run of `v`, `V`, `=` and
 * spaces (`v1.2.3`, `= 1.2.3`), a pre-release written without its hyphen (`1.2.3beta`), and leading
 * zeros. Also tolerated: a missing minor/patch (`1.2` = `1.2.0`). Numbers have no size limit.
 * Anything else is invalid: invalid versions sort before every valid one and among themselves by
 * UTF-16 code units, so the order stays total and nothing throws.
 */
import { cmpDigits, cmpStr, type Ordering } from "./common.js";

export interface SemVer {
  major: string;
  minor: string;
  patch: string;
  /** pre-release identifiers, e.g. ["alpha", "1"]; empty for a release */
  prerelease: string[];
  build: string[];
}

const IDENT = "[0-9A-Za-z-]+";
const LOOSE = new RegExp(
  `^[vV=\\s]*(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:-?((?:[A-Za-z-][0-9A-Za-z-]*|(?<=-)${IDENT})(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?$`,
);
// SemVer 2.0.0's own grammar (semver.org, "Is there a suggested regular expression"), plus an optional `v`
const NUM = "(0|[1-9]\\d*)";
const PRE_ID = "(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)";
const STRICT = new RegExp(
  `^v?${NUM}\\.${NUM}\\.${NUM}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+${IDENT}(?:\\.${IDENT})*)?$`,
);

export function parse(input: string): SemVer | undefined {
  const m = LOOSE.exec(input.trim());
  if (!m) return undefined;
  return {
    major: m[1] as string,
    minor: m[2] ?? "0",
    patch: m[3] ?? "0",
    prerelease: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] === undefined ? [] : m[5].split("."),
  };
}

/** Strict SemVer 2.0.0 (a leading `v` allowed). */
export const isValid = (input: string): boolean => STRICT.test(input);

const isNumeric = (id: string): boolean => /^\d+$/.test(id);

/** §11.4: numeric identifiers compare numerically and sort before alphanumeric ones (ASCII order). */
function compareIdentifier(a: string, b: string): Ordering {
  const na = isNumeric(a);
  const nb = isNumeric(b);
  if (na && nb) return cmpDigits(a, b);
  if (na !== nb) return na ? -1 : 1;
  return cmpStr(a, b);
}

/** Compare pre-release identifier lists: none > some (§11.3); a longer list wins a tie (§11.4.4). */
export function comparePrerelease(a: string[], b: string[]): Ordering {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareIdentifier(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareParsed(x: SemVer, y: SemVer): Ordering {
  return (
    cmpDigits(x.major, y.major) ||
    cmpDigits(x.minor, y.minor) ||
    cmpDigits(x.patch, y.patch) ||
    comparePrerelease(x.prerelease, y.prerelease)
  );
}

export function compare(a: string, b: string): Ordering {
  const x = parse(a);
  const y = parse(b);
  if (x && y) return compareParsed(x, y);
  if (x || y) return x ? 1 : -1;
  return cmpStr(a, b);
}
