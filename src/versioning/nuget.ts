/**
 * NuGet package versions (NuGet.Versioning `NuGetVersion` with `VersionComparer.Default`).
 * Spec: https://learn.microsoft.com/en-us/nuget/concepts/package-versioning — SemVer 2.0.0 plus an
 * optional fourth "revision" number, missing numbers are 0 (`1.0` = `1.0.0.0`), leading zeros allowed
 * (`1.01` = `1.1`), pre-release labels compare case-insensitively (`1.0.0-BETA` = `1.0.0-beta`;
 * numeric labels numerically and before alphanumeric ones), build metadata ignored.
 * Numbers have no size limit here (NuGet itself rejects numbers above Int32).
 * Invalid strings sort before every valid version and among themselves by code units.
 */
import { cmpDigits, cmpStr, type Ordering } from "./common.js";
import { comparePrerelease } from "./semver.js";

export interface NuGetVersion {
  /** major, minor, patch, revision */
  numbers: [string, string, string, string];
  /** lower-cased pre-release labels */
  prerelease: string[];
}

const LABEL = "[0-9A-Za-z-]+";
const VERSION = new RegExp(
  `^\\s*(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.(\\d+))?(?:-(${LABEL}(?:\\.${LABEL})*))?(?:\\+${LABEL}(?:\\.${LABEL})*)?\\s*$`,
);

export function parse(input: string): NuGetVersion | undefined {
  const m = VERSION.exec(input);
  if (!m) return undefined;
  return {
    numbers: [m[1] as string, m[2] ?? "0", m[3] ?? "0", m[4] ?? "0"],
    // ordinal ignore-case: labels only hold [0-9A-Za-z-], where lower-casing preserves the order
    prerelease: m[5] === undefined ? [] : m[5].toLowerCase().split("."),
  };
}

export const isValid = (input: string): boolean => parse(input) !== undefined;

export function compare(a: string, b: string): Ordering {
  const x = parse(a);
  const y = parse(b);
  if (x && y) {
    for (let i = 0; i < 4; i++) {
      const c = cmpDigits(x.numbers[i] as string, y.numbers[i] as string);
      if (c !== 0) return c;
    }
    return comparePrerelease(x.prerelease, y.prerelease);
  }
  if (x || y) return x ? 1 : -1;
  return cmpStr(a, b);
}
