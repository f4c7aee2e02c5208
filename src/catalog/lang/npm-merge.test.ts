import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import { packageId } from "../purl.js";
import { npmPackage } from "./npm-common.js";
import { mergeNpm } from "./npm-merge.js";

const L = "sha256:11";
const inst = (dir: string, name: string, version: string, licenses: string[] = []) =>
  npmPackage(name, version, { path: `${dir}/package.json`, layer: L }, licenses);
const lockPkg = (
  path: string,
  name: string,
  version: string,
  meta?: Record<string, boolean>,
  licenses: string[] = [],
) => npmPackage(name, version, { path, layer: "sha256:22" }, licenses, meta);
const paths = (p: Package) => p.locations.map((l) => l.path);

describe("mergeNpm", () => {
  it("one package for a lockfile entry and its installed copy: installed first, its licence, the lock's dev flag", () => {
    const installed = inst("app/node_modules/@s/x", "@s/x", "1.0.0", ["MIT"]);
    const locked = lockPkg("app/package-lock.json", "@s/x", "1.0.0", { dev: true }, ["ISC"]);
    const out = mergeNpm([locked, installed]);
    expect(out).toEqual([
      {
        id: packageId("pkg:npm/%40s/x@1.0.0", installed.locations[0]),
        ecosystem: "npm",
        name: "@s/x",
        version: "1.0.0",
        purl: "pkg:npm/%40s/x@1.0.0",
        type: "npm",
        locations: [
          { path: "app/node_modules/@s/x/package.json", layer: L },
          { path: "app/package-lock.json", layer: "sha256:22" },
        ],
        licenses: ["MIT"],
        metadata: { dev: true },
      },
    ]);
    // the id is the installed package's: stable whether or not the lockfile is present
    expect(out[0]!.id).toBe(installed.id);
  });

  it("falls back to the lockfile's licence when the manifest states none", () => {
    const out = mergeNpm([
      inst("app/node_modules/x", "x", "1.0.0"),
      lockPkg("app/package-lock.json", "x", "1.0.0", {}, ["ISC"]),
    ]);
    expect(out.map((p) => p.licenses)).toEqual([["ISC"]]);
  });

  it("every installed copy of the version joins, including nested and workspace node_modules", () => {
    const out = mergeNpm([
      inst("app/node_modules/ms", "ms", "2.0.0"),
      inst("app/node_modules/debug/node_modules/ms", "ms", "2.0.0"),
      inst("app/packages/web/node_modules/ms", "ms", "2.0.0"),
      inst("app/node_modules/.pnpm/ms@2.0.0/node_modules/ms", "ms", "2.0.0"),
      lockPkg("app/pnpm-lock.yaml", "ms", "2.0.0"),
    ]);
    expect(out.map(paths)).toEqual([
      [
        "app/node_modules/.pnpm/ms@2.0.0/node_modules/ms/package.json",
        "app/node_modules/debug/node_modules/ms/package.json",
        "app/node_modules/ms/package.json",
        "app/packages/web/node_modules/ms/package.json",
        "app/pnpm-lock.yaml",
      ],
    ]);
  });

  it("lockfiles in one directory merge with each other; dev only when all of them say so", () => {
    const out = mergeNpm([
      lockPkg("app/package-lock.json", "x", "1.0.0", { dev: true }),
      lockPkg("app/yarn.lock", "x", "1.0.0"),
      lockPkg("app/package-lock.json", "y", "1.0.0", { dev: true }),
      lockPkg("app/yarn.lock", "y", "1.0.0", { dev: true }),
    ]);
    expect(out.map((p) => [p.name, paths(p), p.metadata])).toEqual([
      ["x", ["app/package-lock.json", "app/yarn.lock"], undefined],
      ["y", ["app/package-lock.json", "app/yarn.lock"], { dev: true }],
    ]);
  });

  it("an installed package belongs to the nearest project with a lockfile, even a stale one", () => {
    const out = mergeNpm([
      lockPkg("app/package-lock.json", "y", "1.0.0"),
      lockPkg("app/package-lock.json", "z", "1.0.0"),
      lockPkg("app/sub/package-lock.json", "y", "1.0.0"),
      inst("app/sub/node_modules/y", "y", "1.0.0"),
      inst("app/node_modules/y", "y", "1.0.0"),
      inst("app/sub/node_modules/z", "z", "1.0.0"), // app/sub's lockfile does not list z
    ]);
    expect(out.map(paths)).toEqual([
      ["app/node_modules/y/package.json", "app/package-lock.json"],
      ["app/package-lock.json"],
      ["app/sub/node_modules/y/package.json", "app/sub/package-lock.json"],
      ["app/sub/node_modules/z/package.json"],
    ]);
  });

  it("no merge across versions, unrelated directories, or ecosystems; order and other packages kept", () => {
    const other: Package = {
      ...inst("app/node_modules/x", "x", "1.0.0"),
      ecosystem: "PyPI",
      type: "pypi",
      purl: "pkg:pypi/x@1.0.0",
    };
    const input = [
      other,
      inst("app/node_modules/x", "x", "1.0.1"),
      lockPkg("app/package-lock.json", "x", "1.0.0"),
      inst("srv/node_modules/x", "x", "1.0.0"),
      lockPkg("opt/other/package-lock.json", "x", "1.0.1"),
    ];
    expect(mergeNpm(input)).toEqual(input);
    expect(mergeNpm([other])).toEqual([other]);
  });

  it("a lockfile at the image root covers the whole image", () => {
    const out = mergeNpm([inst("node_modules/x", "x", "1.0.0"), lockPkg("package-lock.json", "x", "1.0.0")]);
    expect(out.map(paths)).toEqual([["node_modules/x/package.json", "package-lock.json"]]);
  });

  it("properties: no location is lost or duplicated; merging again changes nothing", () => {
    const dir = fc.constantFrom("", "app", "app/sub", "srv");
    const pkg = fc.oneof(
      fc
        .tuple(
          dir,
          fc.constantFrom("x", "@s/y"),
          fc.constantFrom("1.0.0", "2.0.0"),
          fc.constantFrom("", "a/node_modules/"),
        )
        .map(([d, n, v, nest]) => inst(`${d ? `${d}/` : ""}node_modules/${nest}${n}`, n, v)),
      fc
        .tuple(
          dir,
          fc.constantFrom("x", "@s/y"),
          fc.constantFrom("1.0.0", "2.0.0"),
          fc.constantFrom("package-lock.json", "yarn.lock"),
        )
        .map(([d, n, v, f]) => lockPkg(`${d ? `${d}/` : ""}${f}`, n, v)),
    );
    fc.assert(
      fc.property(fc.uniqueArray(pkg, { selector: (p) => `${paths(p)[0]}|${p.purl}` }), (pkgs) => {
        const out = mergeNpm(pkgs);
        const before = pkgs
          .flatMap(paths)
          .map((p, i) => `${p}|${pkgs[i]!.purl}`)
          .sort();
        const after = out.flatMap((p) => paths(p).map((l) => `${l}|${p.purl}`)).sort();
        expect(after).toEqual(before);
        expect(mergeNpm(out)).toEqual(out);
        expect(new Set(out.map((p) => p.id)).size).toBe(out.length);
      }),
    );
  });
});
