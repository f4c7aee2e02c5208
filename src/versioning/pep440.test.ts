import { describe, expect, it } from "vitest";
import { compare, isValid, normalize } from "./pep440.js";
import {
  disagreements,
  failures,
  orderLaws,
  readVectors,
  run,
  samplePairs,
  sampleShape,
  VERSION_SHAPES,
  works,
} from "./vectors.testutil.js";

const hand = readVectors("osv-scalibr/pypi-versions.txt");
const generated = readVectors("osv-scalibr/pypi-versions-generated.txt");

// Python `packaging` (what pip uses) as the oracle: one process, JSON in, one answer per line out
const PACKAGING = `
import json, sys
from packaging.version import Version, InvalidVersion
def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None
data = json.load(sys.stdin)
for s in data["strings"]:
    print("valid" if parse(s) is not None else "invalid")
for a, b in data["pairs"]:
    x, y = parse(a), parse(b)
    print("skip" if x is None or y is None else (x > y) - (x < y))
for s in data["strings"]:
    v = parse(s)
    print(json.dumps(None if v is None else str(v)))
`;

describe("PEP 440 versions (PyPI)", () => {
  it("orders every osv-scalibr PyPI vector exactly (37 hand-written, 12,375 from packaging)", () => {
    expect([hand.length, generated.length]).toEqual([37, 12375]);
    expect(failures([...hand, ...generated], compare)).toEqual([]);
  });

  it("follows the PEP's summary of permitted suffixes and relative ordering", () => {
    const order = [
      "1.0.dev456",
      "1.0a1",
      "1.0a2.dev456",
      "1.0a12.dev456",
      "1.0a12",
      "1.0b1.dev456",
      "1.0b2",
      "1.0b2.post345.dev456",
      "1.0b2.post345",
      "1.0rc1.dev456",
      "1.0rc1",
      "1.0",
      "1.0+abc.5",
      "1.0+abc.7",
      "1.0+5",
      "1.0.post456.dev34",
      "1.0.post456",
      "1.0.15",
      "1.1.dev1",
    ];
    for (let i = 1; i < order.length; i++)
      expect(compare(order[i - 1] as string, order[i] as string)).toBe(-1);
    expect(compare("1!0.1", "2.0")).toBe(1);
  });

  it("normalises alternate spellings", () => {
    expect(normalize("1.0-ALPHA_1")).toBe("1.0a1");
    expect(normalize("v1.0-1")).toBe("1.0.post1");
    expect(normalize("1.0.preview-2.r3.DEV")).toBe("1.0rc2.post3.dev0");
    expect(normalize("01!1.01+Ubuntu-1")).toBe("1!1.1+ubuntu.1");
    expect(compare("1.0c1", "1.0RC1")).toBe(0);
  });

  it("orders non-PEP 440 strings before every version", () => {
    expect(isValid("1.0.0-SNAPSHOT")).toBe(false);
    expect(compare("1.0.0-SNAPSHOT", "0.0.1.dev0")).toBe(-1);
  });

  it.skipIf(!works("python3", ["-c", "import packaging.version"]))(
    "agrees with Python packaging on validity, order and normal form",
    () => {
      const pool = [...hand, ...generated];
      const shaped = sampleShape(VERSION_SHAPES.pep440, 400);
      const strings = [
        ...new Set([
          ...shaped,
          ...pool.slice(0, 300).flatMap((v) => [v.a, v.b]),
          "1.0.0-SNAPSHOT",
          "abc",
          "1.0-ALPHA_1",
          "v1.0-1",
          "1.0.preview-2.r3.DEV",
          "01!1.01+Ubuntu-1",
          " 1.0 ",
        ]),
      ];
      const pairs: [string, string][] = [
        ...samplePairs(pool, 1500),
        ...shaped.slice(1).map((v, i) => [shaped[i] as string, v] as [string, string]),
      ];
      const out = run("python3", ["-c", PACKAGING], JSON.stringify({ strings, pairs }));
      const validity = out.slice(0, strings.length);
      const answers = out.slice(strings.length, strings.length + pairs.length);
      const forms = out.slice(strings.length + pairs.length).map((l) => JSON.parse(l) as string | null);
      expect(strings.filter((s, i) => isValid(s) !== (validity[i] === "valid"))).toEqual([]);
      expect(strings.filter((s, i) => (normalize(s) ?? null) !== forms[i])).toEqual([]);
      const keep = answers.map((x) => x !== "skip");
      expect(keep.filter(Boolean).length).toBeGreaterThan(1700);
      expect(
        disagreements(
          pairs.filter((_, i) => keep[i]),
          answers.filter((_, i) => keep[i]).map(Number) as (-1 | 0 | 1)[],
          compare,
        ),
      ).toEqual([]);
    },
  );

  orderLaws(compare, VERSION_SHAPES.pep440, true);
});
