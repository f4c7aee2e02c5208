/**
 * RubyGems versions, ordered like `Gem::Version#<=>` (RubyGems ≥ 3.x).
 * Spec: https://guides.rubygems.org/patterns/#semantic-versioning and the Gem::Version docs
 * (https://docs.ruby-lang.org/en/master/Gem/Version.html):
 *  - valid: `\s*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\s*` (blank means "0");
 *  - `-` is shorthand for `.pre.` (`1.0-rc1` = `1.0.pre.rc1`);
 *  - segments are runs of digits (numbers) or letters (strings): `1.0.a10` → 1, 0, "a", 10;
 *  - a string segment makes a pre-release, older than any number there (`1.0.a < 1.0 < 1.0.0.1`);
 *  - trailing zeros are dropped from the release part and from the pre-release part (`1.0.a.0` = `1.a`).
 * Strings Gem::Version rejects ("Malformed version number string") sort before every valid version and
 * among themselves by code units.
 */
import { cmpDigits, cmpStr, type Ordering } from "./common.js";

const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

export const isValid = (input: string): boolean => VALID.test(input);

const isNumber = (s: string): boolean => /^\d/.test(s);

/** Canonical segments (Gem::Version#canonical_segments), or undefined for an invalid version. */
export function segments(input: string): string[] | undefined {
  const m = VALID.exec(input);
  if (!m) return undefined;
  const version = (m[1] ?? "0").replace(/-/g, ".pre.");
  const all = (version.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) =>
    isNumber(s) ? s.replace(/^0+(?=\d)/, "") : s,
  );
  const firstString = all.findIndex((s) => !isNumber(s));
  const release = firstString < 0 ? all : all.slice(0, firstString);
  const pre = firstString < 0 ? [] : all.slice(firstString);
  const trim = (xs: string[]): string[] => {
    let n = xs.length;
    while (n > 0 && xs[n - 1] === "0") n--;
    return xs.slice(0, n);
  };
  return [...trim(release), ...trim(pre)];
}

function compareSegments(a: string[], b: string[]): Ordering {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "0";
    const y = b[i] ?? "0";
    const nx = isNumber(x);
    const ny = isNumber(y);
    if (nx && ny) {
      const c = cmpDigits(x, y);
      if (c !== 0) return c;
    } else if (nx !== ny) {
      return nx ? 1 : -1; // a string segment (pre-release) is older than a number
    } else {
      const c = cmpStr(x, y); // byte order, case-sensitive, as Ruby's String#<=>
      if (c !== 0) return c;
    }
  }
  return 0;
}

export function compare(a: string, b: string): Ordering {
  const x = segments(a);
  const y = segments(b);
  if (x && y) return compareSegments(x, y);
  if (x || y) return x ? 1 : -1;
  return cmpStr(a, b);
}
