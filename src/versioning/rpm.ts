/**
 * RPM versions: `[epoch:]version[-release]` compared with `rpmvercmp` (rpm ≥ 4.15 semantics, incl. `^`).
 * Spec: rpm's lib/rpmvercmp.c behaviour as documented in https://rpm-software-management.github.io/rpm/manual/dependencies.html
 * and the Fedora packaging guidelines (`~` pre-release, `^` post-release snapshot).
 * Oracle: `rpm --eval '%{lua: print(rpm.vercmp("a", "b"))}'` (rpm 4.18 on this machine).
 *
 * One deliberate difference from rpm's dependency matching: there a version without a release matches
 * any release (`1.0` = `1.0-5`); that relation is not transitive, so here a missing release sorts before
 * every release, even an empty one (`1 < 1-`, as in the osv-scalibr Red Hat vectors). Advisory versions
 * always carry a release.
 */
import { cmpDigits, cmpStr, isAlpha, isDigit, type Ordering } from "./common.js";

export interface RpmVersion {
  epoch: string;
  version: string;
  release: string | undefined;
}

export function parse(input: string): RpmVersion {
  const s = input.trim();
  let epoch = "0";
  let rest = s;
  // rpm: leading digits followed by ':' are the epoch; an empty epoch (":1.0") is 0
  const m = /^(\d*):/.exec(s);
  if (m) {
    epoch = m[1] === "" ? "0" : (m[1] as string);
    rest = s.slice(m[0].length);
  }
  const dash = rest.lastIndexOf("-");
  return dash >= 0
    ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
    : { epoch, version: rest, release: undefined };
}

const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);

/** `rpmvercmp`: compare two version (or release) strings segment by segment. */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    // anything but ASCII alphanumerics, `~` and `^` only separates segments
    while (i < a.length && !isAlnum(a[i]) && a[i] !== "~" && a[i] !== "^") i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== "~" && b[j] !== "^") j++;
    const ca = a[i];
    const cb = b[j];
    // `~` sorts before everything, even the end of the string ("1.0~rc1" < "1.0")
    if (ca === "~" || cb === "~") {
      if (ca !== "~") return 1;
      if (cb !== "~") return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before anything else ("1.0" < "1.0^git1" < "1.0.1")
    if (ca === "^" || cb === "^") {
      if (ca === undefined) return -1;
      if (cb === undefined) return 1;
      if (ca !== "^") return 1;
      if (cb !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (ca === undefined || cb === undefined) break;
    const numeric = isDigit(ca);
    const same = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && same(a[i])) i++;
    while (j < b.length && same(b[j])) j++;
    // a numeric segment is newer than an alphabetic one
    if (j === sj) return numeric ? 1 : -1;
    const c = numeric ? cmpDigits(a.slice(si, i), b.slice(sj, j)) : cmpStr(a.slice(si, i), b.slice(sj, j));
    if (c !== 0) return c;
  }
  // whichever string still has segments left is newer
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export function compare(a: string, b: string): Ordering {
  const x = parse(a);
  const y = parse(b);
  return (
    rpmvercmp(x.epoch, y.epoch) || rpmvercmp(x.version, y.version) || compareRelease(x.release, y.release)
  );
}

function compareRelease(a: string | undefined, b: string | undefined): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return rpmvercmp(a, b);
}
