import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compare, isValid, parse } from "./semver.js";
import { FIXTURES, failures, orderLaws, readVectors, VERSION_SHAPES } from "./vectors.testutil.js";

/** node-semver fixture: `{ cases: [[a, b, options?], …] }` (options = loose flag; we are always loose). */
const nodeSemver = (name: string): [string, string][] =>
  (JSON.parse(readFileSync(`${FIXTURES}node-semver/${name}.json`, "utf8")).cases as unknown[][]).map(
    (c) => [c[0], c[1]] as [string, string],
  );

describe("SemVer 2.0.0 (npm, crates.io)", () => {
  it("orders every osv-scalibr semver vector exactly", () => {
    const v = readVectors("osv-scalibr/semver-versions.txt");
    expect(v.length).toBe(86);
    expect(failures(v, compare)).toEqual([]);
  });

  it("agrees with node-semver's comparison fixtures (first is greater)", () => {
    const cases = nodeSemver("comparisons");
    expect(cases.length).toBe(31);
    expect(cases.filter(([a, b]) => compare(a, b) !== 1 || compare(b, a) !== -1)).toEqual([]);
  });

  it("agrees with node-semver's equality fixtures, loose prefixes and build metadata included", () => {
    const cases = nodeSemver("equality");
    expect(cases.length).toBe(37);
    expect(cases.filter(([a, b]) => compare(a, b) !== 0)).toEqual([]);
  });

  it("parses node-semver's valid-versions fixtures into the same parts", () => {
    const cases = JSON.parse(readFileSync(`${FIXTURES}node-semver/valid-versions.json`, "utf8")).cases as [
      string,
      number,
      number,
      number,
      (string | number)[],
      string[],
    ][];
    expect(cases.length).toBe(22);
    for (const [v, major, minor, patch, pre, build] of cases) {
      expect(isValid(v)).toBe(true);
      expect(parse(v)).toEqual({
        major: String(major),
        minor: String(minor),
        patch: String(patch),
        prerelease: pre.map(String),
        build,
      });
    }
  });

  it("follows §11: numeric identifiers below alphanumeric, fewer identifiers first, build ignored", () => {
    const order = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
    ];
    for (let i = 1; i < order.length; i++)
      expect(compare(order[i - 1] as string, order[i] as string)).toBe(-1);
    expect(compare("1.0.0+build.1", "1.0.0+build.2")).toBe(0);
    expect(compare("1.0.0-18446744073709551617", "1.0.0-18446744073709551616")).toBe(1);
  });

  it("orders invalid versions before valid ones, by code units among themselves", () => {
    expect(isValid("1.2")).toBe(false);
    expect(compare("not a version", "0.0.0")).toBe(-1);
    expect(compare("abc", "abd")).toBe(-1);
  });

  orderLaws(compare, VERSION_SHAPES.semver, true);
});
