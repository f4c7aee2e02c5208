/**
 * Alpine / Wolfi / Chainguard package versions (apk-tools).
 * Grammar (apk-package(5), apk-tools `src/version.c`): `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`
 * with suffixes ordered `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`.
 * Docs: https://gitlab.alpinelinux.org/alpine/apk-tools/-/blob/master/doc/apk-package.5.scd
 *
 * We follow apk-tools 2.x, the apk of Alpine 3.x images (the osv-scalibr vectors were generated with it:
 * `apk version -t` on alpine:3.10), plus apk-tools 3's `~hash`. Versions compare token by token; same-kind
 * tokens compare by value, and where the kinds differ the version that continues is newer unless it
 * continues with a pre-release suffix (`1.2_rc1 < 1.2 < 1.2a < 1.2.1`, `1.2 < 1.2-r0 < 1.2_p1`).
 * In a dotted number, leading zeros count first (more zeros sort lower), then the rest as a number
 * (`1.005 < 1.05 < 1.049 < 1.1`); apk-tools 3 compares such numbers as strings (`1.049 < 1.05`), its only
 * difference on valid input.
 *
 * Invalid versions (real advisories contain some, e.g. `1.9.5p2-r0`, `0..8`) — documented fallback:
 *  - they are read with apk-tools 2.x's lenient tokenizer: a digit may follow a letter (`5.7.1p1` reads
 *    5.7.1, p, 1), an empty number counts as 0 (`0..8`), `-r` may have no digits;
 *  - where two versions first differ in token kind and only one of them has already left the strict grammar,
 *    that one is older (apk-tools 3 sorts "invalid" after every valid token kind: `1.2.0A < 1.2.0d`,
 *    `1-ruff < 1`); if both have left it there, they are equal (`1-ruff2 = 1--ruff1`);
 *  - a string that does not start with a digit is older than any that does (`.1 < 1`); two such strings
 *    compare by bytes (`a < b`, `.1 < .2`).
 * These rules keep the order total on valid versions; among invalid ones it need not be transitive.
 * Numbers are unbounded here (apk-tools uses fixed-width integers that wrap on 20-digit date stamps).
 */
import { cmpStr, isDigit, type Ordering } from "./common.js";

/** Token kinds in apk-tools' order; a larger kind where the other side continues means "older". */
enum K {
  Invalid = -1,
  DotNumber = 0,
  Number = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNumber = 4,
  Hash = 5,
  Revision = 6,
  End = 7,
}

/** Suffix values: negative = pre-release (sorts before the bare version), non-negative = post-release. */
const PRE = ["alpha", "beta", "pre", "rc"];
const POST = ["cvs", "svn", "git", "hg", "p"];
/** apk-tools 2.x reads an unknown suffix name as value -1 (so it also counts as a pre-release). */
const UNKNOWN_SUFFIX = -1n;

interface Token {
  kind: K;
  value: bigint;
  /** hash text, for K.Hash */
  text: string;
  /** offset just past this token in the input */
  end: number;
}

const isLower = (c: string | undefined): boolean => c !== undefined && c >= "a" && c <= "z";
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

function skip(s: string, i: number, ok: (c: string | undefined) => boolean): number {
  while (i < s.length && ok(s[i])) i++;
  return i;
}

/** apk-tools 2.x tokenizer (plus 3.x `~hash`). The list ends with one End or Invalid token. */
function tokens(s: string): Token[] {
  const out: Token[] = [];
  const push = (kind: K, value: bigint, end: number, text = ""): void => {
    out.push({ kind, value, end, text });
  };
  let kind = K.Number;
  let i = 0;
  for (;;) {
    let forced: K | undefined;
    let value = 0n;
    let text = "";
    if (kind === K.DotNumber && s[i] === "0") {
      // leading zeros of a dotted component: value -(count); the rest of it reads as a new number token,
      // so `1.05 < 1.1` and `1.00 < 1.0` (Gentoo-style fractional ordering)
      const j = skip(s, i, (c) => c === "0");
      value = BigInt(i - j);
      i = j;
      forced = K.Number;
    } else if (kind === K.Letter) {
      value = BigInt(s.charCodeAt(i));
      i++;
    } else if (kind === K.Suffix) {
      const pre = PRE.findIndex((p) => s.startsWith(p, i));
      const post = pre < 0 ? POST.findIndex((p) => s.startsWith(p, i)) : -1;
      if (pre < 0 && post < 0) {
        push(kind, UNKNOWN_SUFFIX, i);
        push(K.Invalid, 0n, i);
        return out;
      }
      value = pre >= 0 ? BigInt(pre - PRE.length) : BigInt(post);
      i += (pre >= 0 ? PRE[pre] : POST[post])?.length ?? 0;
    } else if (kind === K.Hash) {
      const j = skip(s, i, isHex);
      text = s.slice(i, j);
      i = j;
    } else {
      const j = skip(s, i, isDigit);
      value = j > i ? BigInt(s.slice(i, j)) : 0n;
      i = j;
    }
    push(kind, value, i, text);
    if (i >= s.length) {
      push(K.End, 0n, i);
      return out;
    }
    if (forced !== undefined) {
      kind = forced;
      continue;
    }
    const c = s[i];
    let next = K.Invalid;
    if ((kind === K.Number || kind === K.DotNumber) && isLower(c)) next = K.Letter;
    else if (kind === K.Letter && isDigit(c)) next = K.Number;
    else if (kind === K.Suffix && isDigit(c)) next = K.SuffixNumber;
    else if (c === ".") next = K.DotNumber;
    else if (c === "_") next = K.Suffix;
    else if (c === "~") next = K.Hash;
    else if (c === "-" && s[i + 1] === "r") next = K.Revision;
    // kinds only move forward, except these three steps back
    const back =
      (next === K.DotNumber && kind === K.Number) ||
      (next === K.Suffix && kind === K.SuffixNumber) ||
      (next === K.Number && kind === K.Letter);
    if (next < kind && !back) next = K.Invalid;
    if (next === K.Invalid) {
      push(K.Invalid, 0n, i);
      return out;
    }
    if (c === "." || c === "_" || c === "~") i++;
    else if (c === "-") i += 2;
    kind = next;
  }
}

/**
 * Offset where the strict grammar (apk-tools 3 `apk_version_validate`) stops accepting `s`;
 * `s.length + 1` when all of it is valid.
 */
export function validPrefix(s: string): number {
  let i = skip(s, 0, isDigit);
  if (i === 0) return 0;
  let prev = K.Number;
  while (i < s.length) {
    const c = s[i];
    let end = -1;
    let kind = K.Invalid;
    if (isLower(c) && prev <= K.Number) {
      [kind, end] = [K.Letter, i + 1];
    } else if (c === "." && prev <= K.Number) {
      [kind, end] = [K.Number, skip(s, i + 1, isDigit)];
      if (end === i + 1) end = -1;
    } else if (isDigit(c) && prev === K.Suffix) {
      [kind, end] = [K.SuffixNumber, skip(s, i, isDigit)];
    } else if (c === "_" && prev <= K.SuffixNumber) {
      const e = skip(s, i + 1, isLower);
      const name = s.slice(i + 1, e);
      if (PRE.includes(name) || POST.includes(name)) [kind, end] = [K.Suffix, e];
    } else if (c === "~" && prev < K.Hash) {
      [kind, end] = [K.Hash, skip(s, i + 1, isHex)];
      if (end === i + 1) end = -1;
    } else if (c === "-" && s[i + 1] === "r" && prev < K.Revision) {
      [kind, end] = [K.Revision, skip(s, i + 2, isDigit)];
      if (end === i + 2) end = -1;
    }
    if (end < 0) return i;
    prev = kind;
    i = end;
  }
  return s.length + 1;
}

export function isValid(input: string): boolean {
  return validPrefix(input) > input.length;
}

function compareValues(a: Token, b: Token): Ordering {
  if (a.kind === K.Hash) return cmpStr(a.text, b.text);
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function compare(a: string, b: string): Ordering {
  if (a === b) return 0;
  // no leading number at all (`a`, `.1`): older than any version that has one; among themselves
  // by plain byte order (`apk version -t` still answers for them)
  const da = isDigit(a[0]);
  const db = isDigit(b[0]);
  if (!da || !db) return da === db ? cmpStr(a, b) : da ? 1 : -1;
  const x = tokens(a);
  const y = tokens(b);
  const okA = validPrefix(a);
  const okB = validPrefix(b);
  for (let i = 0; ; i++) {
    const ta = x[i] as Token;
    const tb = y[i] as Token;
    if (ta.kind === tb.kind) {
      if (ta.kind === K.End || ta.kind === K.Invalid) return 0;
      const c = compareValues(ta, tb);
      if (c !== 0) return c;
      continue;
    }
    // the kinds differ: which side has already broken the strict grammar by the end of this token?
    const strictA = ta.kind === K.End ? okA > a.length : ta.kind !== K.Invalid && ta.end <= okA;
    const strictB = tb.kind === K.End ? okB > b.length : tb.kind !== K.Invalid && tb.end <= okB;
    if (strictA !== strictB) return strictA ? 1 : -1;
    if (!strictA) return 0;
    // both valid so far: the one that goes on is newer, unless it goes on with a pre-release suffix
    if (ta.kind === K.Suffix && ta.value < 0n) return -1;
    if (tb.kind === K.Suffix && tb.value < 0n) return 1;
    return ta.kind > tb.kind ? -1 : 1;
  }
}
