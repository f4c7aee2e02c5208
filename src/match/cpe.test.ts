import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CpeMatch } from "../model/index.js";
import { cpeMatchesVersion, parseCpe23 } from "./cpe.js";
import { compareRuntimeVersions } from "./runtime-version.js";

const RUNC = (version: string, update = "*"): CpeMatch => ({
  criteria: `cpe:2.3:a:linuxfoundation:runc:${version}:${update}:*:*:*:*:*:*`,
});

describe("CPE match entries against installed versions", () => {
  it("reads the update field as the pre-release: runc 1.0.0:rc6 (CVE-2019-5736)", () => {
    const rc6 = RUNC("1.0.0", "rc6");
    expect(cpeMatchesVersion(rc6, "1.0.0-rc6")).toBe(true);
    expect(cpeMatchesVersion(rc6, "1.0.0-rc6+dev")).toBe(true);
    expect(cpeMatchesVersion(rc6, "v1.0.0-rc6")).toBe(true);
    expect(cpeMatchesVersion(rc6, "1.0.0-rc7")).toBe(false);
    expect(cpeMatchesVersion(rc6, "1.0.0")).toBe(false);
    expect(cpeMatchesVersion(rc6, "1.0.0-rc60")).toBe(false);
  });

  it("takes ANY and NA as CPE defines them", () => {
    expect(cpeMatchesVersion(RUNC("1.0.0"), "1.0.0-rc7")).toBe(true); // every update of 1.0.0
    expect(cpeMatchesVersion(RUNC("1.0.0"), "1.0.1")).toBe(false);
    expect(cpeMatchesVersion(RUNC("1.0.0", "-"), "1.0.0")).toBe(true);
    expect(cpeMatchesVersion(RUNC("1.0.0", "-"), "1.0.0-rc7")).toBe(false);
    expect(cpeMatchesVersion(RUNC("-"), "1.0.0")).toBe(false); // a product listed without versions
    expect(cpeMatchesVersion(RUNC("*"), "anything")).toBe(true);
    expect(cpeMatchesVersion(RUNC("1.0-rc6"), "1.0.0-rc6+dev")).toBe(true); // NVD's "1.0-rc6" spelling
    expect(cpeMatchesVersion(RUNC("1.1.*"), "1.1.12")).toBe(true);
    expect(cpeMatchesVersion(RUNC("1.1.*"), "1.2.0")).toBe(false);
  });

  it("applies NVD's bounds with the runtime order (docker:docker < 18.09.2, runc <= 0.1.1)", () => {
    const docker: CpeMatch = {
      criteria: "cpe:2.3:a:docker:docker:*:*:*:*:*:*:*:*",
      versionEndExcluding: "18.09.2",
    };
    expect(cpeMatchesVersion(docker, "18.06.1-ce")).toBe(true);
    expect(cpeMatchesVersion(docker, "18.09.1")).toBe(true);
    expect(cpeMatchesVersion(docker, "18.09.2")).toBe(false);
    expect(cpeMatchesVersion(docker, "19.03.5")).toBe(false);
    const old = { ...RUNC("*"), versionEndIncluding: "0.1.1" };
    expect(cpeMatchesVersion(old, "0.1.1")).toBe(true);
    expect(cpeMatchesVersion(old, "1.0.0-rc6")).toBe(false);
    const mesos: CpeMatch = {
      criteria: "cpe:2.3:a:apache:mesos:*:*:*:*:*:*:*:*",
      versionStartIncluding: "1.4.0",
      versionEndExcluding: "1.4.3",
    };
    expect(["1.3.9", "1.4.0", "1.4.2", "1.4.3"].map((v) => cpeMatchesVersion(mesos, v))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it("splits formatted strings at unescaped colons", () => {
    expect(parseCpe23("cpe:2.3:o:d2iq:dc\\/os:1.10:*:*:*:*:*:*:*")).toMatchObject({
      vendor: "d2iq",
      product: "dc/os",
      version: "1.10",
    });
    expect(parseCpe23("cpe:/a:docker:docker:1.0")).toBeUndefined();
  });

  const version = fc
    .tuple(fc.nat(20), fc.nat(12), fc.nat(12), fc.constantFrom("", "-rc1", "-rc6", "-rc10", "-ce", "+dev"))
    .map(([a, b, c, s]) => `${a}.${b}.${c}${s}`);

  it("bounds agree with the version comparison", () => {
    const any = "cpe:2.3:a:v:p:*:*:*:*:*:*:*:*";
    fc.assert(
      fc.property(version, version, (installed, bound) => {
        const c = compareRuntimeVersions(installed, bound);
        expect(cpeMatchesVersion({ criteria: any, versionEndExcluding: bound }, installed)).toBe(c < 0);
        expect(cpeMatchesVersion({ criteria: any, versionEndIncluding: bound }, installed)).toBe(c <= 0);
        expect(cpeMatchesVersion({ criteria: any, versionStartIncluding: bound }, installed)).toBe(c >= 0);
        expect(cpeMatchesVersion({ criteria: any, versionStartExcluding: bound }, installed)).toBe(c > 0);
      }),
      { numRuns: 1000 },
    );
  });

  it("an exact version entry matches exactly the versions equal to it", () => {
    fc.assert(
      fc.property(version, version, (installed, listed) => {
        const [v, pre] = listed.replace(/\+.*$/, "").split("-") as [string, string | undefined];
        const m = RUNC(v, pre && pre !== "ce" ? pre : "-");
        expect(cpeMatchesVersion(m, installed)).toBe(compareRuntimeVersions(installed, listed) === 0);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws on any string", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.option(fc.string(), { nil: undefined }),
        (criteria, v, bound) => {
          cpeMatchesVersion({ criteria, ...(bound !== undefined ? { versionEndExcluding: bound } : {}) }, v);
          cpeMatchesVersion(
            { criteria: `cpe:2.3:a:x:y:${criteria}:${bound ?? "*"}:*`, versionStartIncluding: v },
            v,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
