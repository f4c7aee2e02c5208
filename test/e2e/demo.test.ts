import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoImage, demoAdvisoriesDir } from "../../scripts/demo-image.js";
import { catalog } from "../../src/index.js";
import { matchInventory } from "../../src/match/matcher.js";
import type { Inventory, Package, VulnerabilityFinding } from "../../src/model/index.js";
import { type ImportStats, importIntoDatabase } from "../../src/vulndb/importers/index.js";
import { VulnDb } from "../../src/vulndb/store.js";

/**
 * `npm run demo`, through the library: the bundled example image (scripts/demo-image.js, the same code
 * the demo runs) scanned against a database built from the real advisory records bundled in
 * examples/demo-advisories/. Everything is in the repository: no network, no ../shared.
 * The expected values are the upstream records' own (Go vulndb, PyPA, GitHub Advisory Database, OpenSSF
 * malicious-packages); the versions are those recorded in the image.
 */

let tmp: string;
let inventory: Inventory;
let findings: VulnerabilityFinding[];
let stats: ImportStats[];
const warnings: string[] = [];
const byId = new Map<string, Package>();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "airbag-demo-test-"));
  mkdirSync(join(tmp, "image"));
  const { target } = buildDemoImage(join(tmp, "image"));
  inventory = await catalog(target, { onWarning: (m) => warnings.push(m) });
  for (const p of inventory.packages) byId.set(p.id, p);
  const dbPath = join(tmp, "db.sqlite");
  stats = await importIntoDatabase(dbPath, [demoAdvisoriesDir], { warn: (m) => warnings.push(m) });
  const db = VulnDb.open(dbPath, { readonly: true });
  try {
    findings = matchInventory(inventory, db);
  } finally {
    db.close();
  }
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** the one finding that carries `advisoryId` as its id or an alias */
function finding(advisoryId: string) {
  const hits = findings.filter((f) => f.id === advisoryId || f.aliases.includes(advisoryId));
  expect(hits, advisoryId).toHaveLength(1);
  const f = hits[0]!;
  return { ...f, pkg: byId.get(f.package)! };
}

const pkg = (ecosystem: string, name: string) =>
  inventory.packages.find((p) => p.ecosystem === ecosystem && p.name === name);

/** every JSON/YAML record file under the bundled advisories (LICENSE, README and the script excluded) */
function recordFiles(dir = demoAdvisoriesDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? recordFiles(join(dir, e.name))
      : /\.(json|ya?ml)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

describe("npm run demo (library path)", () => {
  it("the image holds Debian 12, a Go 1.19.8 binary, npm and PyPI packages", () => {
    expect(warnings).toEqual([]);
    expect(inventory.target.os).toMatchObject({ family: "debian", version: "12" });
    expect(inventory.packages.filter((p) => p.type === "deb").length).toBeGreaterThan(80);
    expect(pkg("Go", "stdlib")?.version).toBe("1.19.8");
    expect(pkg("Go", "golang.org/x/text")?.version).toBe("v0.3.8-0.20220509174342-b4bca84b0361");
    expect(pkg("Go", "stdlib")?.locations[0]?.path).toBe("opt/app/bin/greeter");
    const langs = (type: string) =>
      inventory.packages
        .filter((p) => p.type === type)
        .map((p) => `${p.name}@${p.version}`)
        .sort();
    // from the lockfile (node_modules is not installed in the demo image): direct and transitive
    expect(langs("npm")).toEqual([
      "asap@2.0.6",
      "dezalgo@1.0.4",
      "flatmap-stream@0.1.1",
      "for-in@1.0.2",
      "formidable@3.5.1",
      "hexoid@1.0.0",
      "is-extendable@1.0.1",
      "is-plain-object@2.0.4",
      "isobject@3.0.1",
      "jquery@2.2.4",
      "mixin-deep@1.3.1",
      "once@1.4.0",
      "wrappy@1.0.2",
    ]);
    expect(langs("pypi")).toEqual([
      "certifi@2020.12.5",
      "chardet@4.0.0",
      "idna@2.10",
      "pyyaml@5.3.1",
      "requests@2.25.1",
      "urllib3@1.26.4",
    ]);
  });

  it("imports every bundled record, and every record yields a finding (nothing irrelevant is bundled)", () => {
    const files = recordFiles();
    expect(stats).toEqual([{ format: "osv", files: files.length, records: files.length, skipped: 0 }]);
    expect(files.length).toBe(94);
    const named = new Set(findings.flatMap((f) => [f.id, ...f.aliases]));
    for (const f of files) {
      const id = f
        .split("/")
        .pop()!
        .replace(/\.(json|ya?ml)$/, "");
      expect(named.has(id), `${f} matches nothing in the demo image`).toBe(true);
    }
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    expect(bytes).toBeLessThan(300_000);
  });

  it("Go: stdlib advisories on the go1.19.8 binary, with the Go vulndb's fixed versions", () => {
    const stdlib = findings.filter((f) => byId.get(f.package)?.name === "stdlib");
    expect(stdlib).toHaveLength(80);
    // html/template: the first go1.19 point release after the binary's fixes it
    expect(finding("GO-2023-1751")).toMatchObject({
      id: "CVE-2023-24539",
      pkg: { name: "stdlib", ecosystem: "Go" },
      installedVersion: "1.19.8",
      fixedVersion: "1.19.9",
      status: "fixed",
    });
    // HTTP/2 rapid reset: never fixed on 1.19, the first fixed release is 1.20.10
    expect(finding("CVE-2023-39325")).toMatchObject({
      aliases: expect.arrayContaining(["GO-2023-2102"]),
      fixedVersion: "1.20.10",
    });
    // HTTP/2 CONTINUATION flood
    expect(finding("GO-2024-2687")).toMatchObject({ id: "CVE-2023-45288", fixedVersion: "1.21.9" });
    // the Go vulndb rates nothing, and the bundle holds no NVD records for these CVEs
    expect(new Set(stdlib.map((f) => f.severity))).toEqual(new Set(["unknown"]));
    expect(stdlib.every((f) => f.dataSource === "osv" && f.status === "fixed")).toBe(true);
  });

  it("Go: the golang.org/x/text dependency recorded in the binary's build info", () => {
    expect(finding("GO-2022-1059")).toMatchObject({
      id: "CVE-2022-32149",
      aliases: expect.arrayContaining(["GHSA-69ch-w2m2-3vjp"]),
      pkg: { name: "golang.org/x/text" },
      installedVersion: "v0.3.8-0.20220509174342-b4bca84b0361",
      fixedVersion: "0.3.8",
      status: "fixed",
    });
    expect(finding("GO-2026-5970").fixedVersion).toBe("0.39.0");
    expect(findings.filter((f) => byId.get(f.package)?.name === "golang.org/x/text")).toHaveLength(2);
  });

  it("npm: GitHub advisories with their ratings, and a known malicious package", () => {
    const formidable = finding("GHSA-75v8-2h7p-7m2m");
    expect(formidable).toMatchObject({
      id: "CVE-2025-46653",
      pkg: { name: "formidable", ecosystem: "npm" },
      installedVersion: "3.5.1",
      fixedVersion: "3.5.3",
      severity: "low",
    });
    expect(formidable.cvss).toEqual([
      expect.objectContaining({ version: "3.1", vector: "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:N/I:L/A:N" }),
    ]);
    expect(finding("GHSA-mhpp-875w-9cpv")).toMatchObject({
      id: "CVE-2016-10707",
      pkg: { name: "jquery" },
      fixedVersion: "3.0.0",
    });
    // two ranges (1.x fixed in 1.3.2, 2.x in 2.0.1): the 1.x fix applies to 1.3.1
    expect(finding("GHSA-fhjf-83wg-r2j9")).toMatchObject({
      id: "CVE-2019-10746",
      pkg: { name: "mixin-deep" },
      fixedVersion: "1.3.2",
    });
    const mal = finding("MAL-2025-20690");
    expect(mal).toMatchObject({
      pkg: { name: "flatmap-stream" },
      installedVersion: "0.1.1",
      status: "affected",
    });
    expect(mal.fixedVersion).toBeUndefined();
  });

  it("PyPI: PyPA advisories, CVSS-rated where the record is", () => {
    expect(finding("PYSEC-2023-192")).toMatchObject({
      id: "CVE-2023-43804",
      pkg: { name: "urllib3", ecosystem: "PyPI" },
      installedVersion: "1.26.4",
      fixedVersion: "1.26.17",
      severity: "high",
    });
    expect(finding("PYSEC-2023-212")).toMatchObject({ fixedVersion: "1.26.18", severity: "medium" });
    expect(finding("PYSEC-2021-108")).toMatchObject({ id: "CVE-2021-33503", fixedVersion: "1.26.5" });
    expect(finding("PYSEC-2024-60")).toMatchObject({
      id: "CVE-2024-3651",
      pkg: { name: "idna" },
      fixedVersion: "3.7",
      severity: "high",
    });
    expect(finding("PYSEC-2023-74")).toMatchObject({
      id: "CVE-2023-32681",
      pkg: { name: "requests" },
      fixedVersion: "2.31.0",
    });
    expect(finding("PYSEC-2021-142")).toMatchObject({
      id: "CVE-2020-14343",
      pkg: { name: "pyyaml" },
      fixedVersion: "5.4",
    });
    expect(finding("PYSEC-2023-135")).toMatchObject({ pkg: { name: "certifi" }, fixedVersion: "2023.7.22" });
    expect(finding("PYSEC-2022-42986")).toMatchObject({
      pkg: { name: "certifi" },
      fixedVersion: "2022.12.7",
    });
  });

  it("94 findings in all: none on the Debian packages (no Debian 12 data bundled) nor on chardet", () => {
    expect(findings).toHaveLength(94);
    const on = (type: string) => findings.filter((f) => byId.get(f.package)?.type === type).length;
    expect({ deb: on("deb"), golang: on("golang"), npm: on("npm"), pypi: on("pypi") }).toEqual({
      deb: 0,
      golang: 82,
      npm: 4,
      pypi: 8,
    });
    expect(findings.some((f) => byId.get(f.package)?.name === "chardet")).toBe(false);
    // most severe first
    expect(findings[0]).toMatchObject({ id: "MAL-2025-20690", severity: "critical" });
  });
});

describe("npm run demo (detectors)", () => {
  it("finds the npm token a later layer deleted, masked, in the layer that shipped it", async () => {
    const { scan } = await import("../../src/scan.js");
    const out = join(tmp, "image2");
    mkdirSync(out);
    const { target, layers } = buildDemoImage(out);
    const report = await scan(target, { scanners: ["secret"] });
    const secrets = report.findings.filter((f) => f.kind === "secret");
    expect(secrets).toHaveLength(1);
    const s = secrets[0]!;
    expect(s).toMatchObject({
      id: "npm-access-token",
      deleted: true,
      location: { path: "opt/app/web/.npmrc", line: 2 },
    });
    // the layer that added it, not the one that deleted it
    const web = layers.find((l: { name: string }) => l.name === "3-web")!;
    expect([web.digest, web.diffId]).toContain((s as { location: { layer?: string } }).location.layer);
    expect("match" in s ? String(s.match) : "").not.toMatch(/npm_[A-Za-z0-9]{36}/);
  });
});
