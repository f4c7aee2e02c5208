import { describe, expect, it } from "vitest";
import { compare, isValid, parse } from "./debian.js";
import {
  disagreements,
  failures,
  orderLaws,
  readVectors,
  run,
  samplePairs,
  sampleShape,
  shQuote,
  VERSION_SHAPES,
  works,
} from "./vectors.testutil.js";

const hand = readVectors("osv-scalibr/debian-versions.txt");
const generated = readVectors("osv-scalibr/debian-versions-generated.txt");

describe("Debian versions (dpkg, Policy §5.6.12)", () => {
  it("orders every osv-scalibr Debian vector exactly (30 hand-written, 14,442 from dpkg)", () => {
    expect([hand.length, generated.length]).toEqual([30, 14442]);
    expect(failures([...hand, ...generated], compare)).toEqual([]);
  });

  it("sorts ~ before everything, even the end of the version", () => {
    expect(compare("1.0~rc1", "1.0")).toBe(-1);
    expect(compare("1.0~~", "1.0~")).toBe(-1);
    expect(compare("1.2.3-1~deb12u1", "1.2.3-1")).toBe(-1);
  });

  it("sorts letters before non-letters and compares digit runs numerically", () => {
    expect(compare("1.0a", "1.0+")).toBe(-1);
    expect(compare("1.0a", "1.0.")).toBe(-1);
    expect(compare("1.9", "1.10")).toBe(-1);
    expect(compare("1.000010", "1.10")).toBe(0);
  });

  it("compares the epoch first, and a missing epoch or revision like 0", () => {
    expect(compare("1:0.1", "9.9")).toBe(1);
    expect(compare("0:1.0", "1.0")).toBe(0);
    expect(compare("1.0-0", "1.0")).toBe(0);
    expect(parse("2:1.0-2-3")).toEqual({ epoch: "2", upstream: "1.0-2", revision: "3" });
  });

  it("flags syntax dpkg would reject but still orders it", () => {
    expect(isValid("1:2.3-4ubuntu1")).toBe(true);
    expect(isValid("a:1.0")).toBe(false);
    expect(isValid("1.0 1")).toBe(false);
    expect(compare("a:1.0", "a:1.0")).toBe(0);
  });

  it.skipIf(!works("dpkg", ["--version"]))(
    "agrees with dpkg --compare-versions on random pairs of vector and generated versions",
    () => {
      const pool = [...hand, ...generated];
      const shaped = sampleShape(VERSION_SHAPES.debian, 120).filter(isValid);
      const pairs: [string, string][] = [
        ...samplePairs(pool, 220),
        ...shaped.slice(1).map((v, i) => [shaped[i] as string, v] as [string, string]),
      ];
      // one shell for all pairs; exit status 0/1 answers the question, anything else is a dpkg error
      const script = pairs
        .map(([a, b]) => {
          const [qa, qb] = [shQuote(a), shQuote(b)];
          return `dpkg --compare-versions ${qa} lt ${qb}; s=$?; if [ $s = 0 ]; then echo -1; elif [ $s = 1 ]; then dpkg --compare-versions ${qa} eq ${qb} && echo 0 || echo 1; else echo error; fi`;
        })
        .join("\n");
      const answers = run("sh", ["-s"], script).map((l) => Number(l) as -1 | 0 | 1);
      expect(answers.filter((x) => Number.isNaN(x))).toEqual([]);
      expect(disagreements(pairs, answers, compare)).toEqual([]);
    },
  );

  orderLaws(compare, VERSION_SHAPES.debian, true);
});
