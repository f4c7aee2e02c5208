import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captured, fixture, nv, run } from "./npm.testutil.js";
import { parsePnpmKey, pnpmLockAnalyzer } from "./pnpm-lock.js";

const LOCK = "srv/app/pnpm-lock.yaml";
const lock = (name: string) => fixture(`pnpm/${name}`, LOCK);
const clean = (name: string) => {
  const r = run(pnpmLockAnalyzer, [lock(name)]);
  expect(r.warnings).toEqual([]);
  return r.pkgs;
};

describe("pnpm-lock (real fixtures; expected sets read off the files)", () => {
  it("v5.3 `/name/version` and v6 `/name@version` keys give the same packages", () => {
    const expected = ["asap@2.0.6", "jquery@3.6.0", "promise@8.1.0"];
    expect(nv(clean("pnpm-lock_normal.yaml"))).toEqual(expected);
    const v6 = clean("pnpm-lock_v6.yaml");
    expect(nv(v6)).toEqual(expected);
    expect(v6[0]).toMatchObject({
      ecosystem: "npm",
      type: "npm",
      purl: "pkg:npm/asap@2.0.6",
      locations: [{ path: LOCK, layer: "sha256:aa" }],
    });
    expect(v6.some((p) => p.metadata?.dev)).toBe(false); // all `dev: false`
  });

  it.each([
    ["pnpm-lock_with_dev.yaml", ["@babel/runtime@7.18.3", "regenerator-runtime@0.13.9"]],
    ["pnpm-lock_v6_with_dev.yaml", ["@babel/runtime@7.22.3", "regenerator-runtime@0.13.11"]],
  ])("%s: 85 packages, peer suffixes stripped, 79 marked dev", (name, differing) => {
    const pkgs = clean(name);
    expect(pkgs).toHaveLength(85);
    expect(pkgs.filter((p) => p.metadata?.dev === true)).toHaveLength(79);
    expect(
      nv(pkgs.filter((p) => !p.metadata?.dev)).filter(
        (s) => !s.startsWith("@babel/") && !s.startsWith("regenerator"),
      ),
    ).toEqual(["js-tokens@4.0.0", "loose-envify@1.4.0", "react@18.1.0", "redux@4.2.0"]);
    for (const s of differing) expect(nv(pkgs)).toContain(s);
    // the key carries a peer suffix: `/debug/4.3.4_supports-color@8.1.1` / `/debug@4.3.4(supports-color@8.1.1)`
    expect(pkgs.find((p) => p.name === "debug")).toMatchObject({ version: "4.3.4", metadata: { dev: true } });
    expect(pkgs.find((p) => p.name === "@babel/runtime")?.purl).toMatch(/^pkg:npm\/%40babel\/runtime@7\./);
  });

  it("v6 archives: tarball/git entries use their name and version fields; file: entries skipped", () => {
    expect(nv(clean("pnpm-lock_archives.yaml"))).toEqual([
      "asynckit@0.4.0",
      "debug@4.3.4",
      "is-negative@2.0.1",
      "ms@2.1.2",
    ]);
  });

  it("v9: packages + snapshots; tarball versions from fields, file: skipped, peers stripped", () => {
    expect(nv(clean("pnpm-lock_v9.yaml"))).toEqual([
      "@babel/helper-string-parser@7.24.1",
      "asap@2.0.6",
      "asynckit@0.4.0",
      "await-sleep@0.0.1",
      "debug@4.3.4",
      "debug@4.3.5",
      "ee-first@1.1.1",
      "encodeurl@1.0.2",
      "escape-html@1.0.3",
      "finalhandler@1.1.1",
      "is-negative@2.0.1",
      "jquery@3.6.0",
      "ms@2.0.0",
      "ms@2.1.2",
      "on-finished@2.3.0",
      "parseurl@1.3.3",
      "promise@8.1.0",
      "sleep-utils@1.0.3",
      "statuses@1.4.0",
      "unpipe@1.0.0",
    ]);
    expect(nv(clean("pnpm-lock_v9_same-vers-diff-peers.yaml"))).toEqual([
      "jest-config@30.0.3",
      "jest-pnp-resolver@1.2.3",
      "jest-resolve@27.5.1",
      "jest-resolve@30.0.2",
      "jest-runner@27.5.1",
      "jest-runner@30.0.3",
    ]);
  });

  it("v9 with an env document first: pnpm's own tooling is not the project's", () => {
    expect(nv(clean("pnpm-lock_v9_multiple_documents.yaml"))).toEqual(["is-number@7.0.0"]);
  });

  it("an importer without dependencies does not make a document the env lockfile", () => {
    const text = "lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  a@1.0.0: {}\n";
    expect(nv(run(pnpmLockAnalyzer, [captured(LOCK, text)]).pkgs)).toEqual(["a@1.0.0"]);
  });

  it("a package known only from snapshots is kept", () => {
    const text = "lockfileVersion: '9.0'\nsnapshots:\n  '@s/x@1.0.0(y@2.0.0)':\n    dependencies: {}\n";
    expect(run(pnpmLockAnalyzer, [captured(LOCK, text)]).pkgs.map((p) => p.purl)).toEqual([
      "pkg:npm/%40s/x@1.0.0",
    ]);
  });
});

describe("pnpm-lock keys", () => {
  it.each([
    ["/@babel/core/7.0.0_@types+node@18.0.0", 5.4, "@babel/core", "7.0.0"],
    ["/debug/4.3.4_supports-color@8.1.1", 5.3, "debug", "4.3.4"],
    ["/lodash_fork/1.0.0", 5, "lodash_fork", "1.0.0"],
    ["/@babel/core@7.0.0(@types/node@18.0.0)", 6, "@babel/core", "7.0.0"],
    ["@babel/core@7.0.0(@types/node@18.0.0)(x@1)", 9, "@babel/core", "7.0.0"],
    ["debug@1.0.0-beta.1", 9, "debug", "1.0.0-beta.1"],
  ])("%s (v%s) → %s@%s", (key, major, name, version) => {
    expect(parsePnpmKey(key, major)).toEqual({ name, version, local: false });
  });

  it("local keys are recognised, nameless keys rejected", () => {
    expect(parsePnpmKey("file:package1", 6)?.local).toBe(true);
    expect(parsePnpmKey("lodash@file:foo/bar/lodash.tgz", 9)?.local).toBe(true);
    expect(parsePnpmKey("github.com/user/repo/abc", 5)).toBeUndefined();
  });
});

describe("pnpm-lock matching and robustness", () => {
  it("matches pnpm-lock.yaml outside node_modules only", () => {
    expect(pnpmLockAnalyzer.match("srv/app/pnpm-lock.yaml")).toBe(true);
    expect(pnpmLockAnalyzer.match("pnpm-lock.yaml")).toBe(true);
    expect(pnpmLockAnalyzer.match("srv/app/node_modules/.pnpm/lock.yaml")).toBe(false);
    expect(pnpmLockAnalyzer.match("srv/app/node_modules/x/pnpm-lock.yaml")).toBe(false);
  });

  it("bad YAML and wrong shapes warn naming the file", () => {
    const bad = run(pnpmLockAnalyzer, [captured(LOCK, "packages: [\n")]);
    expect(bad.warnings[0]).toMatch(/^pnpm-lock: srv\/app\/pnpm-lock\.yaml: YAML error/);
    const scalar = run(pnpmLockAnalyzer, [captured(LOCK, "just text")]);
    expect(scalar.warnings).toEqual([
      "pnpm-lock: srv/app/pnpm-lock.yaml: not a pnpm lockfile (expected a YAML map)",
    ]);
    const partial = run(pnpmLockAnalyzer, [
      captured(LOCK, "lockfileVersion: '6.0'\npackages:\n  /ok@1.0.0: {}\n  nonsense: {}\n"),
    ]);
    expect(nv(partial.pkgs)).toEqual(["ok@1.0.0"]);
    expect(partial.warnings).toEqual([
      "pnpm-lock: srv/app/pnpm-lock.yaml: skipped 1 entries without a valid name and version",
    ]);
  });

  it("never throws on arbitrary text or keys", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom("5.4", "'6.0'", "'9.0'", "x"),
        (key, bytes, v) => {
          parsePnpmKey(key, 5);
          parsePnpmKey(key, 9);
          run(pnpmLockAnalyzer, [captured(LOCK, Buffer.from(bytes))]);
          const { pkgs } = run(pnpmLockAnalyzer, [
            captured(
              LOCK,
              `lockfileVersion: ${v}\npackages:\n  ${JSON.stringify(key)}:\n    version: ${JSON.stringify(key)}\n`,
            ),
          ]);
          for (const p of pkgs) expect(p.purl.startsWith("pkg:npm/")).toBe(true);
        },
      ),
    );
  });
});
