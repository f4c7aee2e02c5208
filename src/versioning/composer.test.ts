import { describe, expect, it } from "vitest";
import { canonicalize, compare, phpVersionCompare } from "./composer.js";
import { failures, orderLaws, readVectors, VERSION_SHAPES } from "./vectors.testutil.js";

describe("Packagist versions (PHP version_compare)", () => {
  it("orders every osv-scalibr Packagist vector exactly (95 hand-written, 10,630 from PHP)", () => {
    const hand = readVectors("osv-scalibr/packagist-versions.txt");
    const generated = readVectors("osv-scalibr/packagist-versions-generated.txt");
    expect([hand.length, generated.length]).toEqual([95, 10630]);
    expect(failures([...hand, ...generated], compare)).toEqual([]);
  });

  it("canonicalises like php_canonicalize_version", () => {
    expect(canonicalize("1.0rc1")).toBe("1.0.rc.1");
    expect(canonicalize("1.0-beta_2+3")).toBe("1.0.beta.2.3");
    expect(canonicalize("1..0")).toBe("1.0");
  });

  it("orders the special forms dev < alpha < beta < RC < number < pl", () => {
    const order = ["1.0-dev", "1.0a1", "1.0b1", "1.0RC1", "1.0", "1.0pl1"];
    for (let i = 1; i < order.length; i++)
      expect(compare(order[i - 1] as string, order[i] as string)).toBe(-1);
    expect(compare("1.0", "1.0.0")).toBe(-1);
    expect(compare("v2.1.0", "2.1.0")).toBe(0);
  });

  it("fixes PHP's trailing-separator quirk so every version equals itself", () => {
    expect(phpVersionCompare("1.0-", "1.0-")).toBe(0);
    expect(compare("1.0-", "1.0")).toBe(0);
  });

  // PHP's version_compare is not transitive on arbitrary strings; on version-shaped ones it is
  orderLaws(compare, VERSION_SHAPES.composer, false);
});
