/**
 * Maven versions, as ordered by `org.apache.maven.artifact.versioning.ComparableVersion`.
 * We follow Maven 3.8.7 — the maven-artifact jar on Debian 12, which the tests use as a live oracle.
 * Spec: https://maven.apache.org/pom.html#version-order-specification; 3.8.7 includes MNG-7644
 * (a qualifier after a dot reads like one after a hyphen: `1.0.0.RC1` = `1.0.0-RC1`), compares a whole
 * sub-list against a missing one (MNG-6964: `1-0.1 > 1`) and treats `release` like `ga`/`final`.
 *
 * osv-scalibr's generated vectors come from maven-artifact 3.8.6 (before MNG-7644): 18 of their 14,752 pairs
 * order the other way under 3.8.7, all with a qualifier+number after a dot or an `_` (`2.9.0-1 < 2.9.0.RC1`,
 * `1.1.31.sec10 < 1.1.31_noneautotype`, `1.5.9.RC1 < 1.5.9-RC0`), and so does one hand-written line
 * (`1-1 = 1-ga-1`; 3.8.7 says `>`). All 19 are listed in maven.test.ts.
 * Maven's order is not transitive on every input (`1.sp.1 > 1 > 1-alpha > 1.sp.1`, in the jar too); we keep it.
 *
 * A version splits on `.`, `-` and letter↔digit transitions into a tree: numbers, qualifiers, and
 * sub-lists opened by `-` and by transitions. Known qualifiers order
 * `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`; `a1`/`b1`/`m1` mean
 * alpha/beta/milestone 1; other qualifiers sort after `sp`, lexically, case-insensitive. Trailing "null"
 * items (0, "", empty lists) are dropped. Every string is a Maven version, so nothing is invalid.
 * Only ASCII digits count as digits (Java's `Character.isDigit` also takes other Unicode decimal digits).
 */
import { cmpDigits, cmpStr, isDigit, neg, type Ordering } from "./common.js";

type Item = { t: "int"; v: string } | { t: "str"; v: string } | { t: "list"; items: Item[] };

const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_RANK = "5"; // rank of "" (a release)
const ALIASES = new Map([
  ["ga", ""],
  ["final", ""],
  ["release", ""],
  ["cr", "rc"],
]);
const SHORT = new Map([
  ["a", "alpha"],
  ["b", "beta"],
  ["m", "milestone"],
]);

/** Sort key of a qualifier: known ones by rank, then unknown ones lexically (`7-<name>`). */
function rank(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i < 0 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function str(q: string, followedByDigit: boolean): Item {
  const long = followedByDigit ? (SHORT.get(q) ?? q) : q;
  return { t: "str", v: ALIASES.get(long) ?? long };
}

const num = (d: string): Item => ({ t: "int", v: d.replace(/^0+/, "") || "0" });
const item = (digits: boolean, buf: string): Item => (digits ? num(buf) : str(buf, false));

const isNull = (i: Item): boolean =>
  i.t === "list" ? i.items.length === 0 : i.t === "int" ? i.v === "0" : i.v === "";

/** Drop trailing null items (0, "", empty list), looking past non-null sub-lists: `1.0-0` = `1`. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i] as Item;
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== "list") break;
  }
}

export function parse(version: string): Item {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const lists = [root];
  const descend = (): void => {
    const sub: Item[] = [];
    list.push({ t: "list", items: sub });
    list = sub;
    lists.push(sub);
  };
  let digits = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === "." || c === "-") {
      list.push(i === start ? num("0") : item(digits, v.slice(start, i)));
      start = i + 1;
      if (c === "-") descend();
    } else if (isDigit(c)) {
      if (!digits && i > start) {
        // letters→digits: "1.0.RC1" reads like "1.0-RC-1" (MNG-7644: `.X1` = `-X1`)
        if (list.length > 0) descend();
        list.push(str(v.slice(start, i), true));
        start = i;
        descend();
      }
      digits = true;
    } else {
      if (digits && i > start) {
        // digits→letters opens a sub-list: "1rc" reads like "1-rc"
        list.push(num(v.slice(start, i)));
        start = i;
        descend();
      }
      digits = false;
    }
  }
  if (v.length > start) {
    // a trailing qualifier after a dot reads like one after a hyphen (MNG-7644)
    if (!digits && list.length > 0) descend();
    list.push(item(digits, v.slice(start)));
  }
  for (let k = lists.length - 1; k >= 0; k--) normalize(lists[k] as Item[]);
  return { t: "list", items: root };
}

/** `a` compared with a missing item (the other version ended there). */
function vsNothing(a: Item): Ordering {
  if (a.t === "int") return a.v === "0" ? 0 : 1; // 1.0 == 1, 1.1 > 1
  if (a.t === "str") return cmpStr(rank(a.v), RELEASE_RANK); // 1-rc < 1, 1-sp > 1
  // the whole sub-list decides, not just its first item (MNG-6964): 1-0.1 > 1
  for (const x of a.items) {
    const c = vsNothing(x);
    if (c !== 0) return c;
  }
  return 0;
}

function compareItems(a: Item, b: Item): Ordering {
  if (a.t === "int") return b.t === "int" ? cmpDigits(a.v, b.v) : 1; // 1.1 > 1-sp, 1.1 > 1-1
  if (a.t === "str") return b.t === "str" ? cmpStr(rank(a.v), rank(b.v)) : -1; // 1.sp < 1.1, 1-sp < 1-1
  if (b.t === "int") return -1; // 1-1 < 1.1
  if (b.t === "str") return 1; // 1-1 > 1-sp
  const n = Math.max(a.items.length, b.items.length);
  for (let i = 0; i < n; i++) {
    const x = a.items[i];
    const y = b.items[i];
    const c = x && y ? compareItems(x, y) : x ? vsNothing(x) : y ? neg(vsNothing(y)) : 0;
    if (c !== 0) return c;
  }
  return 0;
}

export function compare(a: string, b: string): Ordering {
  return compareItems(parse(a), parse(b));
}

/** Maven's canonical form (`ComparableVersion.getCanonical()`), e.g. `1.0.0.RC1` → `1-rc-1`. */
export function canonical(version: string): string {
  const show = (i: Item): string =>
    i.t === "list"
      ? i.items.map((x, k) => (k === 0 ? "" : x.t === "list" ? "-" : ".") + show(x)).join("")
      : i.v;
  return show(parse(version));
}
