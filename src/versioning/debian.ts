/**
 * Debian package versions: `[epoch:]upstream_version[-debian_revision]`.
 * Spec: Debian Policy §5.6.12 https://www.debian.org/doc/debian-policy/ch-controlfields.html#version
 * Oracle: `dpkg --compare-versions A lt B` (tests sample the generated vectors through it).
 *
 * Lenient on input dpkg would reject (it prints "bad syntax" and fails): a non-numeric epoch is kept as
 * part of the upstream version, empty parts count as empty. The order stays total and deterministic.
 */
import { cmpDigits, isAlpha, isDigit, type Ordering } from "./common.js";

export interface DebianVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

export function parse(input: string): DebianVersion {
  const s = input.trim();
  let epoch = "0";
  let rest = s;
  const colon = s.indexOf(":");
  // §5.6.12: the epoch is "a single (generally small) unsigned integer" before the first colon
  if (colon > 0 && /^\d+$/.test(s.slice(0, colon))) {
    epoch = s.slice(0, colon);
    rest = s.slice(colon + 1);
  }
  // the revision is everything after the *last* hyphen; absent means "0"-equivalent ("" sorts like "0")
  const dash = rest.lastIndexOf("-");
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: "" };
}

/** Strict syntax check per Policy §5.6.12 (what dpkg accepts without complaint). */
export function isValid(input: string): boolean {
  const s = input.trim();
  if (s === "" || /\s/.test(s)) return false;
  const colon = s.indexOf(":");
  if (colon >= 0 && !/^\d+$/.test(s.slice(0, colon))) return false;
  const v = parse(s);
  if (!/^\d/.test(v.upstream)) return false;
  const hasRev = s.slice(colon + 1).includes("-");
  if (hasRev && !/^[A-Za-z0-9+.~]+$/.test(v.revision)) return false;
  return /^[A-Za-z0-9.+~:-]*$/.test(v.upstream);
}

/**
 * Sort weight of one character of a non-digit run (Policy §5.6.12): `~` sorts before everything,
 * even the end of the part; letters sort before non-letters; end of part / a digit weighs 0.
 */
function weight(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === "~") return -1;
  const code = c.charCodeAt(0);
  return isAlpha(c) ? code : code + 256;
}

/** dpkg's `verrevcmp`: alternate non-digit runs (by weight) and digit runs (numerically). */
export function compareFragment(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const wa = weight(a[i]);
      const wb = weight(b[j]);
      if (wa !== wb) return wa < wb ? -1 : 1;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    const c = cmpDigits(a.slice(si, i), b.slice(sj, j));
    if (c !== 0) return c;
  }
  return 0;
}

export function compare(a: string, b: string): Ordering {
  const x = parse(a);
  const y = parse(b);
  return (
    cmpDigits(x.epoch, y.epoch) ||
    compareFragment(x.upstream, y.upstream) ||
    compareFragment(x.revision, y.revision)
  );
}
