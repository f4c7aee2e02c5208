import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import { assertNeverThrows, captured, FIXTURES, fixture, nv, run } from "./lockfile.testutil.js";
import { rubyGemfileLockAnalyzer as A } from "./ruby-gemfile-lock.js";

const lock = (name: string) => captured("srv/app/Gemfile.lock", fixture(`ruby/${name}`));

describe("ruby-gemfile-lock", () => {
  it("matches Gemfile.lock / gems.locked, not a gem's own lockfile", () => {
    expect(A.match("srv/app/Gemfile.lock")).toBe(true);
    expect(A.match("Gemfile.lock")).toBe(true);
    expect(A.match("srv/app/gems.locked")).toBe(true);
    expect(A.match("usr/local/bundle/gems/rake-13.0.6/Gemfile.lock")).toBe(false);
    expect(A.match("srv/app/Gemfile")).toBe(false);
    expect(A.match("srv/app/Gemfile.lock.orig")).toBe(false);
  });

  it("trivy Gemfile_normal: the GEM specs, direct dependencies marked", async () => {
    const { pkgs, warnings } = await run(A, [lock("Gemfile_normal.lock")]);
    expect(warnings).toEqual([]);
    // Bundler::LockfileParser: coderay 1.1.2, concurrent-ruby 1.1.5, dotenv 2.7.2, faker 1.9.3, i18n 1.6.0,
    // method_source 0.9.2, pry 0.12.2; dependencies dotenv, faker, pry
    expect(pkgs.map((p) => [p.name, p.version, p.metadata?.direct ?? false])).toEqual([
      ["coderay", "1.1.2", false],
      ["concurrent-ruby", "1.1.5", false],
      ["dotenv", "2.7.2", true],
      ["faker", "1.9.3", true],
      ["i18n", "1.6.0", false],
      ["method_source", "0.9.2", false],
      ["pry", "0.12.2", true],
    ]);
    expect(pkgs[0]).toMatchObject({
      ecosystem: "RubyGems",
      type: "gem",
      purl: "pkg:gem/coderay@1.1.2",
      locations: [{ path: "srv/app/Gemfile.lock", layer: "sha256:aa" }],
      licenses: [],
    });
  });

  it("trivy Gemfile_bundler2: 8 gems; the empty malformed file gives nothing", async () => {
    expect(nv((await run(A, [lock("Gemfile_bundler2.lock")])).pkgs)).toEqual([
      ["coderay", "1.1.3"],
      ["concurrent-ruby", "1.1.10"],
      ["dotenv", "2.7.6"],
      ["faker", "2.21.0"],
      ["i18n", "1.10.0"],
      ["json", "2.6.2"],
      ["method_source", "1.0.0"],
      ["pry", "0.14.1"],
    ]);
    expect(await run(A, [captured("Gemfile.lock", "")])).toEqual({ pkgs: [], warnings: [] });
  });

  it("GIT / PATH sources, platform variants, CHECKSUMS ignored", async () => {
    const { pkgs, warnings } = await run(A, [lock("Gemfile-platforms.lock")]);
    expect(warnings).toEqual([]);
    // Bundler: mini_portile2 2.8.4, nokogiri 1.15.0 ×3 platforms, racc 1.7.1 (ruby, java), rack 3.0.8,
    // rack-attack 6.7.0 (Git), rails-html-sanitizer 1.6.0.rc2, shop 0.1.0 (Path, remote ".")
    expect(pkgs.map((p) => [p.name, p.version, p.metadata])).toEqual([
      ["mini_portile2", "2.8.4", undefined],
      ["nokogiri", "1.15.0", { direct: true, platforms: "arm64-darwin,x86_64-linux" }],
      ["racc", "1.7.1", { platforms: "java" }],
      ["rack", "3.0.8", undefined],
      ["rack-attack", "6.7.0", { direct: true, source: "git" }],
      ["rails-html-sanitizer", "1.6.0.rc2", { direct: true }],
    ]);
  });

  it("a vendored PATH gem is kept; bad spec lines warn", async () => {
    const text =
      "PATH\n  remote: vendor/gems/foo\n  specs:\n    foo (0.2.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    ok (1.0)\n    broken 1.0\n    (2.0)\n      dep (>= 1)\n";
    const { pkgs, warnings } = await run(A, [captured("Gemfile.lock", text)]);
    expect(pkgs.map((p) => [p.name, p.version, p.metadata])).toEqual([
      ["foo", "0.2.0", { source: "path" }],
      ["ok", "1.0", undefined],
    ]);
    expect(warnings).toEqual(["ruby-gemfile-lock: Gemfile.lock: skipped 2 unparsable spec line(s): 10, 11"]);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "Gemfile.lock", [fixture("ruby/Gemfile-platforms.lock").toString("latin1")]);
  });
});

const hasBundler = (() => {
  try {
    execFileSync("ruby", ["-rbundler", "-e", "1"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasBundler)("ruby-gemfile-lock vs Bundler::LockfileParser", () => {
  it("same name@version set for every fixture (PATH remote '.' excluded)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-bundler-"));
    try {
      writeFileSync(join(dir, "Gemfile"), "");
      const script = `require "bundler"; require "json"
lf = Bundler::LockfileParser.new(File.read(ARGV[0]))
puts JSON.generate(lf.specs.reject { |s| s.source.is_a?(Bundler::Source::Path) && s.source.path.to_s == "." }.map { |s| [s.name, s.version.to_s] }.uniq.sort)`;
      for (const f of ["Gemfile_normal.lock", "Gemfile_bundler2.lock", "Gemfile-platforms.lock"]) {
        const out = execFileSync("ruby", ["-e", script, join(FIXTURES, "ruby", f)], {
          cwd: dir,
          env: { ...process.env, BUNDLE_GEMFILE: join(dir, "Gemfile") },
          encoding: "utf8",
        });
        const oracle = (JSON.parse(out) as [string, string][]).map(([name, version]) => ({ name, version }));
        expect(nv((await run(A, [lock(f)])).pkgs)).toEqual(nv(oracle as Package[]));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
