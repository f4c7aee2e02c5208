import { describe, expect, it } from "vitest";
import { catalogImage, fixture } from "./lockfile.testutil.js";
import { rubyGemfileLockAnalyzer } from "./ruby-gemfile-lock.js";
import { rubyGemspecAnalyzer } from "./ruby-gemspec.js";

const B = "usr/local/bundle";
const gemspec = (name: string, version: string) =>
  `# stub: ${name} ${version} ruby lib\n\nGem::Specification.new do |s|\n  s.name = "${name}".freeze\n  s.version = "${version}"\n  s.licenses = ["MIT".freeze]\nend\n`;

describe("ruby analyzers through the real walker", () => {
  it("installed specs and the app's Gemfile.lock of the final image", async () => {
    const { packages, warnings, diffIds } = await catalogImage(
      [
        {
          [`${B}/specifications/rack-2.2.3.gemspec`]: gemspec("rack", "2.2.3"),
          [`${B}/specifications/nokogiri-1.15.0-x86_64-linux.gemspec`]: fixture(
            "ruby/gemspec/nokogiri-1.15.0-x86_64-linux.gemspec",
          ),
          [`${B}/gems/rack-2.2.3/Gemfile.lock`]: fixture("ruby/Gemfile_normal.lock"),
          "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec": gemspec("json", "2.6.1"),
          "srv/app/Gemfile.lock": fixture("ruby/Gemfile_bundler2.lock"),
        },
        {
          // `bundle update rack`: the old spec is deleted, the new one written
          [`${B}/specifications/.wh.rack-2.2.3.gemspec`]: "",
          [`${B}/specifications/rack-3.0.8.gemspec`]: gemspec("rack", "3.0.8"),
        },
      ],
      [rubyGemspecAnalyzer, rubyGemfileLockAnalyzer],
    );
    expect(warnings).toEqual([]);
    const [l1, l2] = diffIds;
    const installed = packages.filter((p) => p.locations[0]!.path.endsWith(".gemspec"));
    expect(installed.map((p) => [p.purl, p.locations, p.metadata?.platform])).toEqual([
      [
        "pkg:gem/json@2.6.1",
        [{ path: "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", layer: l1 }],
        undefined,
      ],
      [
        "pkg:gem/nokogiri@1.15.0",
        [{ path: `${B}/specifications/nokogiri-1.15.0-x86_64-linux.gemspec`, layer: l1 }],
        "x86_64-linux",
      ],
      ["pkg:gem/rack@3.0.8", [{ path: `${B}/specifications/rack-3.0.8.gemspec`, layer: l2 }], undefined],
    ]);
    // only the app's lockfile: the one inside gems/rack-2.2.3/ is the gem's own
    const locked = packages.filter((p) => !p.locations[0]!.path.endsWith(".gemspec"));
    expect(locked).toHaveLength(8);
    expect(new Set(locked.map((p) => p.locations[0]!.path))).toEqual(new Set(["srv/app/Gemfile.lock"]));
    expect(packages.every((p) => p.ecosystem === "RubyGems" && p.type === "gem")).toBe(true);
  });
});
