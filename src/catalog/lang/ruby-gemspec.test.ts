import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, run } from "./lockfile.testutil.js";
import { rubyGemspecAnalyzer as A, parseGemspec, rubyStrings } from "./ruby-gemspec.js";

const SPECS = "usr/local/bundle/specifications";
const spec = (name: string) => captured(`${SPECS}/${name}`, fixture(`ruby/gemspec/${name}`));

describe("ruby-gemspec: fixtures (expected values from Ruby 3.1's Gem::Specification.load)", () => {
  it("trivy gemspecs and hand-written platform / old-format specs", async () => {
    const names = [
      "json-2.7.1-java.gemspec",
      "license.gemspec",
      "malformed00.gemspec",
      "malformed01.gemspec",
      "multiple_licenses.gemspec",
      "nokogiri-1.15.0-x86_64-linux.gemspec",
      "normal00.gemspec",
      "normal01.gemspec",
      "rack-1.1.0.gemspec",
    ];
    const { pkgs, warnings } = await run(A, names.map(spec));
    expect(pkgs.map((p) => [p.name, p.version, p.licenses, p.metadata?.platform ?? "ruby"])).toEqual([
      ["json", "2.7.1", ["Ruby"], "java"],
      ["async", "1.25.0", ["MIT"], "ruby"],
      ["test-unit", "3.3.7", ["Ruby", "BSDL", "PSFL"], "ruby"],
      ["nokogiri", "1.15.0", ["MIT"], "x86_64-linux"],
      ["rake", "13.0.3", ["MIT"], "ruby"],
      ["async", "1.25.0", ["MIT"], "ruby"],
      ["rack", "1.1.0", [], "ruby"],
    ]);
    // Ruby: malformed00 does not load (`s` is not the block variable), malformed01 has no version
    expect(warnings).toEqual([
      `ruby-gemspec: ${SPECS}/malformed00.gemspec: skipped (no literal name)`,
      `ruby-gemspec: ${SPECS}/malformed01.gemspec: skipped (no literal version)`,
    ]);
    expect(pkgs.find((p) => p.name === "nokogiri")).toMatchObject({
      ecosystem: "RubyGems",
      type: "gem",
      purl: "pkg:gem/nokogiri@1.15.0",
      locations: [{ path: `${SPECS}/nokogiri-1.15.0-x86_64-linux.gemspec`, layer: "sha256:aa" }],
    });
  });

  it("matches installed specs only (not a project's own gemspec)", () => {
    expect(A.match("usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec")).toBe(true);
    expect(A.match("var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec")).toBe(true);
    expect(A.match("app/myapp.gemspec")).toBe(false);
    expect(A.match("usr/local/bundle/gems/rake-13.0.6/rake.gemspec")).toBe(false);
    expect(A.match("usr/local/bundle/specifications/rake-13.0.6.gemspec.bak")).toBe(false);
  });

  it("string literal forms", () => {
    expect(rubyStrings(`"a\\"b".freeze, 'c\\'d', %q{e}, %q<f>, %Q(g), "h" # "i"`)).toEqual([
      'a"b',
      "c'd",
      "e",
      "f",
      "g",
      "h",
    ]);
    expect(rubyStrings(`Gem::Version.new("1.2.3")`)).toEqual(["1.2.3"]);
    expect(rubyStrings(`"unterminated`)).toEqual([]);
  });

  it("last assignment wins, license= is a one-element list, the stub line fills gaps", () => {
    const { spec: s } = parseGemspec(
      `# stub: fromstub 9.9 universal-darwin lib\nGem::Specification.new { |g|\n  g.licenses = ["A"]\n  g.license = "B"\n  g.version = "1.0"\n  g.version = "2.0"\n  g.name == "no"\n}\n`,
    );
    expect(s).toEqual({ licenses: ["B"], version: "2.0", name: "fromstub", platform: "universal-darwin" });
    expect(parseGemspec("s.name = 'x'").error).toBe("no Gem::Specification.new block");
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, `${SPECS}/x.gemspec`, [
      fixture("ruby/gemspec/normal00.gemspec").toString("latin1"),
    ]);
  });
});

/** Oracle: Ruby's own loader over the installed specs of this machine. */
const RUBY_DIRS = (() => {
  try {
    const paths = execFileSync("ruby", ["-e", "puts Gem.path"], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    return paths
      .flatMap((p) => [join(p, "specifications"), join(p, "specifications", "default")])
      .filter((d) => existsSync(d));
  } catch {
    return [];
  }
})();

const LOAD = `
require "json"
puts JSON.generate(ARGV.map { |f| s = Gem::Specification.load(f); s && [s.name, s.version.to_s, s.licenses, s.platform.to_s] })
`;

describe.skipIf(RUBY_DIRS.length === 0)("ruby-gemspec vs Gem::Specification.load on this machine", () => {
  it(`${RUBY_DIRS.length} specification directories`, async () => {
    const paths = RUBY_DIRS.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith(".gemspec"))
        .map((f) => join(d, f)),
    );
    expect(paths.length).toBeGreaterThan(0);
    const files = paths.map((p) => captured(p.slice(1), readFileSync(p)));
    const { pkgs, warnings } = await run(A, files);
    expect(warnings).toEqual([]);
    const oracle = JSON.parse(execFileSync("ruby", ["-e", LOAD, ...paths], { encoding: "utf8" })) as [
      string,
      string,
      string[],
      string,
    ][];
    const mine = new Map(pkgs.map((p) => [`/${p.locations[0]!.path}`, p]));
    paths.forEach((path, i) => {
      const [name, version, licenses, platform] = oracle[i]!;
      const p = mine.get(path);
      expect([path, p?.name, p?.version, p?.licenses, p?.metadata?.platform ?? "ruby"]).toEqual([
        path,
        name,
        version,
        licenses,
        platform,
      ]);
    });
  });
});
