import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import { captured, fixture, NPM_FIXTURES, npmLockOracle, nv, run } from "./npm.testutil.js";
import { npmLockAnalyzer } from "./npm-lock.js";

const LOCK = "srv/app/package-lock.json";
const lock = (name: string) => fixture(`npm/${name}`, LOCK);
const byNv = (pkgs: Package[], s: string) => pkgs.find((p) => `${p.name}@${p.version}` === s);

describe("npm-lock: real lockfiles, checked against npm's own reading (npm query --package-lock-only)", () => {
  it.each([
    ["package-lock_v1.json", 31],
    ["package-lock_v2.json", 31],
    ["package-lock_v3.json", 31],
    ["package-lock_v3_with_workspace.json", 5],
    ["package-lock_v3_with-same-dev-and-non-dev.json", 4],
    ["package-lock_v3_with_legacy_licenses.json", 3],
    ["package-lock_v3_broken_link.json", 1],
  ])("%s: the same name@version set as npm (%i packages)", (name, count) => {
    const { pkgs, warnings } = run(npmLockAnalyzer, [lock(name)]);
    expect(warnings).toEqual([]);
    expect(nv(pkgs)).toEqual(npmLockOracle(readFileSync(join(NPM_FIXTURES, "npm", name))));
    expect(pkgs).toHaveLength(count);
    for (const p of pkgs) expect(p.locations).toEqual([{ path: LOCK, layer: "sha256:aa" }]);
  });

  it("v1, v2 and v3 of the same project agree, dev flags included", () => {
    const view = (name: string) =>
      run(npmLockAnalyzer, [lock(name)]).pkgs.map((p) => [p.purl, p.metadata?.dev ?? false]);
    const v3 = view("package-lock_v3.json");
    expect(view("package-lock_v1.json")).toEqual(v3);
    expect(view("package-lock_v2.json")).toEqual(v3);
    // debug 2.5.2 and its nested ms 0.7.2 are devDependencies; 2.6.9 (under body-parser) is not
    expect(v3.filter(([, dev]) => dev)).toEqual([
      ["pkg:npm/debug@2.5.2", true],
      ["pkg:npm/ms@0.7.2", true],
    ]);
    const { pkgs } = run(npmLockAnalyzer, [lock("package-lock_v3.json")]);
    expect(byNv(pkgs, "@babel/helper-string-parser@7.19.4")?.purl).toBe(
      "pkg:npm/%40babel/helper-string-parser@7.19.4",
    );
    // ms 2.0.0 sits at three install paths: one package per lockfile
    expect(pkgs.filter((p) => p.name === "ms").map((p) => p.version)).toEqual(["0.7.2", "1.0.0", "2.0.0"]);
  });

  it("a version installed both as dev and non-dev is not dev", () => {
    const { pkgs } = run(npmLockAnalyzer, [lock("package-lock_v3_with-same-dev-and-non-dev.json")]);
    expect(pkgs.map((p) => [p.name, p.version, p.metadata?.dev ?? false, p.licenses])).toEqual([
      ["fsevents", "1.2.9", true, []],
      ["minimist", "0.0.8", false, ["MIT"]],
      ["mkdirp", "0.5.1", true, ["MIT"]],
      ["node-pre-gyp", "0.12.0", true, ["BSD-3-Clause"]],
    ]);
  });

  it("licences: string, legacy arrays of objects or strings", () => {
    const { pkgs } = run(npmLockAnalyzer, [lock("package-lock_v3_with_legacy_licenses.json")]);
    expect(pkgs.map((p) => [p.name, p.licenses])).toEqual([
      ["mustache", ["MIT"]],
      ["pause-stream", ["MIT", "Apache2"]],
      ["tv4", ["Public Domain", "MIT"]],
    ]);
  });

  it("workspaces: links resolve to their target entry; versionless and broken links give nothing", () => {
    const ws = run(npmLockAnalyzer, [lock("package-lock_v3_with_workspace.json")]).pkgs;
    expect(ws.map((p) => [p.name, p.version, p.metadata?.workspace ?? false])).toEqual([
      ["debug", "2.5.2", false],
      ["debug", "2.6.9", false], // functions/nested_func/node_modules/debug
      ["ms", "0.7.2", false],
      ["ms", "2.0.0", false],
      ["nested_func", "1.0.0", true],
    ]);
    expect(ws.some((p) => p.name === "func1")).toBe(false); // workspace without a version
    const broken = run(npmLockAnalyzer, [lock("package-lock_v3_broken_link.json")]).pkgs;
    expect(broken.map((p) => p.purl)).toEqual(["pkg:npm/func1@1.0.0"]);
  });

  it("aliases report the real package (v1 `npm:` versions, v3 `name` fields); v1 git/file specs skipped", () => {
    const v3 = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        "": { name: "x" },
        "node_modules/string-width-cjs": { name: "string-width", version: "4.2.3" },
        "node_modules/@scope/pkg": { version: "1.0.0", dev: true, license: { type: "ISC" } },
      },
    });
    expect(
      run(npmLockAnalyzer, [captured(LOCK, v3)]).pkgs.map((p) => [p.purl, p.metadata, p.licenses]),
    ).toEqual([
      ["pkg:npm/%40scope/pkg@1.0.0", { dev: true }, ["ISC"]],
      ["pkg:npm/string-width@4.2.3", undefined, []],
    ]);
    const v1 = JSON.stringify({
      lockfileVersion: 1,
      dependencies: {
        "string-width-cjs": { version: "npm:string-width@4.2.3" },
        "@scope/alias": { version: "npm:@real/pkg@2.0.0", dependencies: { inner: { version: "1.0.0" } } },
        "from-git": { version: "git+https://github.com/u/r.git#abc" },
        "from-gh": { version: "github:u/r#abc" },
        local: { version: "file:../local" },
      },
    });
    expect(nv(run(npmLockAnalyzer, [captured(LOCK, v1)]).pkgs)).toEqual([
      "@real/pkg@2.0.0",
      "inner@1.0.0",
      "string-width@4.2.3",
    ]);
  });

  it("matches lockfile names only outside node_modules", () => {
    expect(npmLockAnalyzer.match("package-lock.json")).toBe(true);
    expect(npmLockAnalyzer.match("srv/app/npm-shrinkwrap.json")).toBe(true);
    expect(npmLockAnalyzer.match("srv/app/node_modules/x/package-lock.json")).toBe(false);
    expect(npmLockAnalyzer.match("srv/app/node_modules/.package-lock.json")).toBe(false);
    expect(npmLockAnalyzer.match("srv/app/my-package-lock.json")).toBe(false);
  });

  it("malformed input warns, naming the file, and returns what parsed", () => {
    const cases: [string, RegExp][] = [
      ["{not json", /malformed JSON/],
      ["[]", /not a lockfile/],
      ['{"name":"x"}', /no lockfileVersion/],
    ];
    for (const [text, re] of cases) {
      const { pkgs, warnings } = run(npmLockAnalyzer, [captured(LOCK, text)]);
      expect(pkgs).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^npm-lock: srv/app/package-lock\\.json: ${re.source}`));
    }
    const partial = JSON.stringify({
      lockfileVersion: 3,
      packages: { "node_modules/ok": { version: "1.0.0" }, "node_modules/bad": { version: 3 }, x: null },
    });
    const { pkgs, warnings } = run(npmLockAnalyzer, [captured(LOCK, partial)]);
    expect(nv(pkgs)).toEqual(["ok@1.0.0"]);
    expect(warnings).toEqual([
      "npm-lock: srv/app/package-lock.json: skipped 1 entries without a valid name and version",
    ]);
    // an empty project is not an error
    expect(run(npmLockAnalyzer, [captured(LOCK, '{"lockfileVersion":3}')]).warnings).toEqual([]);
  });

  it("survives deep v1 nesting without recursion", () => {
    const depth = 5000;
    let text = '{"lockfileVersion":1,"dependencies":';
    for (let i = 0; i < depth; i++) text += `{"d${i}":{"version":"1.0.0","dependencies":`;
    text += `{"leaf":{"version":"1.0.0"}}${"}}".repeat(depth)}}`;
    expect(run(npmLockAnalyzer, [captured(LOCK, text)]).pkgs).toHaveLength(5001);
  });

  it("never throws on arbitrary bytes or JSON", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.jsonValue(), (bytes, json) => {
        run(npmLockAnalyzer, [captured(LOCK, Buffer.from(bytes))]);
        run(npmLockAnalyzer, [captured(LOCK, JSON.stringify({ lockfileVersion: 3, packages: json }))]);
        run(npmLockAnalyzer, [captured(LOCK, JSON.stringify({ lockfileVersion: 1, dependencies: json }))]);
        const { pkgs } = run(npmLockAnalyzer, [
          captured(
            LOCK,
            JSON.stringify({ packages: { [`node_modules/${JSON.stringify(json)}`]: { version: json } } }),
          ),
        ]);
        for (const p of pkgs) expect(p.ecosystem).toBe("npm");
      }),
    );
  });
});
