import { describe, expect, it } from "vitest";
import { compare, isValid, segments } from "./rubygems.js";
import { failures, orderLaws, readVectors, VERSION_SHAPES } from "./vectors.testutil.js";

describe("RubyGems versions (Gem::Version)", () => {
  it("orders every osv-scalibr RubyGems vector exactly (25 hand-written, 4,098 from Gem::Version)", () => {
    const hand = readVectors("osv-scalibr/rubygems-versions.txt");
    const generated = readVectors("osv-scalibr/rubygems-versions-generated.txt");
    expect([hand.length, generated.length]).toEqual([25, 4098]);
    expect(failures([...hand, ...generated], compare)).toEqual([]);
  });

  it("treats any letter segment as a pre-release and '-' as '.pre.'", () => {
    expect(compare("1.0.0.rc1", "1.0.0")).toBe(-1);
    expect(compare("1.0.0-rc1", "1.0.0.pre.rc1")).toBe(0);
    expect(compare("1.0.a", "1.0.0.1")).toBe(-1);
    expect(compare("1.10", "1.9")).toBe(1);
  });

  it("drops trailing zeros from the release and the pre-release part", () => {
    expect(segments("1.0.0.a.0")).toEqual(["1", "a"]);
    expect(compare("1.0.0", "1")).toBe(0);
    expect(compare("1.0.a.0", "1.a")).toBe(0);
  });

  it("orders malformed strings before every version", () => {
    expect(isValid("1.0 beta")).toBe(false);
    expect(isValid("  ")).toBe(true); // blank is "0"
    expect(compare("1.0 beta", "0")).toBe(-1);
  });

  orderLaws(compare, VERSION_SHAPES.rubygems, true);
});
