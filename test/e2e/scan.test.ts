import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report, VulnerabilityFinding } from "../../src/model/index.js";
import { importIntoDatabase } from "../../src/vulndb/index.js";
import { buildImage, writeOciLayout } from "../support/image-builder.js";
import { addFormats } from "../support/sbom-fixture.js";

/**
 * `airbag scan` as a user runs it: the built CLI over an OCI layout, against a database imported from
 * real advisories (Debian security tracker JSON via vunnel's fixture, an OSV MAL record, NVD, KEV).
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const VULNDB = join(ROOT, "test/fixtures/vulndb");

const OS_RELEASE =
  'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
// chromium: tracker says fixed in bookworm at 98.0.4758.80-1 (CVE-2022-0456);
// libsope1 is built from source "sope": CVE-2025-53603 fixed in 5.8.0-1+deb12u1
const STATUS = `Package: chromium
Status: install ok installed
Architecture: amd64
Version: 97.0.4692.99-1

Package: libsope1
Status: install ok installed
Architecture: amd64
Source: sope
Version: 5.8.0-1

Package: sope-dummy-fixed
Status: install ok installed
Architecture: amd64
Source: sope
Version: 5.8.0-1+deb12u1
`;
const FLATMAP = JSON.stringify({ name: "flatmap-stream", version: "0.1.1" });

let tmp: string;
let image: string;
let db: string;

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 1 << 26 },
      (err, stdout, stderr) =>
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-scan-"));
  const img = await buildImage({
    layers: [
      { "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS },
      { "app/node_modules/flatmap-stream/package.json": FLATMAP },
    ],
  });
  image = join(tmp, "oci");
  await writeOciLayout(image, img);
  db = join(tmp, "db.sqlite");
  await importIntoDatabase(
    db,
    [join(VULNDB, "debian/vunnel-debian.json"), join(VULNDB, "osv/MAL-2025-20690.json"), join(VULNDB, "kev")],
    { warn: () => {} },
  );
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const byId = (r: Report, id: string) =>
  r.findings.find((f): f is VulnerabilityFinding => f.kind === "vulnerability" && f.id === id);

describe("airbag scan", () => {
  it("reports distro and language findings with fixed versions, matching Debian by source package", async () => {
    const { code, stdout, stderr } = await run(["scan", `oci:${image}`, "--db", db, "--format", "json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    const chromium = byId(report, "CVE-2022-0456");
    expect(chromium).toMatchObject({
      installedVersion: "97.0.4692.99-1",
      fixedVersion: "98.0.4758.80-1",
      status: "fixed",
    });
    const sope = report.findings.filter((f) => f.id === "CVE-2025-53603") as VulnerabilityFinding[];
    // only libsope1 is below the fix; the package already at 5.8.0-1+deb12u1 is not a finding
    expect(sope.map((f) => report.packages.find((p) => p.id === f.package)?.name)).toEqual(["libsope1"]);
    expect(byId(report, "MAL-2025-20690")).toMatchObject({ installedVersion: "0.1.1", severity: "critical" });
    expect(report.metadata.db).toMatchObject({ path: db, schemaVersion: expect.any(Number) });
    // the JSON report obeys its published schema
    const schema = JSON.parse(await readFile(join(ROOT, "schemas/report.schema.json"), "utf8"));
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema(JSON.parse(await readFile(join(ROOT, "schemas/inventory.schema.json"), "utf8")));
    const validate = ajv.compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  });

  it("--fail-on trips with exit 1 only when a reported finding reaches the threshold", async () => {
    const tripped = await run([
      "scan",
      `oci:${image}`,
      "--db",
      db,
      "--fail-on",
      "low",
      "-o",
      join(tmp, "r.txt"),
    ]);
    expect(tripped.code).toBe(1);
    expect(tripped.stderr).toMatch(/finding\(s\) at or above low \(--fail-on low\)/);
    // with every finding ignored, the same gate passes
    const ids = JSON.parse(
      (await run(["scan", `oci:${image}`, "--db", db, "--format", "json"])).stdout,
    ) as Report;
    const ignore = join(tmp, "ignore-all.yaml");
    await writeFile(
      ignore,
      `ignore:\n${[...new Set(ids.findings.map((f) => f.id))].map((id) => `  - id: ${id}\n    reason: accepted in test\n`).join("")}`,
    );
    const passed = await run([
      "scan",
      `oci:${image}`,
      "--db",
      db,
      "--fail-on",
      "low",
      "--ignore-file",
      ignore,
      "-f",
      "json",
    ]);
    expect(passed.code).toBe(0);
    const r = JSON.parse(passed.stdout) as Report;
    expect(r.findings).toEqual([]);
    expect(r.suppressed.length).toBe(ids.findings.length);
    expect(r.suppressed[0]!.reason).toMatch(
      /^ignored by .*ignore-all\.yaml: ignore\[\d+\]: accepted in test$/,
    );
  });

  it("ignore rules honour package, path and expiry; an expired rule warns and stops suppressing", async () => {
    const ignore = join(tmp, "ignore.yaml");
    await writeFile(
      ignore,
      [
        "ignore:",
        "  - id: CVE-2022-0456",
        "    package: pkg:deb/debian/chromium",
        "    reason: kiosk only",
        "  - id: MAL-2025-20690",
        "    path: app/node_modules/**",
        "    reason: expired acceptance",
        "    expires: 2020-01-01",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await run([
      "scan",
      image,
      "--db",
      db,
      "-f",
      "json",
      "--ignore-file",
      ignore,
      "-v",
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as Report;
    expect(r.suppressed.map((s) => s.finding.id)).toEqual(["CVE-2022-0456"]);
    expect(byId(r, "MAL-2025-20690")).toBeDefined();
    expect(stderr).toMatch(/ignore\[1\] \(MAL-2025-20690\) expired on 2020-01-01; no longer suppressing/);
  });

  it("OpenVEX not_affected suppresses the named package only", async () => {
    const vex = join(tmp, "vex.json");
    await writeFile(
      vex,
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        author: "test",
        timestamp: "2026-01-01T00:00:00Z",
        version: 1,
        statements: [
          {
            vulnerability: { name: "CVE-2025-53603" },
            products: [{ "@id": "pkg:deb/debian/libsope1" }],
            status: "not_affected",
            justification: "vulnerable_code_not_in_execute_path",
          },
        ],
      }),
    );
    const { code, stdout } = await run(["scan", image, "--db", db, "-f", "json", "--vex", vex]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as Report;
    expect(r.findings.some((f) => f.id === "CVE-2025-53603")).toBe(false);
    expect(r.suppressed.find((s) => s.finding.id === "CVE-2025-53603")?.reason).toMatch(
      /^VEX not_affected \(vulnerable_code_not_in_execute_path\)/,
    );
  });

  it("--severity and --only-fixed move findings to suppressed, never drop them", async () => {
    const all = JSON.parse(
      (await run(["scan", image, "--db", db, "-f", "json", "--scanners", "vuln"])).stdout,
    ) as Report;
    const fixed = JSON.parse(
      (await run(["scan", image, "--db", db, "-f", "json", "--only-fixed", "--scanners", "vuln"])).stdout,
    ) as Report;
    expect(fixed.findings.every((f) => f.kind === "vulnerability" && f.fixedVersion)).toBe(true);
    expect(fixed.findings.length + fixed.suppressed.length).toBe(all.findings.length);
    expect(fixed.suppressed.find((s) => s.finding.id === "MAL-2025-20690")?.reason).toMatch(/--only-fixed/);
  });

  it("scans an SBOM produced by airbag sbom the same as the image", async () => {
    const sbom = join(tmp, "sbom.cdx.json");
    expect((await run(["sbom", image, "-f", "cyclonedx", "-o", sbom])).code).toBe(0);
    const fromImage = JSON.parse(
      (await run(["scan", image, "--db", db, "-f", "json", "--scanners", "vuln"])).stdout,
    ) as Report;
    const fromSbom = await run(["scan", `sbom:${sbom}`, "--db", db, "-f", "json"]);
    expect(fromSbom.code).toBe(0);
    const ids = (r: Report) => r.findings.map((f) => f.id).sort();
    expect(ids(JSON.parse(fromSbom.stdout) as Report)).toEqual(ids(fromImage));
  });

  it("input and usage errors exit 2 with one line naming the problem", async () => {
    const missing = await run(["scan", image, "--db", join(tmp, "nope.sqlite")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/nope\.sqlite: no vulnerability database; run "airbag db update"/);
    const badFormat = await run(["scan", image, "--db", db, "-f", "xml"]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/--format: unknown report format "xml"/);
    const badSev = await run(["scan", image, "--db", db, "--fail-on", "severe"]);
    expect([badSev.code, badSev.stderr.trim()]).toEqual([
      2,
      'airbag: --fail-on: unknown severity "severe" (use critical, high, medium, low, unknown)',
    ]);
    const badIgnore = join(tmp, "bad.yaml");
    await writeFile(badIgnore, "ignore:\n  - id: CVE-1\n");
    const ign = await run(["scan", image, "--db", db, "--ignore-file", badIgnore]);
    expect([ign.code, ign.stderr.trim()]).toEqual([
      2,
      `airbag: ${badIgnore}: ignore[0]: missing "reason" (say why the finding is accepted)`,
    ]);
    // the default DB location comes from $AIRBAG_DB
    const env = await run(["scan", image, "-f", "json"], { AIRBAG_DB: db });
    expect(env.code).toBe(0);
  });
});
