import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captured, fixture, nv, run } from "./npm.testutil.js";
import { headerSpecs, parseYarnV1, yarnLockAnalyzer } from "./yarn-lock.js";

const LOCK = "srv/app/yarn.lock";
const lock = (name: string) => fixture(`yarn/${name}`, LOCK);

describe("yarn-lock v1 (real fixtures)", () => {
  it("yarn_happy: one package per resolved entry, whatever the number of specifiers", () => {
    const { pkgs, warnings } = run(yarnLockAnalyzer, [lock("yarn_happy.lock")]);
    expect(warnings).toEqual([]);
    // expected set read off the file by hand (18 entries at column 0, each with one `version`)
    expect(nv(pkgs)).toEqual([
      "@babel/helper-regex@7.4.4",
      "ansi-regex@2.1.1",
      "ansi-regex@3.0.0",
      "asap@2.0.6",
      "inherits@2.0.3",
      "is-fullwidth-code-point@2.0.0",
      "jquery@3.4.1",
      "js-tokens@4.0.0",
      "lodash@4.17.11",
      "promise@8.0.3",
      "safe-buffer@5.1.2",
      "safer-buffer@2.1.2",
      "statuses@1.5.0",
      "string-width@2.1.1",
      "strip-ansi@3.0.1",
      "strip-ansi@4.0.0",
      "whatwg-fetch@3.0.0",
      "wide-align@1.1.3",
    ]);
    const babel = pkgs.find((p) => p.name === "@babel/helper-regex")!;
    expect(babel).toMatchObject({
      ecosystem: "npm",
      type: "npm",
      purl: "pkg:npm/%40babel/helper-regex@7.4.4",
      locations: [{ path: LOCK, layer: "sha256:aa" }],
      licenses: [],
    });
  });

  it("git sources keep the package's version; local file: packages and unknown protocols are skipped", () => {
    expect(nv(run(yarnLockAnalyzer, [lock("yarn_with_git.lock")]).pkgs)).toEqual([
      "mapbox-gl-feature-drag-and-drop@1.1.1",
    ]);
    expect(nv(run(yarnLockAnalyzer, [lock("yarn_with_local.lock")]).pkgs)).toEqual([
      "asap@2.0.6",
      "jquery@3.4.1",
      "promise@8.0.3",
    ]);
    expect(nv(run(yarnLockAnalyzer, [lock("yarn_with_bad_protocol.lock")]).pkgs)).toEqual(["jquery@3.4.1"]);
  });

  it("quoted keys (as npm writes yarn.lock) and no header comment", () => {
    expect(nv(run(yarnLockAnalyzer, [lock("yarn_with_npm.lock")]).pkgs)).toEqual(["jquery@3.6.0"]);
  });

  it("aliases resolve to the real package; CRLF line ends are fine", () => {
    const text = [
      "# yarn lockfile v1",
      "",
      '"string-width-cjs@npm:string-width@^4.2.0":',
      '  version "4.2.3"',
      "  dependencies:",
      '    strip-ansi "^6.0.1"',
      "",
      '"@scope/a@npm:^1.0.0", "@scope/a@^1.0.1":',
      "  version 1.0.2",
      "",
      "local@link:../local:",
      '  version "0.0.0"',
      "",
    ].join("\r\n");
    const { pkgs, warnings } = run(yarnLockAnalyzer, [captured(LOCK, text)]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => p.purl)).toEqual(["pkg:npm/%40scope/a@1.0.2", "pkg:npm/string-width@4.2.3"]);
  });

  it("header specifiers: quoted, unquoted, commas inside quotes", () => {
    expect(headerSpecs('"a@>= 1, < 2", b@^1, "@s/c@1 || 2"')).toEqual(["a@>= 1, < 2", "b@^1", "@s/c@1 || 2"]);
    const { entries } = parseYarnV1('x@1:\n  version "1.0.0"\n  "resolved" "u"\n');
    expect(entries[0]).toMatchObject({ specs: ["x@1"], line: 1 });
    expect([...entries[0]!.fields]).toEqual([
      ["version", "1.0.0"],
      ["resolved", "u"],
    ]);
  });

  it("malformed entries warn with the file name and the rest is kept", () => {
    const text = 'garbage line\n  version "9"\nok@^1:\n  version "1.0.0"\nnover@^1:\n  resolved "x"\n';
    const { pkgs, warnings } = run(yarnLockAnalyzer, [captured(LOCK, text)]);
    expect(nv(pkgs)).toEqual(["ok@1.0.0"]);
    expect(warnings).toEqual([
      "yarn-lock: srv/app/yarn.lock: skipped 2 lines outside any entry",
      "yarn-lock: srv/app/yarn.lock: skipped 1 entries without a valid name and version",
    ]);
  });
});

describe("yarn-lock berry (real fixtures)", () => {
  it("yarn_v2_happy: resolutions name the package; workspace skipped; patch: is the base version", () => {
    const { pkgs, warnings } = run(yarnLockAnalyzer, [lock("yarn_v2_happy.lock")]);
    expect(warnings).toEqual([]);
    expect(nv(pkgs)).toEqual([
      "@types/color-name@1.1.1",
      "abbrev@1.1.1",
      "ansi-styles@3.2.1",
      "ansi-styles@4.2.1",
      "assert-plus@1.0.0",
      "async@3.2.0",
      "color-convert@1.9.3",
      "color-convert@2.0.1",
      "color-name@1.1.3",
      "color-name@1.1.4",
      "fsevents@2.1.3",
      "ipaddr.js@1.9.1",
      "js-tokens@4.0.0",
      "loose-envify@1.4.0",
      "node-gyp@7.1.0",
      "once@1.4.0",
      "wrappy@1.0.2",
    ]);
  });

  it("yarn_v2_deps_with_protocol (lockfile v8)", () => {
    expect(nv(run(yarnLockAnalyzer, [lock("yarn_v2_deps_with_protocol.lock")]).pkgs)).toEqual([
      "debug@4.3.4",
      "ms@2.1.2",
    ]);
  });

  it("aliases, patches deduplicated with their base, local protocols skipped", () => {
    const text = `__metadata:
  version: 8

"string-width-cjs@npm:string-width@^4.2.0":
  version: 4.2.3
  resolution: "string-width@npm:4.2.3"

"resolve@npm:^1.22.1":
  version: 1.22.1
  resolution: "resolve@npm:1.22.1"

"resolve@patch:resolve@npm%3A^1.22.1#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b"

"lib@link:./lib::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "lib@link:./lib::locator=app%40workspace%3A."

"p@portal:./p::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "p@portal:./p::locator=app%40workspace%3A."

"v@npm:1.10":
  version: 1.10
  resolution: "v@npm:1.10"
`;
    const { pkgs, warnings } = run(yarnLockAnalyzer, [captured(LOCK, text)]);
    expect(warnings).toEqual([]);
    // 1.10 stays a string (no YAML number coercion)
    expect(nv(pkgs)).toEqual(["resolve@1.22.1", "string-width@4.2.3", "v@1.10"]);
  });

  it("broken YAML warns and keeps what parsed", () => {
    const { pkgs, warnings } = run(yarnLockAnalyzer, [
      captured(
        LOCK,
        '__metadata:\n  version: 8\n"a@npm:1":\n  version: 1.0.0\n  resolution: "a@npm:1.0.0"\n  x: [\n',
      ),
    ]);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^yarn-lock: srv\/app\/yarn\.lock: YAML error/);
    expect(pkgs.length).toBeLessThanOrEqual(1);
  });
});

describe("yarn-lock matching and robustness", () => {
  it("matches yarn.lock outside node_modules only", () => {
    expect(yarnLockAnalyzer.match("yarn.lock")).toBe(true);
    expect(yarnLockAnalyzer.match("srv/app/yarn.lock")).toBe(true);
    expect(yarnLockAnalyzer.match("srv/app/node_modules/uri-js/yarn.lock")).toBe(false);
    expect(yarnLockAnalyzer.match("srv/app/yarn.lock.bak")).toBe(false);
  });

  it("never throws on arbitrary text, in either format", () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom("  version ", '"a@^1", b@2:', "  dependencies:", "__metadata:"),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.uint8Array({ maxLength: 200 }), (lines, bytes) => {
        run(yarnLockAnalyzer, [captured(LOCK, lines.join("\n"))]);
        run(yarnLockAnalyzer, [captured(LOCK, `__metadata:\n${lines.join("\n")}`)]);
        const { pkgs } = run(yarnLockAnalyzer, [captured(LOCK, Buffer.from(bytes))]);
        for (const p of pkgs) expect(p.purl.startsWith("pkg:npm/")).toBe(true);
      }),
    );
  });
});
