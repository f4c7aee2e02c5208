/**
 * Small helpers shared by the version schemes. Every scheme exports `compare(a, b): Ordering`.
 * Numbers are compared as digit strings, never as JS numbers: advisories carry components such as
 * `999999999999999999999999999991` and date stamps longer than 2^53 (osv-scalibr semver/nuget vectors).
 */
export type Ordering = -1 | 0 | 1;

/** Reverse an ordering without producing -0. */
export const neg = (o: Ordering): Ordering => (o === 0 ? 0 : o === 1 ? -1 : 1);

/** Compare two strings by UTF-16 code units (C `strcmp` on ASCII input). */
export const cmpStr = (a: string, b: string): Ordering => (a < b ? -1 : a > b ? 1 : 0);

/** Compare two runs of ASCII digits numerically, any length, leading zeros ignored ("" counts as 0). */
export function cmpDigits(a: string, b: string): Ordering {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return cmpStr(x, y);
}

function stripZeros(s: string): string {
  if (s === "") return "0";
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
export const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
