/**
 * Go module versions and Go toolchain/stdlib versions.
 * Spec: https://go.dev/ref/mod#versions (semver with a `v` prefix; shorthand `v1`, `v1.2` mean `v1.0.0`,
 * `v1.2.0`; `+incompatible` is build metadata and ignored; pseudo-versions such as
 * `v0.0.0-20191109021931-daa7c04131f5` are pre-releases and order by their timestamp).
 * OSV's Go ecosystem writes versions without the `v` (`1.2.3`); both spellings are accepted.
 *
 * Toolchain/stdlib tags map to semver the way the Go vulnerability database does
 * (golang.org/x/vuln's tag conversion): `go1.21.3` → 1.21.3, `go1.21` → 1.21.0, `go1.21rc2` → 1.21.0-rc.2,
 * `go1.19beta1` → 1.19.0-beta.1. Note `go1.21` is taken as the release 1.21.0 (before Go 1.21 that was
 * the first release's name; from 1.21 on it names the language version, which go/version orders before
 * `go1.21rc1`; a binary never reports it).
 *
 * Invalid versions sort before every valid one and among themselves by code units (x/mod/semver makes
 * all invalid versions equal; this refines that into a total order).
 */
import { cmpStr, type Ordering } from "./common.js";
import { compareParsed, type SemVer } from "./semver.js";

const NUM = "(0|[1-9]\\d*)";
const PRE_ID = "(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)";
const BUILD = "[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*";
// x/mod/semver grammar: pre-release and build only after all three numbers
const MODULE = new RegExp(
  `^v?${NUM}(?:\\.${NUM}(?:\\.${NUM}(-${PRE_ID}(?:\\.${PRE_ID})*)?(\\+${BUILD})?)?)?$`,
);
const TOOLCHAIN = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$/;

export function parse(input: string): SemVer | undefined {
  const s = input.trim();
  const t = TOOLCHAIN.exec(s);
  if (t) {
    return {
      major: t[1] as string,
      minor: t[2] ?? "0",
      patch: t[3] ?? "0",
      prerelease: t[4] ? [t[4], t[5] as string] : [],
      build: [],
    };
  }
  const m = MODULE.exec(s);
  if (!m) return undefined;
  return {
    major: m[1] as string,
    minor: m[2] ?? "0",
    patch: m[3] ?? "0",
    prerelease: m[4] ? m[4].slice(1).split(".") : [],
    build: m[5] ? m[5].slice(1).split(".") : [],
  };
}

export const isValid = (input: string): boolean => parse(input) !== undefined;

/** True for `vX.Y.Z-[pre.]yyyymmddhhmmss-abcdefabcdef` (https://go.dev/ref/mod#pseudo-versions). */
export const isPseudoVersion = (input: string): boolean =>
  /^v?\d+\.\d+\.\d+-(?:[0-9A-Za-z-]+\.)*(?:0\.)?\d{14}-[0-9a-f]{12}(?:\+incompatible)?$/.test(input.trim());

export function compare(a: string, b: string): Ordering {
  const x = parse(a);
  const y = parse(b);
  if (x && y) return compareParsed(x, y);
  if (x || y) return x ? 1 : -1;
  return cmpStr(a, b);
}
