import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmQuery } from "../../src/catalog/lang/npm.testutil.js";
import { zipBuffer } from "../../src/catalog/lang/zip.testutil.js";
import type { Inventory, Package } from "../../src/model/index.js";
import { catalog } from "../../src/scan.js";
import { type BuiltImage, buildImage, type EntrySpec, writeOciLayout } from "../support/image-builder.js";

/**
 * Every ecosystem at once, through the real pipeline: `catalog()` (scan.ts) on an OCI layout written by
 * the fixture builder — one walk, every analyzer, the npm lockfile/node_modules merge, sorting. Inputs are
 * small real-world shaped documents (and the committed Go fixture binary, and a jar made from a real jar's
 * metadata); the expected values are read off those inputs by hand, so they say what each ecosystem's
 * tooling would report, not what the code happens to produce.
 *
 * The second part is the end-to-end image of the issue: a real node_modules tree (this repository's
 * installed dependencies), the host's real dpkg database and a real Go executable from a Debian package,
 * with npm, dpkg-query and `go version -m` as oracles.
 */

const ROOT = join(import.meta.dirname, "../..");
const FIX = join(ROOT, "test/fixtures");
const tmp = mkdtempSync(join(tmpdir(), "airbag-multi-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function catalogLayout(img: BuiltImage, name: string): Promise<Inventory> {
  const dir = join(tmp, name);
  await writeOciLayout(dir, img);
  return catalog(`oci:${dir}`);
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const manifest = (name: string, version: string, license = "MIT") => json({ name, version, license });

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';

const DPKG_STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Depends: libc6 (>= 2.14)
Description: compression library - runtime

Package: vim-tiny
Status: deinstall ok config-files
Priority: important
Section: editors
Installed-Size: 1727
Maintainer: Debian Vim Maintainers <team+vim@tracker.debian.org>
Architecture: amd64
Source: vim
Version: 2:9.0.1378-2
Description: Vi IMproved - enhanced vi editor - compact version
`;

const APP = "srv/app";
// npm ci --omit=dev: typescript (dev) is locked but not installed
const PACKAGE_LOCK = json({
  name: "app",
  version: "1.0.0",
  lockfileVersion: 3,
  requires: true,
  packages: {
    "": {
      name: "app",
      version: "1.0.0",
      dependencies: { "@scope/util": "^2.0.0", debug: "^4.3.4", "left-pad": "^1.3.0", ms: "^2.1.3" },
      devDependencies: { typescript: "^5.4.5" },
    },
    "node_modules/@scope/util": {
      version: "2.0.1",
      resolved: "https://registry.npmjs.org/@scope/util/-/util-2.0.1.tgz",
      integrity: "sha512-AAAA",
      license: "ISC",
    },
    "node_modules/debug": {
      version: "4.3.4",
      resolved: "https://registry.npmjs.org/debug/-/debug-4.3.4.tgz",
      integrity: "sha512-BBBB",
      license: "MIT",
      dependencies: { ms: "2.1.2" },
    },
    "node_modules/debug/node_modules/ms": {
      version: "2.1.2",
      resolved: "https://registry.npmjs.org/ms/-/ms-2.1.2.tgz",
      integrity: "sha512-CCCC",
      license: "MIT",
    },
    "node_modules/left-pad": {
      version: "1.3.0",
      resolved: "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      integrity: "sha512-DDDD",
      license: "WTFPL",
    },
    "node_modules/ms": {
      version: "2.1.3",
      resolved: "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      integrity: "sha512-EEEE",
      license: "MIT",
    },
    "node_modules/typescript": {
      version: "5.4.5",
      resolved: "https://registry.npmjs.org/typescript/-/typescript-5.4.5.tgz",
      integrity: "sha512-FFFF",
      dev: true,
      license: "Apache-2.0",
    },
  },
});

const DIST_INFO = "usr/local/lib/python3.11/site-packages";
const FLASK_CORS_EGG_INFO = `Metadata-Version: 2.1
Name: Flask-Cors
Version: 4.0.0
Summary: A Flask extension adding a decorator for CORS support
Home-page: https://github.com/corydolphin/flask-cors
Author: Cory Dolphin
License: MIT
Platform: any
Classifier: License :: OSI Approved :: MIT License
`;
const SIX_METADATA = "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n";

const CARGO_LOCK = `# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 3

[[package]]
name = "myapp"
version = "0.1.0"
dependencies = [
 "itoa",
 "serde",
]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566673b"

[[package]]
name = "serde"
version = "1.0.197"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "3fb1c873e1b9b056a4dc4c0c198b24c3ffa059243875552b2bd0933b1aee4ce2"
`;

const COMPOSER_INSTALLED = json({
  packages: [
    {
      name: "monolog/monolog",
      version: "3.5.0",
      version_normalized: "3.5.0.0",
      type: "library",
      license: ["MIT"],
      "install-path": "../monolog/monolog",
    },
    {
      name: "psr/log",
      version: "3.0.0",
      version_normalized: "3.0.0.0",
      type: "library",
      license: ["MIT"],
      "install-path": "../psr/log",
    },
  ],
  dev: false,
  "dev-package-names": [],
});

const DEPS_JSON = json({
  runtimeTarget: { name: ".NETCoreApp,Version=v8.0", signature: "" },
  compilationOptions: {},
  targets: {
    ".NETCoreApp,Version=v8.0": {
      "WebApi/1.0.0": { dependencies: { "Newtonsoft.Json": "13.0.3" }, runtime: { "WebApi.dll": {} } },
      "Newtonsoft.Json/13.0.3": {
        runtime: {
          "lib/net6.0/Newtonsoft.Json.dll": { assemblyVersion: "13.0.0.0", fileVersion: "13.0.3.27908" },
        },
      },
    },
  },
  libraries: {
    "WebApi/1.0.0": { type: "project", serviceable: false, sha512: "" },
    "Newtonsoft.Json/13.0.3": {
      type: "package",
      serviceable: true,
      sha512:
        "sha512-HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==",
      path: "newtonsoft.json/13.0.3",
      hashPath: "newtonsoft.json.13.0.3.nupkg.sha512",
    },
  },
});

/** A Spring Boot style jar: its own pom.properties, and opensaml-core (real metadata) stored in BOOT-INF/lib. */
function fatJar(): Buffer {
  const meta = join(FIX, "java/jar-metadata/opensaml-core-3.4.6/META-INF");
  const nested = zipBuffer([
    { name: "META-INF/MANIFEST.MF", data: readFileSync(join(meta, "MANIFEST.MF")) },
    {
      name: "META-INF/maven/org.opensaml/opensaml-core/pom.properties",
      data: readFileSync(join(meta, "maven/org.opensaml/opensaml-core/pom.properties")),
    },
    { name: "org/opensaml/core/Version.class", data: Buffer.alloc(900, 7) },
  ]);
  return zipBuffer([
    {
      name: "META-INF/MANIFEST.MF",
      data: "Manifest-Version: 1.0\r\nImplementation-Title: shop\r\nImplementation-Version: 1.0.0\r\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\r\nStart-Class: com.example.shop.ShopApplication\r\n\r\n",
      descriptor: true,
    },
    {
      name: "BOOT-INF/classes/com/example/shop/ShopApplication.class",
      data: Buffer.alloc(1200, 3),
      descriptor: true,
    },
    {
      name: "META-INF/maven/com.example/shop/pom.properties",
      data: "artifactId=shop\ngroupId=com.example\nversion=1.0.0\n",
      descriptor: true,
    },
    { name: "BOOT-INF/lib/opensaml-core-3.4.6.jar", data: nested, method: 0 },
  ]);
}

interface Want {
  purl: string;
  /** [path, layer index] of every location, in the inventory's order */
  at: [string, number][];
}

describe("multi-ecosystem image through catalog()", () => {
  let img: BuiltImage;
  let inv: Inventory;
  const layer = (i: number) => img.layers[i]!.diffId;

  beforeAll(async () => {
    const nm = `${APP}/node_modules`;
    img = await buildImage({
      layers: [
        // 0: Debian base
        [
          { path: "usr/lib/os-release", content: OS_RELEASE },
          { path: "etc/os-release", type: "symlink", target: "../usr/lib/os-release" },
          { path: "var/lib/dpkg/status", content: DPKG_STATUS },
        ],
        // 1: COPY package*.json
        {
          [`${APP}/package.json`]: manifest("app", "1.0.0", "UNLICENSED"),
          [`${APP}/package-lock.json`]: PACKAGE_LOCK,
        },
        // 2: npm ci, plus a globally installed npm dependency no lockfile knows
        [
          { path: `${nm}/@scope/util/package.json`, content: manifest("@scope/util", "2.0.1", "ISC") },
          { path: `${nm}/@scope/util/dist/esm/package.json`, content: json({ type: "module" }) },
          { path: `${nm}/debug/package.json`, content: manifest("debug", "4.3.4") },
          { path: `${nm}/debug/node_modules/ms/package.json`, content: manifest("ms", "2.1.2") },
          { path: `${nm}/left-pad/package.json`, content: manifest("left-pad", "1.3.0", "WTFPL") },
          { path: `${nm}/ms/package.json`, content: manifest("ms", "2.1.3") },
          { path: `${nm}/.package-lock.json`, content: PACKAGE_LOCK },
          { path: `${nm}/.bin/left-pad`, type: "symlink", target: "../left-pad/cli.js" },
          {
            path: "usr/local/lib/node_modules/npm/node_modules/semver/package.json",
            content: manifest("semver", "7.5.4", "ISC"),
          },
        ],
        // 3: Python, Ruby, Rust, PHP, .NET
        [
          {
            path: `${DIST_INFO}/zipp-3.12.1.dist-info/METADATA`,
            content: readFileSync(join(FIX, "python/installed/zipp-3.12.1.METADATA")),
          },
          { path: `${DIST_INFO}/six-1.16.0.dist-info/METADATA`, content: SIX_METADATA },
          { path: "usr/lib/python3/dist-packages/Flask_Cors-4.0.0.egg-info", content: FLASK_CORS_EGG_INFO },
          {
            path: "usr/local/bundle/specifications/rack-1.1.0.gemspec",
            content: readFileSync(join(FIX, "ruby/gemspec/rack-1.1.0.gemspec")),
          },
          { path: "srv/rust/Cargo.lock", content: CARGO_LOCK },
          { path: "var/www/html/vendor/composer/installed.json", content: COMPOSER_INSTALLED },
          { path: "srv/dotnet/WebApi.deps.json", content: DEPS_JSON },
        ],
        // 4: a Go binary, a fat jar, and a Python package removed again
        [
          { path: "usr/local/bin/hello", content: readFileSync(join(FIX, "go/hello")), mode: 0o755 },
          { path: "opt/shop/shop.jar", content: fatJar() },
          { path: `${DIST_INFO}/.wh.six-1.16.0.dist-info`, content: "" },
        ],
      ],
    });
    inv = await catalogLayout(img, "multi");
  }, 60_000);

  const byEcosystem = (eco: string) =>
    inv.packages
      .filter((p) => p.ecosystem === eco)
      .map((p) => ({ purl: p.purl, at: p.locations.map((l) => [l.path, l.layer]) }))
      .sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0));
  const expectEcosystem = (eco: string, want: Want[]) =>
    expect(byEcosystem(eco)).toEqual(
      want
        .map((w) => ({ purl: w.purl, at: w.at.map(([p, i]) => [p, layer(i)]) }))
        .sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0)),
    );

  it("detects the OS, reads every layer and warns about nothing", () => {
    expect(inv.warnings ?? []).toEqual([]);
    expect(inv.target.os).toMatchObject({ family: "debian", version: "12", ecosystem: "Debian:12" });
    expect(inv.target.layers?.map((l) => l.diffId)).toEqual(img.layers.map((l) => l.diffId));
    expect(new Set(inv.packages.map((p) => p.ecosystem))).toEqual(
      new Set(["Debian:12", "npm", "PyPI", "Go", "Maven", "RubyGems", "crates.io", "Packagist", "NuGet"]),
    );
    // ids are unique: one entry per package and place
    expect(new Set(inv.packages.map((p) => p.id)).size).toBe(inv.packages.length);
  });

  it("dpkg: the installed packages only (not the config-files remnant)", () => {
    const status: [string, number][] = [["var/lib/dpkg/status", 0]];
    // purl-spec deb: the epoch stays in the version, `+` and `:` percent-encoded
    expectEcosystem("Debian:12", [
      { purl: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12", at: status },
      { purl: "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12", at: status },
    ]);
  });

  it("npm: lockfile and node_modules merged per name@version; lock-only and install-only kept", () => {
    const lock: [string, number] = [`${APP}/package-lock.json`, 1];
    const nm = (p: string): [string, number] => [`${APP}/node_modules/${p}/package.json`, 2];
    expectEcosystem("npm", [
      { purl: "pkg:npm/%40scope/util@2.0.1", at: [nm("@scope/util"), lock] },
      { purl: "pkg:npm/debug@4.3.4", at: [nm("debug"), lock] },
      { purl: "pkg:npm/left-pad@1.3.0", at: [nm("left-pad"), lock] },
      { purl: "pkg:npm/ms@2.1.2", at: [nm("debug/node_modules/ms"), lock] },
      { purl: "pkg:npm/ms@2.1.3", at: [nm("ms"), lock] },
      {
        purl: "pkg:npm/semver@7.5.4",
        at: [["usr/local/lib/node_modules/npm/node_modules/semver/package.json", 2]],
      },
      { purl: "pkg:npm/typescript@5.4.5", at: [lock] },
    ]);
    const pkg = (purl: string) => inv.packages.find((p) => p.purl === purl)!;
    // the dedupe: left-pad is one package, seen twice, with the installed manifest's licence
    expect(inv.packages.filter((p) => p.name === "left-pad")).toHaveLength(1);
    expect(pkg("pkg:npm/left-pad@1.3.0").licenses).toEqual(["WTFPL"]);
    expect(pkg("pkg:npm/typescript@5.4.5").metadata?.dev).toBe(true);
    expect(pkg("pkg:npm/left-pad@1.3.0").metadata?.dev).toBeUndefined();
  });

  it("PyPI: dist-info and Debian's egg-info file, names per PEP 503, the whited-out one gone", () => {
    expectEcosystem("PyPI", [
      { purl: "pkg:pypi/zipp@3.12.1", at: [[`${DIST_INFO}/zipp-3.12.1.dist-info/METADATA`, 3]] },
      {
        purl: "pkg:pypi/flask-cors@4.0.0",
        at: [["usr/lib/python3/dist-packages/Flask_Cors-4.0.0.egg-info", 3]],
      },
    ]);
  });

  it("Go: toolchain, main module and dependencies from the binary's build info", () => {
    const at: [string, number][] = [["usr/local/bin/hello", 4]];
    expectEcosystem("Go", [
      { purl: "pkg:golang/stdlib@1.19.8", at },
      { purl: "pkg:golang/example.com/airbag/hello", at },
      { purl: "pkg:golang/example.com/greet@v1.2.3", at },
      { purl: "pkg:golang/example.com/localdep", at },
      { purl: "pkg:golang/example.com/newname@v0.2.0", at },
    ]);
  });

  it("Maven: the fat jar's own coordinates and the library nested in BOOT-INF/lib", () => {
    const at: [string, number][] = [["opt/shop/shop.jar", 4]];
    expectEcosystem("Maven", [
      { purl: "pkg:maven/com.example/shop@1.0.0", at },
      { purl: "pkg:maven/org.opensaml/opensaml-core@3.4.6", at },
    ]);
    const nested = inv.packages.find((p) => p.name === "org.opensaml:opensaml-core")!;
    expect(nested.metadata).toMatchObject({
      nestedPath: "BOOT-INF/lib/opensaml-core-3.4.6.jar",
      pomPath: "META-INF/maven/org.opensaml/opensaml-core/pom.properties",
    });
  });

  it("RubyGems, crates.io, Packagist, NuGet", () => {
    expectEcosystem("RubyGems", [
      { purl: "pkg:gem/rack@1.1.0", at: [["usr/local/bundle/specifications/rack-1.1.0.gemspec", 3]] },
    ]);
    const cargo: [string, number][] = [["srv/rust/Cargo.lock", 3]];
    // the workspace crate itself (no `source`) is kept, marked local so nobody looks it up on crates.io
    expectEcosystem("crates.io", [
      { purl: "pkg:cargo/itoa@1.0.11", at: cargo },
      { purl: "pkg:cargo/myapp@0.1.0", at: cargo },
      { purl: "pkg:cargo/serde@1.0.197", at: cargo },
    ]);
    expect(inv.packages.find((p) => p.purl === "pkg:cargo/myapp@0.1.0")?.metadata).toEqual({
      source: "local",
    });
    expect(inv.packages.find((p) => p.purl === "pkg:cargo/serde@1.0.197")?.metadata).toBeUndefined();
    const composer: [string, number][] = [["var/www/html/vendor/composer/installed.json", 3]];
    expectEcosystem("Packagist", [
      { purl: "pkg:composer/monolog/monolog@3.5.0", at: composer },
      { purl: "pkg:composer/psr/log@3.0.0", at: composer },
    ]);
    expectEcosystem("NuGet", [
      { purl: "pkg:nuget/Newtonsoft.Json@13.0.3", at: [["srv/dotnet/WebApi.deps.json", 3]] },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------

const GO_BIN = ["/usr/bin/runc", "/usr/sbin/runc", "/usr/bin/skopeo"].find(existsSync);
const haveTools = (() => {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    execFileSync("dpkg-query", ["--version"], { stdio: "ignore" });
    execFileSync("npm", ["--version"], { stdio: "ignore" });
    return existsSync("/var/lib/dpkg/status") && existsSync("/etc/os-release");
  } catch {
    return false;
  }
})();

/** Every file of this repository's node_modules up to 64 KiB, every package.json, and the symlinks. */
function nodeModulesTree(dir: string, out: EntrySpec[] = []): EntrySpec[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    const path = `${APP}/${relative(ROOT, full)}`;
    if (e.isDirectory()) nodeModulesTree(full, out);
    else if (e.isSymbolicLink()) out.push({ path, type: "symlink", target: readlinkSync(full) });
    else if (e.isFile() && (e.name === "package.json" || lstatSync(full).size <= 64 << 10))
      out.push({ path, content: readFileSync(full), mode: lstatSync(full).mode & 0o777 });
  }
  return out;
}

describe.skipIf(!GO_BIN || !haveTools)(
  "end to end: a real node_modules tree, the host's dpkg database and a Debian-packaged Go binary",
  () => {
    let img: BuiltImage;
    let inv: Inventory;
    let tree: EntrySpec[];

    beforeAll(async () => {
      tree = nodeModulesTree(join(ROOT, "node_modules"));
      img = await buildImage({
        layers: [
          [
            { path: "etc/os-release", content: readFileSync("/etc/os-release") },
            { path: "var/lib/dpkg/status", content: readFileSync("/var/lib/dpkg/status") },
            { path: "usr/bin/runc", content: readFileSync(GO_BIN!), mode: 0o755 },
          ],
          [
            { path: `${APP}/package.json`, content: readFileSync(join(ROOT, "package.json")) },
            { path: `${APP}/package-lock.json`, content: readFileSync(join(ROOT, "package-lock.json")) },
          ],
          tree,
        ],
      });
      inv = await catalogLayout(img, "e2e");
    }, 120_000);

    const of = (type: string): Package[] => inv.packages.filter((p) => p.type === type);
    const nvs = (ps: { name?: string; version?: string }[]) =>
      new Set(ps.map((p) => `${p.name}@${p.version}`));

    it("the tree is a real one: thousands of files, scoped and nested packages", () => {
      expect(tree.length).toBeGreaterThan(2000);
      expect(tree.some((e) => e.path.includes("/node_modules/@"))).toBe(true);
      expect(tree.some((e) => /\/node_modules\/.+\/node_modules\//.test(e.path))).toBe(true);
      expect(inv.warnings ?? []).toEqual([]);
    });

    it("npm: npm's own installed tree and lockfile, merged into one package per name@version", () => {
      const installed = npmQuery(ROOT).filter((n) => n.location !== "");
      const locked = npmQuery(ROOT, true).filter((n) => n.location !== "" && !n.isLink && n.version);
      const npm = of("npm");
      expect(nvs(npm)).toEqual(new Set([...nvs(installed), ...nvs(locked)]));
      expect(npm).toHaveLength(nvs(npm).size); // merged: no name@version twice
      // every installed copy is a location of its package, in the node_modules layer
      const paths = new Set(npm.flatMap((p) => p.locations.map((l) => `${l.path} ${l.layer}`)));
      for (const n of installed)
        expect(paths.has(`${APP}/${n.location}/package.json ${img.layers[2]!.diffId}`), n.location).toBe(
          true,
        );
    });

    it("dpkg: exactly what dpkg-query lists as installed", () => {
      const oracle = execFileSync(
        "dpkg-query",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
        ["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"],
        {
          encoding: "utf8",
          maxBuffer: 16 << 20,
        },
      )
        .trim()
        .split("\n")
        .map((l) => l.split("\t"))
        .filter(([st]) => st!.trim() === "ii")
        .map(([, name, version]) => `${name}@${version}`);
      expect(nvs(of("deb"))).toEqual(new Set(oracle));
      expect(of("deb")).toHaveLength(oracle.length);
    });

    it("Go: the Debian-built binary's toolchain and main path, as `go version -m` reports them", () => {
      const oracle = execFileSync("go", ["version", "-m", GO_BIN!], { encoding: "utf8" });
      const goVersion = /: go(\S+)/.exec(oracle)![1]!;
      const mainPath = /^\tpath\t(\S+)/m.exec(oracle)![1]!;
      const deps = [...oracle.matchAll(/^\tdep\t(\S+)\t(\S+)/gm)].map((m) => `${m[1]}@${m[2]}`);
      const go = of("golang");
      expect(go.find((p) => p.name === "stdlib")?.purl).toBe(`pkg:golang/stdlib@${goVersion}`);
      expect(go.find((p) => p.name === "stdlib")?.metadata).toMatchObject({ mainPath });
      expect(nvs(go.filter((p) => p.name !== "stdlib" && p.name !== mainPath))).toEqual(new Set(deps));
      for (const p of go)
        expect(p.locations).toEqual([{ path: "usr/bin/runc", layer: img.layers[0]!.diffId }]);
    });

    it("nothing else: no other ecosystem invented from the node_modules files", () => {
      expect(new Set(inv.packages.map((p) => p.type))).toEqual(new Set(["deb", "npm", "golang"]));
    });
  },
);
