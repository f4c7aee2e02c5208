import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compare, isPseudoVersion, isValid, parse } from "./go.js";
import { compare as semverCompare } from "./semver.js";
import {
  disagreements,
  failures,
  orderLaws,
  readVectors,
  run,
  sampleShape,
  VERSION_SHAPES,
  works,
} from "./vectors.testutil.js";

/** golang.org/x/mod/semver as vendored in the Go toolchain (Debian's golang-go ships it). */
const X_MOD_SEMVER = "/usr/lib/go/src/cmd/vendor/golang.org/x/mod/semver/semver.go";

/** Build a tiny Go program around the real x/mod/semver and ask it about many pairs at once. */
function goOracle(pairs: [string, string][]): number[] {
  const dir = mkdtempSync(join(tmpdir(), "airbag-go-"));
  try {
    mkdirSync(join(dir, "semver"));
    copyFileSync(X_MOD_SEMVER, join(dir, "semver", "semver.go"));
    writeFileSync(join(dir, "go.mod"), "module oracle\n\ngo 1.19\n");
    writeFileSync(
      join(dir, "main.go"),
      `package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"oracle/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		p := strings.SplitN(in.Text(), "\\t", 2)
		fmt.Fprintln(out, semver.Compare(p[0], p[1]))
	}
}
`,
    );
    const input = pairs.map(([a, b]) => `${a}\t${b}`).join("\n");
    const env = { ...process.env, GOCACHE: join(dir, "cache"), GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" };
    return run("go", ["run", "."], input, { cwd: dir, env }).map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Go module and toolchain versions", () => {
  it("orders the semver vectors the same way (Go versions are semver with a v)", () => {
    const v = readVectors("osv-scalibr/semver-versions.txt").filter(({ a, b }) => isValid(a) && isValid(b));
    expect(v.length).toBeGreaterThan(60);
    expect(failures(v, compare)).toEqual([]);
  });

  it("ignores +incompatible and orders pseudo-versions by their timestamp", () => {
    expect(compare("v2.0.0+incompatible", "v2.0.0")).toBe(0);
    expect(compare("2.1.0+incompatible", "v2.0.9")).toBe(1);
    const pseudo = [
      "v0.0.0-20191109021931-daa7c04131f5",
      "v0.0.0-20200101000000-0123456789ab",
      "v1.2.3-pre.0.20200101000000-0123456789ab",
      "v1.2.3",
      "v1.2.4-0.20200101000000-0123456789ab",
      "v1.2.4",
    ];
    for (let i = 1; i < pseudo.length; i++)
      expect(compare(pseudo[i - 1] as string, pseudo[i] as string)).toBe(-1);
    expect(pseudo.filter(isPseudoVersion)).toEqual([pseudo[0], pseudo[1], pseudo[2], pseudo[4]]);
  });

  it("maps Go toolchain tags the way the Go vulnerability database does", () => {
    expect(parse("go1.21.3")).toMatchObject({ major: "1", minor: "21", patch: "3", prerelease: [] });
    expect(compare("go1.21", "1.21.0")).toBe(0);
    expect(compare("go1.21rc2", "1.21.0-rc.2")).toBe(0);
    expect(compare("go1.19beta1", "go1.19rc1")).toBe(-1);
    expect(compare("go1.21rc2", "go1.21.0")).toBe(-1);
    expect(compare("go1.9.7", "go1.10")).toBe(-1);
  });

  it("accepts Go's shorthands and rejects what x/mod/semver rejects", () => {
    expect(compare("v1", "v1.0.0")).toBe(0);
    expect(compare("v1.2", "1.2.0")).toBe(0);
    for (const bad of ["v1.2-pre", "v01.2.3", "v1.2.3-01", "1.2.3.4", "latest"])
      expect(isValid(bad)).toBe(false);
    expect(compare("latest", "v0.0.0")).toBe(-1);
  });

  it.skipIf(!existsSync(X_MOD_SEMVER) || !works("go", ["version"]))(
    "agrees with golang.org/x/mod/semver.Compare on generated v-prefixed versions",
    () => {
      // x/mod/semver needs the "v" and knows nothing of go1.x tags, and makes all invalid versions equal
      const pool = sampleShape(VERSION_SHAPES.go, 400)
        .filter((v) => !v.startsWith("go"))
        .map((v) => (v.startsWith("v") ? v : `v${v}`));
      const pairs: [string, string][] = pool.slice(1).map((v, i) => [pool[i] as string, v]);
      pairs.push(["v1.2.3", "v1.2"], ["v1.2.3-pre", "vjunk"], ["v2.0.0+incompatible", "v2.0.0"]);
      const answers = goOracle(pairs);
      const bothInvalid = (a: string, b: string): boolean => !isValid(a) && !isValid(b);
      const keep = pairs.map(([a, b]) => !bothInvalid(a, b));
      expect(
        disagreements(
          pairs.filter((_, i) => keep[i]),
          answers.filter((_, i) => keep[i]) as (-1 | 0 | 1)[],
          compare,
        ),
      ).toEqual([]);
    },
  );

  it("matches plain semver on valid module versions", () => {
    expect(compare("v1.0.0-alpha.1", "v1.0.0-alpha.beta")).toBe(
      semverCompare("1.0.0-alpha.1", "1.0.0-alpha.beta"),
    );
  });

  orderLaws(compare, VERSION_SHAPES.go, true);
});
