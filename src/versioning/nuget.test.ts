import { describe, expect, it } from "vitest";
import { compare, isValid, parse } from "./nuget.js";
import { failures, orderLaws, readVectors, VERSION_SHAPES } from "./vectors.testutil.js";

describe("NuGet versions", () => {
  it("orders every osv-scalibr NuGet vector exactly", () => {
    const v = readVectors("osv-scalibr/nuget-versions.txt");
    expect(v.length).toBe(35);
    expect(failures(v, compare)).toEqual([]);
  });

  it("pads to four numbers and compares pre-release labels case-insensitively", () => {
    expect(parse("1.2")).toEqual({ numbers: ["1", "2", "0", "0"], prerelease: [] });
    expect(compare("1.0.0.1", "1.0.0")).toBe(1);
    expect(compare("1.0.0-Beta.2", "1.0.0-beta.10")).toBe(-1);
    expect(compare("1.0.0-RC", "1.0.0-rc+build")).toBe(0);
  });

  it("orders invalid strings before every version", () => {
    expect(isValid("1.0.0.0.0")).toBe(false);
    expect(compare("1.0.0.0.0", "0.0.1")).toBe(-1);
  });

  orderLaws(compare, VERSION_SHAPES.nuget, true);
});
