import type { CpeMatch } from "../model/index.js";
import { compareRuntimeVersions, parseRuntimeVersion } from "./runtime-version.js";

/**
 * Does an installed version match one NVD CPE match entry (`configurations[].nodes[].cpeMatch[]`)?
 *
 * CPE 2.3 formatted strings (NISTIR 7695): `cpe:2.3:part:vendor:product:version:update:edition:…`, `\`
 * escapes, `*` = ANY, `-` = NA (the product has no such value). NVD writes pre-releases in the `update`
 * field: runc 1.0.0-rc6 is `linuxfoundation:runc:1.0.0:rc6`. So the criteria's version and update are
 * combined before comparing, and the installed version is read with the runtime order
 * (`runtime-version.ts`: `1.0.0-rc6+dev` equals `1.0.0-rc6`, `18.06.1-ce` equals `18.06.1`):
 * - version `*` (or empty): any version, narrowed by versionStart/End Including/Excluding when given;
 * - version `-`: a product NVD lists without versions — never matches a concrete version;
 * - version V, update `*`: every update of V (the release and its pre-releases), as CPE name matching
 *   defines ANY; update `-`: V itself only; update U: exactly V-U;
 * - `*` / `?` inside a version are CPE wildcards (any run / one character).
 * Bounds apply in every case. Nothing here throws: unparsable input does not match.
 */

export interface CpeName {
  part: string;
  vendor: string;
  product: string;
  version: string;
  update: string;
}

const ANY = "*";
const NA = "-";

/** Split a CPE 2.3 formatted string at unescaped colons, unescaping each field. */
export function parseCpe23(cpe: string): CpeName | undefined {
  if (typeof cpe !== "string" || !cpe.startsWith("cpe:2.3:")) return undefined;
  const fields: string[] = [];
  let cur = "";
  for (let i = 8; i < cpe.length; i++) {
    const c = cpe[i]!;
    if (c === "\\" && i + 1 < cpe.length) {
      cur += c + cpe[++i];
    } else if (c === ":") {
      fields.push(cur);
      cur = "";
    } else cur += c;
  }
  fields.push(cur);
  if (fields.length < 5) return undefined;
  const [part, vendor, product, version, update] = fields as [string, string, string, string, string];
  return { part, vendor: unescapeCpe(vendor), product: unescapeCpe(product), version, update };
}

/** Escaped characters are literal; unescaped `*` and `?` stay wildcards (see `hasWildcard`). */
const unescapeCpe = (v: string) => v.replace(/\\(.)/g, "$1");
const hasWildcard = (v: string) => /(?<!\\)[*?]/.test(v) && v !== ANY;

function globMatches(pattern: string, value: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, "i").test(value);
}
const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function withinBounds(installed: string, m: CpeMatch): boolean {
  const cmp = (bound: string) => compareRuntimeVersions(installed, bound);
  if (m.versionStartIncluding !== undefined && cmp(m.versionStartIncluding) < 0) return false;
  if (m.versionStartExcluding !== undefined && cmp(m.versionStartExcluding) <= 0) return false;
  if (m.versionEndIncluding !== undefined && cmp(m.versionEndIncluding) > 0) return false;
  if (m.versionEndExcluding !== undefined && cmp(m.versionEndExcluding) >= 0) return false;
  return true;
}

/** The installed version's release part and pre-release, normalised (`1.0.0-rc6+dev` → 1.0.0, rc.6). */
function split(installed: string) {
  const v = parseRuntimeVersion(installed);
  return v ? { release: v.release.join("."), pre: v.prerelease } : undefined;
}

const samePre = (a: string[], b: string[]) =>
  a.length === b.length && a.every((id, i) => id.toLowerCase() === b[i]!.toLowerCase());

/** The update field against the installed pre-release identifiers (`rc6` ↔ ["rc", "6"]). */
function updateMatches(pre: string[], update: string): boolean {
  if (update === ANY || update === "") return true;
  if (update === NA) return pre.length === 0;
  const want = parseRuntimeVersion(`0-${unescapeCpe(update)}`)?.prerelease ?? [];
  if (hasWildcard(update)) return globMatches(update, pre.join(""));
  return samePre(pre, want);
}

function versionMatches(installed: string, version: string, update: string): boolean {
  if (version === ANY || version === "") return updateMatches(split(installed)?.pre ?? [], update);
  if (version === NA) return false;
  const inst = split(installed);
  if (!inst) return false;
  if (hasWildcard(version)) return globMatches(version, inst.release) && updateMatches(inst.pre, update);
  const own = split(unescapeCpe(version));
  if (!own) return false;
  if (compareRuntimeVersions(inst.release, own.release) !== 0) return false;
  // a version with its own pre-release (`1.0-rc6`) and no update: that pre-release exactly
  if (own.pre.length && (update === ANY || update === "")) return samePre(inst.pre, own.pre);
  return updateMatches(inst.pre, update);
}

/** True when `installed` (as the product prints it) falls in this CPE match entry. */
export function cpeMatchesVersion(match: CpeMatch, installed: string): boolean {
  try {
    const name = parseCpe23(match.criteria);
    if (!name) return false;
    return versionMatches(installed, name.version, name.update) && withinBounds(installed, match);
  } catch {
    return false;
  }
}

/** The fixed version an entry implies (its exclusive upper bound), if any. */
export function cpeFixedVersion(match: CpeMatch): string | undefined {
  return match.versionEndExcluding;
}
