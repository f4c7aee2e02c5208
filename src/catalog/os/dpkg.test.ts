import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { OsInfo, Package } from "../../model/index.js";
import type { AnalyzerContext, CapturedFile } from "../analyzer.js";
import { dpkgAnalyzer, isInstalled, parseStanzas } from "./dpkg.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures/dpkg");
const DEBIAN12: OsInfo = { family: "debian", version: "12", codename: "bookworm", ecosystem: "Debian:12" };

const captured = (path: string, content: Buffer | string, layer = "sha256:l1"): CapturedFile => ({
  path,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  layer,
  mode: 0o644,
});

function run(files: CapturedFile[], os?: OsInfo) {
  const warnings: string[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const ctx: AnalyzerContext = { os, file: (p) => byPath.get(p), warn: (m) => warnings.push(m) };
  const pkgs = dpkgAnalyzer.analyze(files, ctx) as Package[];
  return { pkgs, warnings };
}

/** every regular file under a fixture root, as the walker would capture it if dpkgAnalyzer matched it */
function captureTree(root: string): CapturedFile[] {
  const out: CapturedFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(root, p);
        if (dpkgAnalyzer.match(rel)) out.push(captured(rel, readFileSync(p)));
      }
    }
  };
  walk(root);
  return out;
}

const hasDpkgQuery = spawnSync("dpkg-query", ["--version"]).status === 0;
const tmp = mkdtempSync(join(tmpdir(), "airbag-dpkg-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** dpkg-query's own answer for a status file: a throwaway admindir holding just `status` is enough. */
function oracle(status: Buffer): string[] {
  const dir = mkdtempSync(join(tmp, "admin-"));
  writeFileSync(join(dir, "status"), status);
  const r = spawnSync(
    "dpkg-query",
    [
      `--admindir=${dir}`,
      "-W",
      "-f",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format placeholders, not JS
      "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n",
    ],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split("\n")
    .filter((l) => /\t(ii|hi)\S? ?$/.test(l))
    .map((l) => l.split("\t").slice(0, 5).join("\t"))
    .sort();
}

const rows = (pkgs: Package[]) =>
  pkgs.map((p) => [p.name, p.version, p.arch ?? "", p.source?.name, p.source?.version].join("\t")).sort();

const statusFixtures = readdirSync(join(FIX, "status")).filter((f) => f.endsWith(".status"));

describe("dpkg status against dpkg-query", () => {
  it.skipIf(!hasDpkgQuery).each(statusFixtures)("%s matches dpkg-query -W (ii/hi)", (name) => {
    const content = readFileSync(join(FIX, "status", name));
    const { pkgs } = run([captured("var/lib/dpkg/status", content)], DEBIAN12);
    const expected = oracle(content);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows(pkgs)).toEqual(expected);
  });

  it.skipIf(!hasDpkgQuery || !existsSync("/var/lib/dpkg/status"))(
    "this machine's /var/lib/dpkg/status",
    () => {
      const content = readFileSync("/var/lib/dpkg/status");
      const { pkgs, warnings } = run([captured("var/lib/dpkg/status", content)], DEBIAN12);
      expect(warnings).toEqual([]);
      expect(pkgs.length).toBeGreaterThan(50);
      expect(rows(pkgs)).toEqual(oracle(content));
    },
  );

  const expectedDir = join(FIX, "expected");
  it.each(readdirSync(expectedDir))("recorded Debian 12 dpkg-query output %s", (tsv) => {
    const content = readFileSync(join(FIX, "status", tsv.replace(/\.tsv$/, "")));
    const { pkgs } = run([captured("var/lib/dpkg/status", content)], DEBIAN12);
    // recorded columns: package, version, source, source version, arch, abbrev
    const expected = readFileSync(join(expectedDir, tsv), "utf8")
      .split("\n")
      .filter((l) => /\t(ii|hi) $/.test(l))
      .map((l) => {
        const [n, v, sn, sv, a] = l.split("\t");
        return [n, v, a, sn, sv].join("\t");
      })
      .sort();
    expect(rows(pkgs)).toEqual(expected);
  });

  // texlive.status (357 packages, 467 KB) stays in shared/ rather than in the repo
  const texlive = [process.env.AIRBAG_SHARED_DATA, "/work/shared/data", join(FIX, "../../../../shared/data")]
    .filter((d): d is string => !!d)
    .map((d) => join(d, "pkgdb-fixtures/claircore/dpkg/testdata/texlive.status"))
    .find((p) => existsSync(p));
  it.skipIf(!texlive || !hasDpkgQuery)("large real status file (texlive) matches dpkg-query", () => {
    const content = readFileSync(texlive!);
    const { pkgs } = run([captured("var/lib/dpkg/status", content)], DEBIAN12);
    expect(pkgs.length).toBeGreaterThan(300);
    expect(rows(pkgs)).toEqual(oracle(content));
  });
});

describe("dpkg package fields", () => {
  const ubuntu: OsInfo = {
    family: "ubuntu",
    version: "18.04",
    codename: "bionic",
    ecosystem: "Ubuntu:18.04:LTS",
  };
  const { pkgs } = run(
    [captured("var/lib/dpkg/status", readFileSync(join(FIX, "status/trivy-ubuntu1804.status")))],
    ubuntu,
  );

  it("builds purl, ecosystem, source and location", () => {
    const fdisk = pkgs.find((p) => p.name === "fdisk")!;
    expect(fdisk).toMatchObject({
      ecosystem: "Ubuntu:18.04:LTS",
      version: "2.31.1-0.4ubuntu3.1",
      type: "deb",
      arch: "amd64",
      purl: "pkg:deb/ubuntu/fdisk@2.31.1-0.4ubuntu3.1?arch=amd64&distro=ubuntu-18.04",
      source: { name: "util-linux", version: "2.31.1-0.4ubuntu3.1" },
      locations: [{ path: "var/lib/dpkg/status", layer: "sha256:l1" }],
      licenses: [],
    });
    expect(fdisk.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("takes the source version from `Source: name (version)` and keeps epochs", () => {
    const { pkgs } = run(
      [captured("var/lib/dpkg/status", readFileSync(join(FIX, "status/trivy-corrupted.status")))],
      DEBIAN12,
    );
    const gcc = pkgs.find((p) => p.name === "libgcc1")!;
    expect(gcc.version).toBe("1:5.1.1-12ubuntu1");
    expect(gcc.source).toEqual({ name: "gcc-5", version: "5.1.1-12ubuntu1" });
    expect(gcc.purl).toBe("pkg:deb/debian/libgcc1@1%3A5.1.1-12ubuntu1?arch=amd64&distro=debian-12");
  });

  it("orders output by name then arch and is stable across runs", () => {
    const keys = pkgs.map((p) => [p.name, p.arch ?? ""] as const);
    const sorted = [...keys].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
    expect(keys).toEqual(sorted);
    expect(keys.findIndex(([n]) => n === "libpam-modules")).toBeLessThan(
      keys.findIndex(([n]) => n === "libpam-modules-bin"),
    );
    const again = run(
      [captured("var/lib/dpkg/status", readFileSync(join(FIX, "status/trivy-ubuntu1804.status")))],
      ubuntu,
    ).pkgs;
    expect(again).toEqual(pkgs);
  });

  it("defaults the ecosystem to Debian when the OS is unknown and omits distro", () => {
    const { pkgs } = run([
      captured("var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n"),
    ]);
    expect(pkgs).toHaveLength(1);
    expect(pkgs[0]!.ecosystem).toBe("Debian");
    expect(pkgs[0]!.purl).toBe("pkg:deb/debian/a@1");
  });
});

describe("dpkg installed state", () => {
  it("keeps ii and hi only", () => {
    expect(isInstalled("install ok installed")).toBe(true);
    expect(isInstalled("hold ok installed")).toBe(true);
    expect(isInstalled("install reinstreq installed")).toBe(true);
    for (const s of [
      "deinstall ok config-files",
      "install ok half-installed",
      "install ok unpacked",
      "purge ok installed",
      "deinstall ok installed",
      "install ok triggers-pending",
      "installed",
      "",
    ]) {
      expect(isInstalled(s), s).toBe(false);
    }
  });

  it("status field fixture: only wantinstall_installed survives", () => {
    const { pkgs } = run([
      captured("var/lib/dpkg/status", readFileSync(join(FIX, "status/scalibr-statusfield.status"))),
    ]);
    expect(pkgs.map((p) => p.name)).toEqual(["wantinstall_installed"]);
  });
});

describe("distroless status.d", () => {
  it("treats entries without Status as installed, ignores md5sums/preinst, reads the copyright", () => {
    const files = captureTree(join(FIX, "distroless"));
    expect(files.map((f) => f.path).sort()).toEqual([
      "usr/share/doc/libsqlite3-0/copyright",
      "var/lib/dpkg/status.d/libsqlite3-0",
    ]);
    const { pkgs, warnings } = run(files, DEBIAN12);
    expect(warnings).toEqual([]);
    expect(pkgs).toHaveLength(1);
    expect(pkgs[0]).toMatchObject({
      name: "libsqlite3-0",
      version: "3.34.1-3",
      arch: "arm64",
      source: { name: "sqlite3", version: "3.34.1-3" },
      purl: "pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&distro=debian-12",
      locations: [{ path: "var/lib/dpkg/status.d/libsqlite3-0" }],
      licenses: ["public-domain", "GPL-2.0-or-later"],
    });
  });

  it("multi-stanza files, removed packages and malformed stanzas", () => {
    const dir = join(FIX, "status.d");
    const files = readdirSync(dir).map((n) =>
      captured(`var/lib/dpkg/status.d/${n}`, readFileSync(join(dir, n))),
    );
    const { pkgs, warnings } = run(files, DEBIAN12);
    const names = pkgs.map((p) => p.name);
    // coreutils-relationships: 4 stanzas with Status installed (+ name-only stanzas without a version)
    expect(names).toEqual(expect.arrayContaining(["coreutils", "libacl1", "libc6", "tzdata", "util-linux"]));
    expect(names).toContain("linux-image-6.14.0-1012-aws");
    expect(names).not.toContain("linux-image-6.8.0-1029-aws"); // deinstall ok config-files
    expect(names).not.toContain("no-version");
    expect(pkgs.find((p) => p.name === "tzdata")?.source).toEqual({
      name: "tzdata-dev",
      version: "2020a-0+deb10u1",
    });
    expect(warnings.some((w) => w.includes("status.d/corrupt"))).toBe(true);
    expect(warnings.some((w) => w.includes("status.d/multiple:1"))).toBe(true);
  });

  it("match() selects status, status.d stanza files and copyright files", () => {
    expect(dpkgAnalyzer.match("var/lib/dpkg/status")).toBe(true);
    expect(dpkgAnalyzer.match("var/lib/dpkg/status.d/python3.11")).toBe(true);
    expect(dpkgAnalyzer.match("var/lib/dpkg/status.d/base.md5sums")).toBe(false);
    expect(dpkgAnalyzer.match("var/lib/dpkg/status-old")).toBe(false);
    expect(dpkgAnalyzer.match("var/lib/dpkg/available")).toBe(false);
    expect(dpkgAnalyzer.match("usr/share/doc/bash/copyright")).toBe(true);
    expect(dpkgAnalyzer.match("usr/share/doc/bash/examples/copyright")).toBe(false);
  });
});

describe("dpkg parser robustness", () => {
  it("tolerates CRLF line endings", () => {
    const lf = readFileSync(join(FIX, "status/trivy-ubuntu1804.status"), "utf8");
    const a = run([captured("var/lib/dpkg/status", lf)], DEBIAN12).pkgs;
    const b = run([captured("var/lib/dpkg/status", lf.replace(/\n/g, "\r\n"))], DEBIAN12).pkgs;
    expect(rows(b)).toEqual(rows(a));
    expect(a.length).toBeGreaterThan(80);
  });

  it("joins continuation lines into multi-line fields", () => {
    const [st] = parseStanzas("Package: x\nDescription: short\n long one\n .\n\tTabbed\nVersion: 1\n");
    expect(st!.fields.description).toBe("short\nlong one\n.\nTabbed");
    expect(st!.fields.version).toBe("1");
  });

  it("field names are case-insensitive; whitespace-only lines separate stanzas", () => {
    const st = parseStanzas(
      "package: a\nSTATUS: install ok installed\nversion: 1\n \t\nPackage: b\nVersion: 2\n",
    );
    expect(st).toHaveLength(2);
    const { pkgs } = run([
      captured("var/lib/dpkg/status.d/x", "package: a\nversion: 1\n  \nPackage: b\nVersion: 2\n"),
    ]);
    expect(pkgs.map((p) => p.name)).toEqual(["a", "b"]);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.boolean(), (s, distroless) => {
        const path = distroless ? "var/lib/dpkg/status.d/x" : "var/lib/dpkg/status";
        const { pkgs } = run([captured(path, s), captured("usr/share/doc/x/copyright", s)]);
        for (const p of pkgs) expect(p.name.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("extracts exactly the installed stanzas of generated status files", () => {
    const token = fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,12}$/);
    const stanza = fc.record({
      name: token,
      version: fc.stringMatching(/^[0-9][a-z0-9.+~-]{0,10}$/),
      arch: fc.constantFrom("amd64", "arm64", "all"),
      status: fc.constantFrom("install ok installed", "hold ok installed", "deinstall ok config-files"),
      crlf: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(stanza, { selector: (s) => `${s.name}/${s.arch}` }), (list) => {
        const text = list
          .map((s) => {
            const body = `Package: ${s.name}\nStatus: ${s.status}\nArchitecture: ${s.arch}\nVersion: ${s.version}\nDescription: d\n x\n`;
            return s.crlf ? body.replace(/\n/g, "\r\n") : body;
          })
          .join("\n");
        const { pkgs } = run([captured("var/lib/dpkg/status", text)]);
        const want = list
          .filter((s) => s.status.endsWith(" installed"))
          .map((s) => `${s.name}\t${s.version}\t${s.arch}`)
          .sort();
        expect(pkgs.map((p) => `${p.name}\t${p.version}\t${p.arch}`).sort()).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});
