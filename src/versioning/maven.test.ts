import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonical, compare } from "./maven.js";
import {
  disagreements,
  expected,
  failures,
  oracleSeed,
  orderLaws,
  readVectors,
  run,
  samplePairs,
  VERSION_SHAPES,
  type Vector,
  works,
} from "./vectors.testutil.js";

const hand = readVectors("osv-scalibr/maven-versions.txt");
const generated = readVectors("osv-scalibr/maven-versions-generated.txt");

/**
 * Vectors that Maven 3.8.7 (which we follow) orders differently from the maven-artifact release that
 * produced them (3.8.6, before MNG-7644 made `.X1` read like `-X1`): 18 generated pairs, and one
 * hand-written equality that no 3.8.x jar holds. Checked against the 3.8.7 jar in the oracle test below.
 */
const DIFFERS_UNDER_387 = new Set([
  "1.0.0-RC16 < 1.0.0.RC8-beta",
  "1.0.0-gradle-rework-beta3 < 1.0.0.RC7-3",
  "2.9.0-1 < 2.9.0.RC1",
  "6.1.12.rc5 < 6.1.12rc1",
  "1.1.31.sec10 < 1.1.31_noneautotype",
  "1.1.34.sec10 < 1.1.34_noneautotype",
  "1.1.46.sec10 < 1.1.46_noneautotype",
  "1.2.8.sec10_noneautotype < 1.2.8_noneautotype",
  "1.2.31.sec10 < 1.2.31_noneautotype",
  "1.2.48.sec10 < 1.2.48_noneautotype",
  "1.2.50.sec10 < 1.2.50_noneautotype",
  "1.2.54.sec10 < 1.2.54_noneautotype",
  "1.2.57.sec10 < 1.2.57_noneautotype",
  "1.2.60.sec10 < 1.2.60_noneautotype",
  "1.2.67.sec10 < 1.2.67_noneautotype",
  "1.0.0rc0 < 1.0.beta8",
  "1.5.9.RC1 < 1.5.9-RC0",
  "1.1.0-01-glassfish < 1.1.0.Beta1",
  "1-1 = 1-ga-1",
]);
const key = (v: Vector): string => `${v.a} ${v.op} ${v.b}`;

const MAVEN_LIB = "/usr/share/maven/lib";
const jar = existsSync(MAVEN_LIB)
  ? readdirSync(MAVEN_LIB).find((f) => /^maven-artifact-.*\.jar$/.test(f))
  : undefined;

// strings travel as UTF-16 code unit numbers so any character survives the pipe
const ORACLE = `
import org.apache.maven.artifact.versioning.ComparableVersion;
import java.io.*;
public class MavenOracle {
  static String decode(String s) {
    if (s.isEmpty()) return "";
    String[] parts = s.split(",");
    char[] cs = new char[parts.length];
    for (int i = 0; i < parts.length; i++) cs[i] = (char) Integer.parseInt(parts[i]);
    return new String(cs);
  }
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    StringBuilder out = new StringBuilder();
    out.append(ComparableVersion.class.getPackage().getImplementationVersion()).append('\\n');
    for (String line; (line = in.readLine()) != null; ) {
      String[] p = line.split(" ", -1);
      int c = new ComparableVersion(decode(p[0])).compareTo(new ComparableVersion(decode(p[1])));
      out.append(Integer.signum(c)).append('\\n');
    }
    System.out.print(out);
  }
}
`;

function mavenOracle(pairs: [string, string][]): { version: string; answers: (-1 | 0 | 1)[] } {
  const dir = mkdtempSync(join(tmpdir(), "airbag-maven-"));
  try {
    writeFileSync(join(dir, "MavenOracle.java"), ORACLE);
    const units = (s: string): string =>
      Array.from({ length: s.length }, (_, i) => s.charCodeAt(i)).join(",");
    const input = pairs.map(([a, b]) => `${units(a)} ${units(b)}`).join("\n");
    const [version, ...answers] = run(
      "java",
      ["-cp", join(MAVEN_LIB, jar as string), join(dir, "MavenOracle.java")],
      input,
    );
    return { version: version as string, answers: answers.map(Number) as (-1 | 0 | 1)[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Maven versions (ComparableVersion, Maven 3.8.7)", () => {
  it("orders every osv-scalibr Maven vector exactly, except the 19 that Maven 3.8.7 orders otherwise", () => {
    const all = [...hand, ...generated];
    expect([hand.length, generated.length]).toEqual([102, 14752]);
    const differ = all.filter((v) => DIFFERS_UNDER_387.has(key(v)));
    expect(differ.length).toBe(19);
    expect(
      failures(
        all.filter((v) => !DIFFERS_UNDER_387.has(key(v))),
        compare,
      ),
    ).toEqual([]);
    // and for those 19 we give 3.8.7's answer: the first version is the newer one
    expect(differ.filter((v) => compare(v.a, v.b) !== 1 || expected(v.op) === 1)).toEqual([]);
  });

  it("orders qualifiers alpha < beta < milestone < rc < snapshot < release < sp < others", () => {
    const order = [
      "1-alpha",
      "1-beta1",
      "1-m2",
      "1-cr",
      "1-SNAPSHOT",
      "1",
      "1-sp",
      "1-abc",
      "1-xyz",
      "1-1",
      "1.1",
    ];
    for (let i = 1; i < order.length; i++)
      expect(compare(order[i - 1] as string, order[i] as string)).toBe(-1);
    expect(compare("1.0.0.Final", "1")).toBe(0);
    expect(compare("1.0.0.RELEASE", "1-ga")).toBe(0);
    expect(compare("1.0.0.RC1", "1.0.0-RC1")).toBe(0);
  });

  it("shows Maven's canonical form", () => {
    expect(canonical("1.0.0.RC1")).toBe("1-rc-1");
    expect(canonical("1-1.foo-bar1baz-.1")).toBe("1-1.foo-bar-1-baz-0.1");
    expect(canonical("7.4.3.20-ga20")).toBe("7.4.3.20-20");
  });

  it.skipIf(jar === undefined || !works("java", ["-version"]))(
    "agrees with the maven-artifact 3.8.7 jar on the 19 differing vectors, random pairs and arbitrary strings",
    () => {
      const all = [...hand, ...generated];
      const strange = fc.sample(
        fc.oneof(fc.string({ maxLength: 10 }), fc.stringMatching(/^[0-9a-z.\-_]{0,10}$/)),
        {
          numRuns: 600,
          seed: oracleSeed(),
        },
      );
      // Java's Character.isDigit also accepts non-ASCII decimal digits; we do not (documented)
      const ascii = strange.filter(
        (s) => !/[^\x00-\x7f]/.test(s) || !/\p{Nd}/u.test(s.replace(/[0-9]/g, "")),
      );
      const pairs: [string, string][] = [
        ...all.filter((v) => DIFFERS_UNDER_387.has(key(v))).map((v) => [v.a, v.b] as [string, string]),
        ...samplePairs(all, 3000),
        ...ascii.slice(1).map((v, i) => [ascii[i] as string, v] as [string, string]),
      ];
      const { version, answers } = mavenOracle(pairs);
      expect(version).toBe("3.8.7");
      expect(disagreements(pairs, answers, compare)).toEqual([]);
    },
  );

  // Maven's order is not transitive on every string (`1.sp.1 > 1 > 1-alpha > 1.sp.1` in the jar too)
  orderLaws(compare, VERSION_SHAPES.maven, false);
});
