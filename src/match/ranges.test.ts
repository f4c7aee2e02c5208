import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Affected } from "../model/index.js";
import { compareVersions } from "../versioning/index.js";
import { affectedVerdict, rangeVerdict } from "./ranges.js";

const semver = (a: string, b: string) => compareVersions("npm", a, b);
const range = (...events: Record<string, string>[]) => ({ type: "SEMVER" as const, events: events as never });

describe("OSV range evaluation", () => {
  it("introduced/fixed: [introduced, fixed)", () => {
    const r = range({ introduced: "1.2.0" }, { fixed: "1.4.1" });
    expect(rangeVerdict("1.1.9", r, semver).affected).toBe(false);
    expect(rangeVerdict("1.2.0", r, semver)).toEqual({ affected: true, fixed: "1.4.1" });
    expect(rangeVerdict("1.4.0", r, semver).affected).toBe(true);
    expect(rangeVerdict("1.4.1", r, semver).affected).toBe(false);
  });

  it("introduced 0 means every version; several ranges in one events list", () => {
    const r = range({ introduced: "0" }, { fixed: "1.0.5" }, { introduced: "2.0.0" }, { fixed: "2.0.3" });
    expect(rangeVerdict("0.0.1", r, semver)).toEqual({ affected: true, fixed: "1.0.5" });
    expect(rangeVerdict("1.5.0", r, semver).affected).toBe(false);
    expect(rangeVerdict("2.0.2", r, semver)).toEqual({ affected: true, fixed: "2.0.3" });
    expect(rangeVerdict("3.0.0", r, semver).affected).toBe(false);
  });

  it("last_affected includes its version, limit excludes from it on", () => {
    expect(
      rangeVerdict("1.3.0", range({ introduced: "1.0.0" }, { last_affected: "1.3.0" }), semver).affected,
    ).toBe(true);
    expect(
      rangeVerdict("1.3.1", range({ introduced: "1.0.0" }, { last_affected: "1.3.0" }), semver).affected,
    ).toBe(false);
    expect(rangeVerdict("2.0.0", range({ introduced: "0" }, { limit: "2.0.0" }), semver).affected).toBe(
      false,
    );
  });

  it("uses the ecosystem's ordering (dpkg epochs and tildes)", () => {
    const deb = (a: string, b: string) => compareVersions("Debian", a, b);
    const r = { type: "ECOSYSTEM" as const, events: [{ introduced: "0" }, { fixed: "1:2.38.1-5+deb12u1" }] };
    expect(rangeVerdict("1:2.38.1-5", r, deb).affected).toBe(true);
    expect(rangeVerdict("2.39", r, deb).affected).toBe(true); // no epoch = 0 < 1
    expect(rangeVerdict("1:2.38.1-5+deb12u1~bpo1", r, deb).affected).toBe(true);
    expect(rangeVerdict("1:2.38.1-5+deb12u2", r, deb).affected).toBe(false);
  });

  it("explicit versions and the lowest fix across ranges", () => {
    const aff: Affected = {
      ecosystem: "npm",
      package: "x",
      versions: ["0.9.0"],
      ranges: [
        range({ introduced: "0" }, { fixed: "2.0.0" }),
        range({ introduced: "1.0.0" }, { fixed: "1.5.0" }),
      ],
    };
    expect(affectedVerdict("0.9.0", aff, semver)).toEqual({ affected: true, fixed: "2.0.0" });
    expect(affectedVerdict("1.2.0", aff, semver)).toEqual({ affected: true, fixed: "1.5.0" });
    expect(affectedVerdict("2.1.0", { ...aff, versions: ["2.1.0"] }, semver)).toEqual({ affected: true });
  });

  it("agrees with a brute-force interval check on integer versions (property)", () => {
    const num = (a: string, b: string) => Number(a) - Number(b);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 0, max: 55 }),
        (bounds, v) => {
          const sorted = [...bounds].sort((a, b) => a - b);
          const events = sorted.map((b, i) =>
            i % 2 === 0 ? { introduced: String(b) } : { fixed: String(b) },
          );
          let expected = false;
          for (let i = 0; i < sorted.length; i += 2)
            if (v >= sorted[i]! && (i + 1 >= sorted.length || v < sorted[i + 1]!)) expected = true;
          expect(rangeVerdict(String(v), { type: "ECOSYSTEM", events: events as never }, num).affected).toBe(
            expected,
          );
        },
      ),
    );
  });
});
