import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DPKG_QUERY_FORMAT, parseDpkgQuery } from "../support/debian-rootfs.js";
import { buildImage, layerTar, writeDockerArchive, writeOciLayout } from "../support/image-builder.js";

/**
 * The built CLI (`node dist/cli/main.js`) as a user runs it: real process, real exit codes, real
 * stdout/stderr. The image is a small OCI layout / docker archive holding a real dpkg status file; the
 * oracle for its package list is the host's own `dpkg-query`.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const FIXTURE = join(ROOT, "test/fixtures/dpkg/status/scalibr-valid.status");

const skip = (() => {
  try {
    execFileSync("sh", ["-c", "command -v dpkg-query"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "dpkg-query is not installed (it is the oracle for the package list)";
  }
})();
if (skip) console.warn(`[e2e/cli] skipped: ${skip}`);

const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;

/** used when the shared fixture is not there: two installed packages and one removed ("rc") */
const SMALL_STATUS = `Package: libacl1
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Multi-Arch: same
Source: acl
Version: 2.3.1-3
Description: access control list - shared library

Package: util-linux-extra
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5)
Version: 2.38.1-5+b1
Description: interactive login tools

Package: e2fsprogs
Status: deinstall ok config-files
Architecture: amd64
Version: 1.47.0-2
Description: ext2/ext3/ext4 file system utilities
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 << 20, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

/** newest mtime of the sources the build compiles */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** a single line on stderr, no stack frames */
function expectOneLineError(r: Run, ...mentions: string[]) {
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^airbag: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const m of mentions) expect(r.stderr).toContain(m);
}

describe.skipIf(!!skip)("e2e: the airbag CLI", () => {
  let tmp: string;
  let layout: string;
  let archive: string;
  let diffId: string;
  let expected: { name: string; version: string; arch: string }[];

  beforeAll(async () => {
    const stale = !existsSync(CLI) || newestSource(join(ROOT, "src")) > statSync(CLI).mtimeMs;
    // the same as `npm run build`, without needing npm on PATH
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    if (stale)
      execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });

    tmp = await mkdtemp(join(tmpdir(), "airbag-cli-"));
    const status = existsSync(FIXTURE) ? await readFile(FIXTURE) : Buffer.from(SMALL_STATUS);
    await writeFile(join(tmp, "status"), status);
    const q = execFileSync("dpkg-query", [`--admindir=${tmp}`, "-W", "-f", DPKG_QUERY_FORMAT], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    expected = parseDpkgQuery(q).map(({ name, version, arch }) => ({ name, version, arch }));

    const img = await buildImage({
      layers: [
        [
          { path: "usr/lib/os-release", content: OS_RELEASE },
          { path: "etc/os-release", type: "symlink", target: "../usr/lib/os-release" },
          { path: "var/lib/dpkg/status", content: status },
        ],
      ],
    });
    diffId = img.layers[0]!.diffId;
    layout = join(tmp, "layout");
    archive = join(tmp, "image.tar");
    await writeOciLayout(layout, img, "1");
    await writeDockerArchive(archive, img, { tags: ["example/deb:1"] });

    // tampered copies: same manifests, different layer bytes
    const evil = Buffer.from(await layerTar({ "var/lib/dpkg/status": "Package: evil\nVersion: 6.6.6\n" }));
    const badLayout = join(tmp, "bad-layout");
    await writeOciLayout(badLayout, img, "1");
    await writeFile(join(badLayout, "blobs", ...img.layers[0]!.digest.split(":")), evil);
    await writeDockerArchive(join(tmp, "bad.tar"), img, { layerData: () => evil });
  }, 180_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("the oracle found the packages", () => {
    expect(expected.length).toBeGreaterThanOrEqual(2);
  });

  const purlOf = (p: { name: string; version: string; arch: string }) =>
    `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}?arch=${p.arch}&distro=debian-12`;

  it("sbom --format json: parses and lists exactly the installed packages", async () => {
    for (const target of [`oci:${layout}:1`, `docker-archive:${archive}`, archive]) {
      const r = await cli("sbom", target, "--format", "json");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      const inv = JSON.parse(r.stdout);
      expect(inv.schemaVersion).toBe(1);
      expect(inv.target.os).toMatchObject({ family: "debian", version: "12", codename: "bookworm" });
      expect(inv.target.kind).toBe(target.startsWith("oci:") ? "oci" : "docker-archive");
      const got = inv.packages.map((p: { name: string; version: string; arch: string }) => ({
        name: p.name,
        version: p.version,
        arch: p.arch,
      }));
      expect(got).toEqual(expect.arrayContaining(expected));
      expect(got).toHaveLength(expected.length);
      for (const p of inv.packages) {
        expect(p.ecosystem).toBe("Debian:12");
        expect(p.locations).toEqual([{ path: "var/lib/dpkg/status", layer: diffId }]);
      }
      expect(inv.packages.map((p: { purl: string }) => decodeURIComponent(p.purl))).toEqual(
        expect.arrayContaining(expected.map((e) => decodeURIComponent(purlOf(e)))),
      );
    }
  });

  it("sbom --format cyclonedx: a CycloneDX JSON document with every package's purl", async () => {
    const r = await cli("sbom", `oci:${layout}`, "--format", "cyclonedx");
    expect(r.code, r.stderr).toBe(0);
    const bom = JSON.parse(r.stdout);
    expect(bom.bomFormat).toBe("CycloneDX");
    expect(bom.specVersion).toMatch(/^1\.\d+$/);
    const purls = (bom.components ?? []).map((c: { purl?: string }) => c.purl && decodeURIComponent(c.purl));
    for (const e of expected) expect(purls).toContain(decodeURIComponent(purlOf(e)));
  });

  it("sbom --format spdx: an SPDX JSON document with every package's purl", async () => {
    const r = await cli("sbom", `oci:${layout}`, "--format", "spdx");
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.spdxVersion).toMatch(/^SPDX-2\.\d$/);
    const locators = (doc.packages ?? []).flatMap((p: { externalRefs?: { referenceLocator: string }[] }) =>
      (p.externalRefs ?? []).map((x) => decodeURIComponent(x.referenceLocator)),
    );
    for (const e of expected) expect(locators).toContain(decodeURIComponent(purlOf(e)));
  });

  it("sbom --format table lists the packages", async () => {
    const r = await cli("sbom", `oci:${layout}`, "--format", "table");
    expect(r.code, r.stderr).toBe(0);
    for (const e of expected) expect(r.stdout).toContain(e.name);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it("-o FILE writes the document there and nothing to stdout", async () => {
    const out = join(tmp, "sbom.json");
    const r = await cli("sbom", `oci:${layout}`, "--format", "json", "-o", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const inv = JSON.parse(await readFile(out, "utf8"));
    expect(inv.packages.map((p: { name: string }) => p.name).sort()).toEqual(
      expected.map((e) => e.name).sort(),
    );
  });

  it("a missing file: exit 2, one line naming the path, no stack", async () => {
    const missing = join(tmp, "does-not-exist.tar");
    for (const target of [missing, `docker-archive:${missing}`, `oci:${missing}`]) {
      const r = await cli("sbom", target, "--format", "json");
      expect(r.code, target).toBe(2);
      expect(r.stdout).toBe("");
      expectOneLineError(r, missing);
    }
  });

  it("a tampered layer (digest mismatch): exit 2, one line, nothing on stdout", async () => {
    for (const target of [`oci:${join(tmp, "bad-layout")}:1`, `docker-archive:${join(tmp, "bad.tar")}`]) {
      // --no-cache: a layer already in the layer cache (same diffID) is never read again, by design
      const r = await cli("sbom", target, "--format", "json", "--no-cache");
      expect(r.code, `${target}: ${r.stdout.slice(0, 200)}`).toBe(2);
      expect(r.stdout).toBe("");
      expectOneLineError(r);
      expect(r.stderr).toMatch(/digest|diff ?id|mismatch|sha256/i);
      expect(r.stderr).not.toContain("6.6.6");
    }
  });

  it("an unknown format: exit 2, one line naming the flag, before any scanning", async () => {
    const r = await cli("sbom", join(tmp, "does-not-exist.tar"), "--format", "xml");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expectOneLineError(r, "xml");
    expect(r.stderr).toContain("--format");
  });

  it("--help exits 0 and describes the sbom command", async () => {
    const top = await cli("--help");
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("sbom");
    const sub = await cli("sbom", "--help");
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--format/);
    expect(sub.stdout).toMatch(/--output|-o/);
  });

  it("--debug prints the stack trace of an input error (still exit 2)", async () => {
    const missing = join(tmp, "does-not-exist.tar");
    const r = await cli("--debug", "sbom", missing);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
