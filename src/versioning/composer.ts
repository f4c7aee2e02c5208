/**
 * Packagist (Composer) versions, ordered like PHP's `version_compare()` after dropping a leading `v`/`V`
 * (Composer tags are `v1.2.3` as often as `1.2.3`).
 * Spec: https://www.php.net/manual/en/function.version-compare.php — canonicalise (`-`, `_`, `+` and other
 * non-alphanumerics become `.`; a `.` is inserted between letters and digits), then compare part by part:
 * numbers numerically, words by the special forms `dev < alpha = a < beta = b < RC = rc < # < pl = p`
 * (a part matches a form when it starts with it, case-sensitively; other words sort below `dev`), a number
 * ranks as `#`. When one version runs out, a remaining number makes the other newer, a remaining word is
 * compared with `#` (`1.0 < 1.0.0`, `1.0rc1 < 1.0`, `1.0 < 1.0pl1`).
 * Composer's solver compares versions normalised by its VersionParser (`v1.0` → `1.0.0.0`); the osv-scalibr
 * vectors (generated with PHP) and composer/semver's Comparator tests use plain `version_compare`, so we do
 * not pad (`1.0 < 1.0.0`).
 * Every string is accepted, so there is no invalid case; like PHP's, the order is transitive on version-like
 * strings but not on arbitrary ones. Deliberate differences from PHP:
 *  - numbers of any length compare exactly (PHP's `strtol` saturates at 2^63-1);
 *  - a trailing separator is ignored (`1.0-` = `1.0`); PHP releases before php-src#21689 compare such a
 *    version below itself;
 *  - `#` inside a version stays a part of its own that ranks like a number (`1.2.3.# = 1.2.3.1`), as the
 *    osv-scalibr Packagist vectors expect; PHP turns it into a separator.
 */
import { cmpDigits, isAlpha, isDigit, type Ordering } from "./common.js";

/** Characters kept by canonicalisation; `#` is kept too (see above). */
const isWordChar = (c: string | undefined): boolean => isDigit(c) || isAlpha(c) || c === "#";

/** PHP `php_canonicalize_version`: separators to `.`, `.` between letter/digit runs, no doubled `.`. */
export function canonicalize(v: string): string {
  if (v === "") return "";
  let out = v[0] as string;
  let prev = v[0] as string;
  const dot = (): void => {
    if (!out.endsWith(".")) out += ".";
  };
  for (let i = 1; i < v.length; i++) {
    const c = v[i] as string;
    const prevNonDigit = !isDigit(prev) && prev !== ".";
    const prevDigit = isDigit(prev);
    if (c === "-" || c === "_" || c === "+") dot();
    else if ((prevNonDigit && isDigit(c)) || (prevDigit && !isDigit(c) && c !== ".")) {
      dot();
      out += c;
    } else if (!isWordChar(c)) dot();
    else out += c;
    prev = c;
  }
  return out;
}

// PHP's special forms table, matched by prefix in this order
const FORMS: [string, number][] = [
  ["dev", 0],
  ["alpha", 1],
  ["a", 1],
  ["beta", 2],
  ["b", 2],
  ["RC", 3],
  ["rc", 3],
  ["#", 4],
  ["pl", 5],
  ["p", 5],
];

function form(part: string): number {
  for (const [name, order] of FORMS) if (part.startsWith(name)) return order;
  return -1;
}

const cmpNum = (a: number, b: number): Ordering => (a < b ? -1 : a > b ? 1 : 0);

/** Leading digits of a part, as `strtol` reads them. */
const leadingDigits = (p: string): string => /^\d*/.exec(p)?.[0] ?? "";

function comparePart(p1: string, p2: string): Ordering {
  const d1 = isDigit(p1[0]);
  const d2 = isDigit(p2[0]);
  if (d1 && d2) return cmpDigits(leadingDigits(p1), leadingDigits(p2));
  if (!d1 && !d2) return cmpNum(form(p1), form(p2));
  return d1 ? cmpNum(form("#N#"), form(p2)) : cmpNum(form(p1), form("#N#"));
}

/** PHP `php_version_compare` on two strings (no `v` stripping), step for step. */
export function phpVersionCompare(a: string, b: string): Ordering {
  if (a === "" || b === "") return a === b ? 0 : a === "" ? -1 : 1;
  // a version starting with "#" is taken as already canonical
  const s1 = a.startsWith("#") ? a : canonicalize(a);
  const s2 = b.startsWith("#") ? b : canonicalize(b);
  // p: start of the current part; n: the '.' ending it (-1 once the last part was taken, like NULL)
  let p1 = 0;
  let p2 = 0;
  let n1 = 0;
  let n2 = 0;
  while (p1 < s1.length && p2 < s2.length && n1 >= 0 && n2 >= 0) {
    n1 = s1.indexOf(".", p1);
    n2 = s2.indexOf(".", p2);
    const c = comparePart(s1.slice(p1, n1 < 0 ? undefined : n1), s2.slice(p2, n2 < 0 ? undefined : n2));
    if (c !== 0) return c;
    if (n1 >= 0) p1 = n1 + 1;
    if (n2 >= 0) p2 = n2 + 1;
  }
  // one side has parts left: a number there makes it newer, a word is weighed against "#" (a number);
  // an empty rest (trailing separator) counts as nothing left
  if (n1 >= 0 && p1 < s1.length) {
    const rest = s1.slice(p1);
    return isDigit(rest[0]) ? 1 : phpVersionCompare(rest, "#N#");
  }
  if (n2 >= 0 && p2 < s2.length) {
    const rest = s2.slice(p2);
    return isDigit(rest[0]) ? -1 : phpVersionCompare("#N#", rest);
  }
  return 0;
}

const stripV = (s: string): string => (s.startsWith("v") || s.startsWith("V") ? s.slice(1) : s);

/** C strings end at the first NUL. */
const cString = (s: string): string => s.split("\0", 1)[0] as string;

export function compare(a: string, b: string): Ordering {
  return phpVersionCompare(stripV(cString(a).trim()), stripV(cString(b).trim()));
}
