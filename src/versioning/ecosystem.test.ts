import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AirbagError, exitCodeFor } from "../model/errors.js";
import { compareVersions, ECOSYSTEM_SCHEMES, schemeFor } from "./index.js";
import { FIXTURES } from "./vectors.testutil.js";

describe("compareVersions(ecosystem, a, b)", () => {
  it("covers every ecosystem the product contract names", () => {
    const contract = [
      "Debian",
      "Ubuntu",
      "Alpine",
      "Wolfi",
      "Red Hat",
      "AlmaLinux",
      "Rocky Linux",
      "SUSE",
      "openSUSE",
      "npm",
      "PyPI",
      "Go",
      "Maven",
      "crates.io",
      "RubyGems",
      "Packagist",
      "NuGet",
    ];
    expect(contract.filter((e) => schemeFor(e) === undefined)).toEqual([]);
  });

  it("only uses ecosystem names that the OSV schema lists", () => {
    const osv = Object.keys(JSON.parse(readFileSync(`${FIXTURES}osv-schema/ecosystems.json`, "utf8")));
    expect(Object.keys(ECOSYSTEM_SCHEMES).filter((e) => !osv.includes(e))).toEqual([]);
  });

  it("dispatches on the name before any ':' release suffix", () => {
    expect(compareVersions("Debian:12", "3.0.11-1~deb12u2", "3.0.11-1")).toBe(-1);
    expect(compareVersions("Ubuntu:Pro:18.04:LTS", "1.2-3ubuntu0.1", "1.2-3")).toBe(1);
    expect(compareVersions("Alpine:v3.19", "1.2.3_rc1-r0", "1.2.3-r0")).toBe(-1);
    expect(compareVersions("Red Hat:rhel_aus:8.4::appstream", "1:1.0-1.el8", "2.0-1.el8")).toBe(1);
    expect(compareVersions("npm", "1.0.0-beta.2", "1.0.0-beta.11")).toBe(-1);
    expect(compareVersions("Go", "1.21.0-rc.2", "go1.21rc2")).toBe(0);
    expect(compareVersions("PyPI", "1.0.post1", "1.0")).toBe(1);
    expect(compareVersions("Maven:https://maven.google.com", "1.0-SNAPSHOT", "1.0")).toBe(-1);
    expect(compareVersions("RubyGems", "1.0.0.rc1", "1.0.0")).toBe(-1);
    expect(compareVersions("Packagist", "v1.0.0-RC1", "1.0.0")).toBe(-1);
    expect(compareVersions("NuGet", "1.0.0-BETA", "1.0.0-beta")).toBe(0);
    expect(compareVersions("crates.io", "0.10.0", "0.9.9")).toBe(1);
  });

  it("throws a typed UNSUPPORTED error (exit code 2) for an unknown ecosystem", () => {
    let err: unknown;
    try {
      compareVersions("Fedora:39", "1", "2");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("UNSUPPORTED");
    expect((err as AirbagError).message).toMatch(/unknown ecosystem "Fedora:39"/);
    expect(exitCodeFor(err)).toBe(2);
    expect(() => compareVersions("debian", "1", "2")).toThrow(AirbagError); // names are case-sensitive
    expect(() => compareVersions("constructor", "1", "2")).toThrow(AirbagError);
  });
});
