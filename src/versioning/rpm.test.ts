import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compare, parse, rpmvercmp } from "./rpm.js";
import {
  disagreements,
  failures,
  oracleSeed,
  orderLaws,
  readTsvVectors,
  readVectors,
  rng,
  run,
  samplePairs,
  sampleShape,
  VERSION_SHAPES,
  works,
} from "./vectors.testutil.js";

const redhat = readVectors("osv-scalibr/redhat-versions.txt");
const rpmTests = readTsvVectors("go-rpm-version/version_testcase.tsv");

/**
 * Ask rpm's own Lua binding (`rpm.vercmp`, EVR-aware) about many pairs in one process; NaN where rpm
 * refuses a version ("invalid version", e.g. an empty version part).
 */
function rpmOracle(pairs: [string, string][]): number[] {
  const dir = mkdtempSync(join(tmpdir(), "airbag-rpm-"));
  try {
    const str = (s: string): string => `"${[...Buffer.from(s, "utf8")].map((b) => `\\${b}`).join("")}"`;
    const lua = `local pairs_ = {${pairs.map(([a, b]) => `{${str(a)},${str(b)}}`).join(",\n")}}
local out = {}
for i, p in ipairs(pairs_) do
  local ok, r = pcall(rpm.vercmp, p[1], p[2])
  out[i] = ok and tostring(r) or "refused"
end
print(table.concat(out, "\\n"))`;
    const file = join(dir, "pairs.lua");
    writeFileSync(file, lua);
    return run("rpm", ["--eval", `%{lua: dofile("${file}")}`]).map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("RPM versions (rpmvercmp + EVR)", () => {
  it("orders every osv-scalibr Red Hat vector exactly", () => {
    expect(redhat.length).toBe(165);
    expect(failures(redhat, compare)).toEqual([]);
  });

  it("reproduces rpm's own rpmvercmp test cases (4,489 from go-rpm-version)", () => {
    expect(rpmTests.length).toBe(4489);
    expect(failures(rpmTests, rpmvercmp)).toEqual([]);
  });

  it("sorts ~ before and ^ after the end of a version", () => {
    expect(compare("1.0~rc1-1", "1.0-1")).toBe(-1);
    expect(compare("1.0^git1-1", "1.0-1")).toBe(1);
    expect(compare("1.0^git1-1", "1.0.1-1")).toBe(-1);
    expect(compare("1.0~rc1^git1", "1.0~rc1")).toBe(1);
  });

  it("compares epoch, then version, then release; a missing epoch is 0", () => {
    expect(compare("1:1.0-1", "2.0-1")).toBe(1);
    expect(compare("0:1.0-1", "1.0-1")).toBe(0);
    expect(compare("1.0-1.el9", "1.0-1.el9_2")).toBe(-1);
    expect(compare("1.0", "1.0-0")).toBe(-1);
    expect(parse("3:1.2-3-4.el8")).toEqual({ epoch: "3", version: "1.2-3", release: "4.el8" });
  });

  it.skipIf(!works("rpm", ["--version"]))(
    "agrees with rpm.vercmp on vector, generated and arbitrary pairs",
    () => {
      const pool = [...redhat, ...rpmTests];
      const shaped = sampleShape(VERSION_SHAPES.rpm, 300);
      const next = rng(oracleSeed());
      const printable = Array.from({ length: 200 }, () =>
        String.fromCharCode(
          ...Array.from({ length: 1 + Math.floor(next() * 8) }, () => 32 + Math.floor(next() * 95)),
        ),
      );
      const pairs: [string, string][] = [
        ...samplePairs(pool, 1500),
        ...shaped.slice(1).map((v, i) => [shaped[i] as string, v] as [string, string]),
        ...printable.slice(1).map((v, i) => [printable[i] as string, v] as [string, string]),
      ];
      const answers = rpmOracle(pairs);
      const answered = pairs.filter((_, i) => !Number.isNaN(answers[i]));
      expect(answered.length).toBeGreaterThan(1800);
      expect(
        disagreements(answered, answers.filter((x) => !Number.isNaN(x)) as (-1 | 0 | 1)[], compare),
      ).toEqual([]);
    },
  );

  orderLaws(compare, VERSION_SHAPES.rpm, true);
});
