import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareRuntimeVersions, parseRuntimeVersion, runtimeMajor } from "./runtime-version.js";

const lt = (a: string, b: string) => {
  expect(compareRuntimeVersions(a, b), `${a} < ${b}`).toBe(-1);
  expect(compareRuntimeVersions(b, a), `${b} > ${a}`).toBe(1);
};
const eq = (a: string, b: string) => expect(compareRuntimeVersions(a, b), `${a} = ${b}`).toBe(0);

describe("runtime version order", () => {
  it("orders runc release candidates numerically (rc6 < rc10 < rc93), below the release", () => {
    lt("1.0.0-rc6", "1.0.0-rc7");
    lt("1.0.0-rc9", "1.0.0-rc10");
    lt("1.0.0-rc10", "1.0.0-rc93");
    lt("1.0.0-rc95", "1.0.0");
    lt("0.1.1", "1.0.0-rc1");
    lt("1.1.11", "1.1.12");
    lt("1.2.0-rc.1", "1.2.0-rc.3");
    eq("1.2.0-rc.1", "1.2.0-rc1");
  });

  it("drops build metadata, vendor +dev, Debian repack markers and distro revisions", () => {
    eq("1.0.0-rc6+dev", "1.0.0-rc6");
    eq("v1.1.5+ds1", "1.1.5");
    eq("1.6.20~ds1", "1.6.20");
    eq("20.10.24+dfsg1", "20.10.24");
    eq("20.10.27+incompatible", "20.10.27");
    eq("1.0.0~rc93+ds1", "1.0.0-rc93");
    eq("1.1.12-0ubuntu2~22.04.1", "1.1.12");
    eq("1:1.1.5", "1.1.5");
  });

  it("reads Docker's versions: -ce is an edition, -rcN/-beta a pre-release", () => {
    eq("18.06.1-ce", "18.06.1");
    lt("18.06.1-ce", "18.09.2");
    lt("18.09.1", "18.09.2");
    lt("17.03.0-ce-rc1", "17.03.0-ce");
    lt("19.03.0-beta1", "19.03.0");
    eq("v1.2.5", "1.2.5");
  });

  it("orders the Go vulndb's pseudo-versions by their commit time", () => {
    // GO-2021-0087: fixed in 1.0.0-rc9.0.20200122160610-2fc03cc11c77 (released as rc10)
    lt("1.0.0-rc9", "1.0.0-rc9.0.20200122160610-2fc03cc11c77");
    lt("1.0.0-rc9.0.20200122160610-2fc03cc11c77", "1.0.0-rc10");
    lt("1.0.1-0.20211012131345-9c444070ec7b", "1.1.0");
  });

  it("sorts unparsable strings first and never throws", () => {
    expect(parseRuntimeVersion("unknown")).toBeUndefined();
    lt("unknown", "0.0.1");
    expect(runtimeMajor("v2.0.1")).toBe(2);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const c = compareRuntimeVersions(a, b);
        expect(compareRuntimeVersions(b, a)).toBe(c === 0 ? 0 : -c);
        expect(compareRuntimeVersions(a, a)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("is transitive over runtime-shaped versions", () => {
    const version = fc
      .tuple(
        fc.nat(20),
        fc.nat(12),
        fc.nat(12),
        fc.constantFrom("", "-rc1", "-rc6", "-rc10", "-rc93", "-ce", "-beta.2", "+dev", "+ds1", "~rc5"),
      )
      .map(([a, b, c, s]) => `${a}.${b}.${c}${s}`);
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        if (compareRuntimeVersions(a, b) <= 0 && compareRuntimeVersions(b, c) <= 0)
          expect(compareRuntimeVersions(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });
});
