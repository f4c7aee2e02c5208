import { describe, expect, it } from "vitest";
import { compare, isValid } from "./apk.js";
import { failures, orderLaws, readVectors, VERSION_SHAPES } from "./vectors.testutil.js";

const hand = readVectors("osv-scalibr/alpine-versions.txt");
const generated = readVectors("osv-scalibr/alpine-versions-generated.txt");
const apkTools = readVectors("go-apk-version/version.data");

describe("Alpine versions (apk-tools)", () => {
  it("orders every osv-scalibr Alpine vector exactly (778 hand-written, 13,979 from apk version -t)", () => {
    expect([hand.length, generated.length]).toEqual([778, 13979]);
    expect(failures([...hand, ...generated], compare)).toEqual([]);
  });

  it("reproduces apk-tools' own test/version.data cases (728)", () => {
    expect(apkTools.length).toBe(728);
    expect(failures(apkTools, compare)).toEqual([]);
  });

  it("orders suffixes alpha < beta < pre < rc < none < cvs < svn < git < hg < p", () => {
    const order = [
      "1.2_alpha",
      "1.2_beta",
      "1.2_pre",
      "1.2_rc",
      "1.2",
      "1.2_cvs",
      "1.2_svn",
      "1.2_git",
      "1.2_hg",
      "1.2_p",
    ];
    for (let i = 1; i < order.length; i++)
      expect(compare(order[i - 1] as string, order[i] as string)).toBe(-1);
  });

  it("puts the letter, suffix, hash and revision in grammar order", () => {
    expect(compare("1.2", "1.2a")).toBe(-1);
    expect(compare("1.2a", "1.2.1")).toBe(-1);
    expect(compare("1.2-r1", "1.2_p1")).toBe(-1);
    expect(compare("1.2~abc-r1", "1.2~abd-r0")).toBe(-1);
    expect(compare("1.2-r9", "1.2-r10")).toBe(-1);
  });

  it("compares numbers beyond 64 bits exactly", () => {
    expect(compare("1.0.0_pre20191002222144999-r0", "1.0.0_pre20210530193627000-r0")).toBe(-1);
  });

  it("keeps ordering real-world invalid versions the way apk 2.x does (1.9.5p1 < 1.9.5p2)", () => {
    expect(isValid("1.9.5p2-r0")).toBe(false);
    expect(compare("1.9.5p1-r1", "1.9.5p2-r1")).toBe(-1);
    expect(compare("1-ruff", "1")).toBe(-1);
  });

  // apk's fallbacks for invalid strings are not transitive (e.g. `9.` < `9` < `9.0` < `9.`); valid ones are
  orderLaws(compare, VERSION_SHAPES.apk, false);
});
