import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OsInfo, Package } from "../../model/index.js";
import type { AnalyzerContext, CapturedFile } from "../analyzer.js";
import { apkAnalyzer, parseApkRecords } from "./apk.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures/apk");
const ALPINE: OsInfo = { family: "alpine", version: "3.19.1", ecosystem: "Alpine:v3.19" };

const captured = (content: Buffer | string, path = "lib/apk/db/installed"): CapturedFile => ({
  path,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  layer: "sha256:aa",
  mode: 0o644,
});

/** `null` = no OS detected */
function run(files: CapturedFile[], os: OsInfo | null = ALPINE) {
  const warnings: string[] = [];
  const ctx: AnalyzerContext = { os: os ?? undefined, file: () => undefined, warn: (m) => warnings.push(m) };
  return { pkgs: apkAnalyzer.analyze(files, ctx) as Package[], warnings };
}
const fixture = (name: string) => captured(readFileSync(join(FIX, name)));
const byName = (pkgs: Package[], name: string) => pkgs.find((p) => p.name === name);

describe("apk installed database (real fixtures)", () => {
  it("osv-scalibr installed: 15 packages (Alpine 3.18)", () => {
    const { pkgs, warnings } = run([fixture("scalibr-installed")]);
    expect(warnings).toEqual([]);
    expect(pkgs).toHaveLength(15);
    expect(byName(pkgs, "busybox-binsh")).toMatchObject({
      version: "1.36.0-r9",
      arch: "x86_64",
      source: { name: "busybox", version: "1.36.0-r9" },
      licenses: ["GPL-2.0-only"],
      ecosystem: "Alpine:v3.19",
      type: "apk",
      purl: "pkg:apk/alpine/busybox-binsh@1.36.0-r9?arch=x86_64&distro=alpine-3.19.1",
      locations: [{ path: "lib/apk/db/installed", layer: "sha256:aa" }],
    });
    expect(byName(pkgs, "libcrypto3")?.source?.name).toBe("openssl");
    expect(byName(pkgs, "musl-utils")?.licenses).toEqual(["MIT AND BSD-2-Clause AND GPL-2.0-or-later"]);
  });

  it("trivy apk: skips the record without a version and keeps SPDX expressions whole", () => {
    const { pkgs, warnings } = run([fixture("trivy-installed")]);
    expect(pkgs).toHaveLength(15);
    expect(byName(pkgs, "invalidPackageWithoutAVersion")).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/lib\/apk\/db\/installed:23: skipped record without a valid P\/V/);
    expect(byName(pkgs, "ada-libs")?.licenses).toEqual(["( Apache-2.0 OR MIT ) AND MPL-2.0"]);
    expect(byName(pkgs, "test")).toMatchObject({
      version: "2.9.11_pre20061021-r2",
      source: { name: "test-parent" },
    });
    expect(byName(pkgs, "musl-utils")?.licenses).toEqual(["MIT BSD GPL2+"]);
  });

  it("syft multiple-2: 14 packages with origins", () => {
    const { pkgs } = run([fixture("syft-multiple-2-installed")]);
    expect(pkgs).toHaveLength(14);
    expect(byName(pkgs, "libssl1.1")).toMatchObject({ version: "1.1.1q-r0", source: { name: "openssl" } });
    expect(byName(pkgs, "scanelf")?.source?.name).toBe("pax-utils");
  });

  it("no-origin: the package is its own source", () => {
    const { pkgs } = run([fixture("scalibr-no-origin")]);
    expect(pkgs.map((p) => [p.name, p.source?.name])).toEqual([["pkgname", "pkgname"]]);
  });

  it("noarch packages keep their arch; invalid files only warn", () => {
    expect(run([fixture("scalibr-different-arch")]).pkgs[0]?.purl).toBe(
      "pkg:apk/alpine/alpine-baselayout-data@3.4.3-r1?arch=noarch&distro=alpine-3.19.1",
    );
    const { pkgs, warnings } = run([fixture("scalibr-invalid")]);
    expect(pkgs).toEqual([]);
    expect(warnings).toHaveLength(2);
  });

  it("output is sorted by name and identical across runs", () => {
    const a = run([fixture("scalibr-installed")]).pkgs;
    const names = a.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    expect(run([fixture("scalibr-installed")]).pkgs).toEqual(a);
  });
});

describe("apk distro namespace and ecosystem", () => {
  const rec = "P:glibc\nV:2.38-r5\nA:aarch64\no:glibc\nL:LGPL-2.1-or-later\n";
  it("wolfi", () => {
    const { pkgs } = run([captured(rec)], { family: "wolfi", version: "20230201", ecosystem: "Wolfi" });
    expect(pkgs[0]).toMatchObject({
      ecosystem: "Wolfi",
      purl: "pkg:apk/wolfi/glibc@2.38-r5?arch=aarch64&distro=wolfi-20230201",
    });
  });
  it("chainguard without an ecosystem on the OS", () => {
    const { pkgs } = run([captured(rec)], { family: "chainguard" });
    expect(pkgs[0]).toMatchObject({
      ecosystem: "Chainguard",
      purl: "pkg:apk/chainguard/glibc@2.38-r5?arch=aarch64",
    });
  });
  it("unknown OS falls back to Alpine", () => {
    expect(run([captured(rec)], null).pkgs[0]?.ecosystem).toBe("Alpine");
  });
  it("merges the same package seen at both database paths", () => {
    const { pkgs } = run([captured(rec), captured(rec, "usr/lib/apk/db/installed")]);
    expect(pkgs).toHaveLength(1);
    expect(pkgs[0]!.locations.map((l) => l.path)).toEqual([
      "lib/apk/db/installed",
      "usr/lib/apk/db/installed",
    ]);
  });
  it("match() accepts both database paths only", () => {
    expect(apkAnalyzer.match("lib/apk/db/installed")).toBe(true);
    expect(apkAnalyzer.match("usr/lib/apk/db/installed")).toBe(true);
    expect(apkAnalyzer.match("lib/apk/db/installed.old")).toBe(false);
    expect(apkAnalyzer.match("lib/apk/db/scripts.tar")).toBe(false);
  });
});

describe("apk parser robustness", () => {
  it("tolerates CRLF", () => {
    const text = readFileSync(join(FIX, "scalibr-installed"), "utf8").replace(/\n/g, "\r\n");
    const { pkgs, warnings } = run([captured(text)]);
    expect(warnings).toEqual([]);
    expect(pkgs).toHaveLength(15);
    expect(byName(pkgs, "zlib")?.version).toBe("1.2.13-r1");
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        parseApkRecords(s);
        for (const p of run([captured(s)]).pkgs) expect(p.version.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("extracts exactly the generated records", () => {
    const rec = fc.record({
      name: fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,12}$/),
      version: fc.stringMatching(/^[0-9][a-z0-9._]{0,8}-r[0-9]$/),
      origin: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(rec, { selector: (r) => r.name }), (list) => {
        const text = list
          .map(
            (r) =>
              `C:Q1abc=\nP:${r.name}\nV:${r.version}\nA:x86_64\n${r.origin ? `o:${r.origin}\n` : ""}F:usr\n`,
          )
          .join("\n");
        const { pkgs } = run([captured(text)]);
        expect(pkgs.map((p) => [p.name, p.version, p.source?.name])).toEqual(
          list
            .map((r) => [r.name, r.version, r.origin ?? r.name])
            .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)),
        );
      }),
      { numRuns: 200 },
    );
  });
});
