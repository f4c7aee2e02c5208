import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captured, fixture, run } from "./npm.testutil.js";
import { isInstalledManifest, npmInstalledAnalyzer } from "./npm-installed.js";

const at = (dir: string) => `app/node_modules/${dir}/package.json`;

describe("npm-installed: which package.json files are installed packages", () => {
  it.each([
    "node_modules/express/package.json",
    "app/node_modules/express/package.json",
    "app/node_modules/@babel/core/package.json",
    "app/node_modules/body-parser/node_modules/debug/package.json",
    "app/node_modules/@a/b/node_modules/@c/d/node_modules/e/package.json",
    "usr/local/lib/node_modules/npm/node_modules/semver/package.json",
    "app/packages/web/node_modules/react/package.json",
    "app/node_modules/.pnpm/debug@4.3.4/node_modules/debug/package.json",
    "app/node_modules/.pnpm/@babel+core@7.0.0/node_modules/@babel/core/package.json",
    "app/node_modules/.store/lodash-npm-4.17.21-abc/node_modules/lodash/package.json",
  ])("accepts %s", (path) => {
    expect(isInstalledManifest(path)).toBe(true);
    expect(npmInstalledAnalyzer.match(path)).toBe(true);
  });

  it.each([
    "app/package.json", // the project, not a dependency
    "app/node_modules/package.json",
    "app/node_modules/@babel/package.json", // a scope folder is not a package
    "app/node_modules/nanoid/async/package.json", // {"type":"module"} stubs
    "app/node_modules/github-from-package/example/package.json", // examples with a name and version
    "app/node_modules/resolve/test/resolver/node_modules/foo/package.json", // a test fixture tree
    "app/node_modules/.bin/package.json",
    "app/node_modules/.cache/x/package.json",
    "app/node_modules/.pnpm/node_modules/package.json",
    "app/node_modules/x/package.json.bak",
    "app/node_modules//package.json",
  ])("rejects %s", (path) => {
    expect(isInstalledManifest(path)).toBe(false);
    expect(npmInstalledAnalyzer.match(path)).toBe(false);
  });
});

describe("npm-installed: manifests (trivy packagejson fixtures)", () => {
  it("reads name, version, purl and the licence from each installed manifest", () => {
    const { pkgs, warnings } = run(npmInstalledAnalyzer, [
      fixture("packagejson/package.json", at("bootstrap")),
      fixture("packagejson/legacy_package.json", at("angular")),
      fixture("packagejson/legacy_array_package.json", at("tv4")),
      fixture("packagejson/mixed_array_license_package.json", at("mixed-array-license")),
      fixture("packagejson/null_license_package.json", at("null-license")),
      fixture("packagejson/unknown_license_object_package.json", at("unknown-license-object")),
      fixture("packagejson/invalid_license_package.json", at("weird-license")),
    ]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => [p.name, p.version, p.licenses])).toEqual([
      ["angular", "4.1.2", ["ISC"]], // deprecated {type, url} object
      ["bootstrap", "5.0.2", ["MIT"]],
      ["mixed-array-license", "1.0.0", ["MIT"]], // empty type dropped
      ["null-license", "1.0.0", []],
      ["tv4", "1.3.0", ["Public Domain", "MIT"]], // legacy array
      ["unknown-license-object", "1.0.0", []],
      ["weird-license", "1.0.0", []], // a number says nothing
    ]);
    expect(pkgs[1]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      ecosystem: "npm",
      name: "bootstrap",
      version: "5.0.2",
      purl: "pkg:npm/bootstrap@5.0.2",
      type: "npm",
      locations: [{ path: "app/node_modules/bootstrap/package.json", layer: "sha256:aa" }],
      licenses: ["MIT"],
    });
  });

  it("warns only for malformed JSON; skips manifests without a valid name and version", () => {
    const { pkgs, warnings } = run(npmInstalledAnalyzer, [
      fixture("packagejson/invalid_package.json", at("broken")),
      fixture("packagejson/without_version_package.json", at("angular")),
      fixture("packagejson/invalid_name.json", at("@invalid/packageName")),
      captured(at("arr"), "[1,2]"),
      captured(at("num"), '{"name":"num","version":1}'),
    ]);
    expect(pkgs).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^npm-installed: app\/node_modules\/broken\/package\.json: malformed JSON/);
  });

  it("scoped names become the purl namespace; aliases report the real package", () => {
    const { pkgs } = run(npmInstalledAnalyzer, [
      captured(at("@Types/Node"), '{"name":"@Types/Node","version":"20.1.0","licenses":[{"type":"MIT"}]}'),
      captured(at("string-width-cjs"), '{"name":"string-width","version":"4.2.3","license":"MIT"}'),
    ]);
    expect(pkgs.map((p) => [p.name, p.purl, p.licenses])).toEqual([
      ["@Types/Node", "pkg:npm/%40types/node@20.1.0", ["MIT"]],
      ["string-width", "pkg:npm/string-width@4.2.3", ["MIT"]],
    ]);
  });

  it("every installed copy is its own package, with its own id", () => {
    const m = '{"name":"ms","version":"2.0.0"}';
    const { pkgs } = run(npmInstalledAnalyzer, [
      captured(at("debug/node_modules/ms"), m),
      captured(at("ms"), m),
      captured("app/node_modules/ms/lib/package.json", m), // not an install location
    ]);
    expect(pkgs.map((p) => p.locations[0]!.path)).toEqual([at("debug/node_modules/ms"), at("ms")]);
    expect(new Set(pkgs.map((p) => p.id)).size).toBe(2);
  });

  it("never throws on arbitrary bytes or paths", () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 200 }), fc.string(), (name, bytes, path) => {
        isInstalledManifest(path);
        const files = [
          captured(at("x"), Buffer.from(bytes)),
          captured(
            at("y"),
            `{"name":${JSON.stringify(name)},"version":${JSON.stringify(name)},"license":{}}`,
          ),
        ];
        const { pkgs } = run(npmInstalledAnalyzer, files);
        for (const p of pkgs) expect(p.purl.startsWith("pkg:npm/")).toBe(true);
      }),
    );
  });
});
