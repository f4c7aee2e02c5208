import { cmpDigits, cmpStr, type Ordering } from "../versioning/common.js";

/**
 * Version order for host software that NVD CPE entries and the Go vulndb describe with loose
 * SemVer: runc (`1.0.0-rc6`, `1.0.0-rc6+dev`, `1.0.0-rc93`, `1.1.5+ds1`), Docker (`18.09.2`,
 * `18.06.1-ce`, `17.03.0-ce-rc1`, `20.10.24+dfsg1`), containerd (`v1.6.28`, `1.6.20~ds1`), podman.
 *
 * SemVer precedence (major.minor.patch, then pre-release; build metadata ignored) with these
 * normalisations, because the strings these projects print are not valid SemVer:
 * - a leading `v` and a Debian epoch (`1:`) are dropped; `+…` is build metadata and dropped
 *   (`+dev`, `+ds1`, `+dfsg1`, `+incompatible`), and so are Debian repack markers `~ds1`/`~dfsg1`;
 * - `~` (Debian's "before") separates a pre-release like `-`: `1.0.0~rc93` = `1.0.0-rc93`;
 * - a `-…` suffix that is a distro package revision (`-0ubuntu2~22.04.1`, `-1.el9`, `-1+deb12u1`) is
 *   dropped: it says nothing about the upstream version;
 * - pre-release identifiers are split where letters meet digits, so `rc6` is `rc.6` and sorts below
 *   `rc10` (plain SemVer compares `rc10` < `rc6` as strings);
 * - Docker's edition words `ce`/`ee` are not pre-releases: `18.06.1-ce` is the release 18.06.1.
 * Any number of numeric release parts compare numerically (missing ones count as 0). Strings without a
 * leading number are invalid: they sort before every valid version and among themselves as strings,
 * so the order is total and nothing throws.
 */

export interface RuntimeVersion {
  /** numeric release parts, as digit strings */
  release: string[];
  /** pre-release identifiers after splitting (`rc6` → ["rc", "6"]); empty for a release */
  prerelease: string[];
}

const DISTRO_REVISION = /(ubuntu|deb\d|\.el\d|\.fc\d|amzn|suse|\.mga\d|alpine)/i;
const EDITION = new Set(["ce", "ee"]);

export function parseRuntimeVersion(input: string): RuntimeVersion | undefined {
  let s = input.trim().replace(/^[vV]/, "");
  s = s.replace(/^\d+:(?=\d)/, ""); // Debian epoch
  s = s.replace(/~(ds|dfsg)\d*/gi, ""); // Debian repack markers
  const plus = s.indexOf("+");
  if (plus >= 0) s = s.slice(0, plus);
  const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(s);
  if (!m) return undefined;
  const release = m[1]!.split(".");
  let rest = m[2]!;
  if (rest.startsWith("-") && /^\d/.test(rest.slice(1)) && DISTRO_REVISION.test(rest)) rest = "";
  const prerelease = rest
    .split(/[-.~_]/)
    .flatMap((id) => id.match(/\d+|[^\d]+/g) ?? [])
    .filter((id) => !EDITION.has(id.toLowerCase()));
  return { release, prerelease };
}

const isNumeric = (id: string) => /^\d+$/.test(id);

function compareIdentifier(a: string, b: string): Ordering {
  const na = isNumeric(a);
  const nb = isNumeric(b);
  if (na && nb) return cmpDigits(a, b);
  if (na !== nb) return na ? -1 : 1;
  return cmpStr(a.toLowerCase(), b.toLowerCase());
}

export function compareParsedRuntime(x: RuntimeVersion, y: RuntimeVersion): Ordering {
  const n = Math.max(x.release.length, y.release.length);
  for (let i = 0; i < n; i++) {
    const c = cmpDigits(x.release[i] ?? "0", y.release[i] ?? "0");
    if (c !== 0) return c;
  }
  const a = x.prerelease;
  const b = y.prerelease;
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareIdentifier(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Total order over any two strings (see the file comment); never throws. */
export function compareRuntimeVersions(a: string, b: string): Ordering {
  const x = parseRuntimeVersion(a);
  const y = parseRuntimeVersion(b);
  if (x && y) return compareParsedRuntime(x, y);
  if (x || y) return x ? 1 : -1;
  return cmpStr(a, b);
}

/** The major release number (`1` for `v1.7.13`), or undefined when the version does not parse. */
export function runtimeMajor(version: string): number | undefined {
  const v = parseRuntimeVersion(version);
  return v ? Number(v.release[0]) : undefined;
}
