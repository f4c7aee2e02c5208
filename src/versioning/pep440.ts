/**
 * Python package versions, PEP 440 (PyPI).
 * Spec: https://peps.python.org/pep-0440/ — syntax from Appendix B's canonical regular expression,
 * normalisation from "Normalization", order from "Summary of permitted suffixes and relative ordering":
 *   `1.0.dev0 < 1.0a1.dev0 < 1.0a1 < 1.0a1.post1 < 1.0b1 < 1.0rc1 < 1.0 < 1.0+local < 1.0.post1.dev0 < 1.0.post1`
 * Oracle: Python `packaging.version.Version` (tests batch pairs through it when importable).
 *
 * Strings that are not PEP 440 versions (packaging raises InvalidVersion) sort before every valid version
 * and among themselves by code units.
 */
import { cmpDigits, cmpStr, neg, type Ordering } from "./common.js";

export interface Pep440Version {
  epoch: string;
  release: string[];
  /** normalised pre-release: ["a"|"b"|"rc", number] */
  pre?: [string, string];
  post?: string;
  dev?: string;
  /** normalised local segments, lower-case, `.`-separated */
  local?: string[];
}

// PEP 440 Appendix B (VERSION_PATTERN), anchored, case-insensitive, surrounding whitespace allowed
const VERSION = new RegExp(
  "^\\s*v?(?:(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)" +
    "(?:[-_.]?(alpha|beta|preview|pre|a|b|c|rc)[-_.]?(\\d+)?)?" +
    "(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?" +
    "(?:[-_.]?(dev)[-_.]?(\\d+)?)?)" +
    "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$",
  "i",
);

const PRE_SPELLING: Record<string, string> = {
  alpha: "a",
  a: "a",
  beta: "b",
  b: "b",
  c: "rc",
  pre: "rc",
  preview: "rc",
  rc: "rc",
};
const PRE_RANK: Record<string, number> = { a: 0, b: 1, rc: 2 };

export function parse(input: string): Pep440Version | undefined {
  const m = VERSION.exec(input);
  if (!m) return undefined;
  const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m;
  const v: Pep440Version = { epoch: epoch ?? "0", release: (release as string).split(".") };
  if (preL !== undefined) v.pre = [PRE_SPELLING[preL.toLowerCase()] as string, preN ?? "0"];
  if (postN1 !== undefined) v.post = postN1;
  else if (postL !== undefined) v.post = postN2 ?? "0";
  if (devL !== undefined) v.dev = devN ?? "0";
  if (local !== undefined) v.local = local.toLowerCase().split(/[-_.]/);
  return v;
}

export const isValid = (input: string): boolean => VERSION.test(input);

/** Canonical form per PEP 440 "Normalization" (`1.0-ALPHA_1` → `1.0a1`, `1.0-1` → `1.0.post1`). */
export function normalize(input: string): string | undefined {
  const v = parse(input);
  if (!v) return undefined;
  const num = (s: string): string => s.replace(/^0+(?=\d)/, "");
  let out = v.epoch !== "0" && num(v.epoch) !== "0" ? `${num(v.epoch)}!` : "";
  out += v.release.map(num).join(".");
  if (v.pre) out += v.pre[0] + num(v.pre[1]);
  if (v.post !== undefined) out += `.post${num(v.post)}`;
  if (v.dev !== undefined) out += `.dev${num(v.dev)}`;
  if (v.local) out += `+${v.local.map((p) => (/^\d+$/.test(p) ? num(p) : p)).join(".")}`;
  return out;
}

function compareRelease(a: string[], b: string[]): Ordering {
  // trailing zeros are insignificant: 1.0 == 1.0.0
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = cmpDigits(a[i] ?? "0", b[i] ?? "0");
    if (c !== 0) return c;
  }
  return 0;
}

/** Rank of the pre-release slot: dev-only releases first, then a/b/rc, then none. */
function preKey(v: Pep440Version): [number, string] {
  if (v.pre) return [PRE_RANK[v.pre[0]] as number, v.pre[1]];
  // "1.0.dev0" sorts before "1.0a0", but "1.0.post0.dev0" does not (it has a post segment)
  if (v.dev !== undefined && v.post === undefined) return [-1, "0"];
  return [3, "0"];
}

/** Local segments: numeric > alphanumeric, numerics by value, strings lexically; longer wins a tie. */
function compareLocal(a: string[] | undefined, b: string[] | undefined): Ordering {
  if (!a || !b) return a === b ? 0 : a ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    const c = nx && ny ? cmpDigits(x, y) : nx !== ny ? (nx ? 1 : -1) : cmpStr(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const cmpNum = (a: number, b: number): Ordering => (a < b ? -1 : a > b ? 1 : 0);

/** Compare optional numbers; `absent` is where a missing one sorts (-1 before all, 1 after all). */
function cmpOptional(a: string | undefined, b: string | undefined, absent: Ordering): Ordering {
  if (a !== undefined && b !== undefined) return cmpDigits(a, b);
  if (a === b) return 0;
  return a === undefined ? absent : neg(absent);
}

export function compareParsed(x: Pep440Version, y: Pep440Version): Ordering {
  const [px, pnx] = preKey(x);
  const [py, pny] = preKey(y);
  return (
    cmpDigits(x.epoch, y.epoch) ||
    compareRelease(x.release, y.release) ||
    cmpNum(px, py) ||
    cmpDigits(pnx, pny) ||
    cmpOptional(x.post, y.post, -1) || // no post-release sorts before any post-release
    cmpOptional(x.dev, y.dev, 1) || // no dev-release sorts after any dev-release
    compareLocal(x.local, y.local)
  );
}

export function compare(a: string, b: string): Ordering {
  const x = parse(a);
  const y = parse(b);
  if (x && y) return compareParsed(x, y);
  if (x || y) return x ? 1 : -1;
  return cmpStr(a, b);
}
