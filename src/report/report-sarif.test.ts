import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  findPackage,
  LAYER1,
  ROPTS,
  renderR,
  report,
  SUPPRESS_REASON,
} from "../../test/support/report-fixture.js";
import { addFormats, explain, schemaFixture } from "../../test/support/sbom-fixture.js";
import type { Report, VulnerabilityFinding } from "../model/index.js";
import { imagePathUri, sarifLevel } from "./report-sarif.js";

interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations?: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; justification?: string }[];
}
interface Rule {
  id: string;
  shortDescription: { text: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: { "security-severity"?: string; tags: string[] };
}
interface Sarif {
  version: string;
  runs: { tool: { driver: { name: string; version: string; rules: Rule[] } }; results: Result[] }[];
}

const sarif = (r: Report = report(), opts = ROPTS): Sarif => JSON.parse(renderR("sarif", r, opts)) as Sarif;
const run = (r?: Report) => sarif(r).runs[0] as Sarif["runs"][number];
const result = (id: string, r?: Report): Result => run(r).results.find((x) => x.ruleId === id) as Result;
const rule = (id: string): Rule => run().tool.driver.rules.find((x) => x.id === id) as Rule;
const vuln = (r: Report, id: string) => r.findings.find((f) => f.id === id) as VulnerabilityFinding;

describe("sarif", () => {
  // the OASIS SARIF 2.1.0 schema (draft-07), copied unmodified into test/fixtures/schemas
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schemaFixture("sarif-schema-2.1.0.json") as object);

  it("is valid SARIF 2.1.0", () => {
    const doc = sarif();
    expect(validate(doc), explain(validate)).toBe(true);
    expect(doc.version).toBe("2.1.0");
    // negative control: the validator really checks results
    const broken = structuredClone(doc);
    (broken.runs[0]?.results[0] as unknown as Record<string, unknown>).level = "fatal";
    expect(validate(broken)).toBe(false);
  });

  it("names the tool and has one rule per finding id, suppressed ones included", () => {
    const driver = run().tool.driver;
    expect(driver).toMatchObject({ name: "airbag", version: "0.1.0-test" });
    const ids = driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(
      [
        "CIS-DI-0001",
        "CVE-2010-4756",
        "CVE-2023-44487",
        "CVE-2023-5678",
        "CVE-2024-0727",
        "aws-access-key-id",
      ].sort(),
    );
    for (const r of run().results) expect(driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });

  it("describes a rule with title, first reference, highest CVSS score and tags", () => {
    expect(rule("CVE-2023-44487")).toMatchObject({
      shortDescription: { text: "HTTP/2 rapid reset can cause excessive work in net/http" },
      helpUri: "https://pkg.go.dev/vuln/GO-2023-2102",
      defaultConfiguration: { level: "error" },
      properties: { "security-severity": "8.7" }, // CVSS 4.0 8.7 beats NVD's 3.1 7.5
    });
    expect(rule("CVE-2023-44487").properties.tags).toEqual(
      expect.arrayContaining(["security", "vulnerability", "high", "known-exploited"]),
    );
    expect(rule("CVE-2010-4756").properties["security-severity"]).toBe("4.0");
    // no CVSS: a score inside the severity's band, so code scanning still ranks it
    expect(Number(rule("aws-access-key-id").properties["security-severity"])).toBeGreaterThanOrEqual(9);
  });

  it("ignores an uncomputable (NaN) CVSS score", () => {
    const r = report();
    vuln(r, "CVE-2023-5678").cvss = [
      { source: "osv", version: "4.0", vector: "CVSS:4.0/AV:N", score: Number.NaN },
    ];
    const doc = sarif(r);
    expect(validate(doc), explain(validate)).toBe(true);
    const props = doc.runs[0]?.tool.driver.rules.find((x) => x.id === "CVE-2023-5678")?.properties;
    expect(props?.["security-severity"]).toBe("5.5"); // the medium band, not "NaN"
  });

  it("never turns a non-web reference into helpUri", () => {
    const r = report();
    vuln(r, "CVE-2023-5678").references = ["javascript:alert(1)"];
    const doc = sarif(r);
    expect(validate(doc), explain(validate)).toBe(true);
    expect(doc.runs[0]?.tool.driver.rules.find((x) => x.id === "CVE-2023-5678")?.helpUri).toBeUndefined();
  });

  it("maps severities to levels", () => {
    expect(["critical", "high", "medium", "low", "unknown"].map((s) => sarifLevel(s as never))).toEqual([
      "error",
      "error",
      "warning",
      "note",
      "note",
    ]);
    expect(result("aws-access-key-id").level).toBe("error");
    expect(result("CVE-2023-5678").level).toBe("warning");
    expect(result("CVE-2010-4756").level).toBe("note");
  });

  it("names package, installed and fixed version in the message", () => {
    expect(result("CVE-2023-5678").message.text).toContain(
      "in libssl3: installed 3.0.11-1~deb12u2, fixed 3.0.13-1~deb12u1",
    );
    expect(result("CVE-2010-4756").message.text).toContain(
      "installed 2.36-9+deb12u3, fixed none (will_not_fix)",
    );
  });

  it("locates package findings at the package's file, located findings at file and line", () => {
    const uri = (id: string) => result(id).locations?.[0]?.physicalLocation.artifactLocation.uri;
    expect(uri("CVE-2023-5678")).toBe("var/lib/dpkg/status");
    expect(uri("CVE-2023-44487")).toBe("usr/local/bin/api");
    expect(result("aws-access-key-id").locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: "app/config/.env" },
      region: { startLine: 3 },
    });
    expect(result("CIS-DI-0001").locations).toBeUndefined(); // image config: no file to point at
  });

  it("keeps suppressed findings as results with an external suppression", () => {
    expect(result("CVE-2024-0727").suppressions).toEqual([
      { kind: "external", state: "accepted", justification: SUPPRESS_REASON },
    ]);
    expect(result("CVE-2023-5678").suppressions).toBeUndefined();
  });

  it("fingerprints stably across runs and upgrades, distinctly across findings", () => {
    const prints = (r?: Report, now = ROPTS.now) =>
      Object.fromEntries(
        sarif(r, { ...ROPTS, now }).runs[0]?.results.map((x) => [
          x.ruleId,
          x.partialFingerprints["airbagFindingHash/v1"],
        ]) ?? [],
      );
    const base = prints();
    expect(Object.values(base).every((v) => /^[0-9a-f]{64}$/.test(v as string))).toBe(true);
    expect(new Set(Object.values(base)).size).toBe(Object.keys(base).length);

    const reordered = report();
    reordered.findings.reverse();
    reordered.packages.reverse();
    expect(prints(reordered, new Date("2030-01-01T00:00:00Z"))).toEqual(base);

    // stdlib upgraded to a still-vulnerable version: new purl and package id, same alert
    const upgraded = report();
    const go = findPackage(upgraded, "stdlib");
    go.version = "1.21.1";
    go.purl = "pkg:golang/stdlib@1.21.1";
    go.id = "0123456789abcdef";
    Object.assign(vuln(upgraded, "CVE-2023-44487"), { package: go.id, installedVersion: "1.21.1" });
    expect(prints(upgraded)["CVE-2023-44487"]).toBe(base["CVE-2023-44487"]);

    // the same CVE in another package is another alert
    const moved = report();
    vuln(moved, "CVE-2023-5678").package = findPackage(moved, "libc6").id;
    expect(prints(moved)["CVE-2023-5678"]).not.toBe(base["CVE-2023-5678"]);
  });

  it("says which config field and which layer of a deleted file a located finding is about", () => {
    const r = report();
    r.findings.push(
      {
        kind: "secret",
        id: "aws-secret-access-key",
        severity: "critical",
        title: "AWS secret access key",
        location: { path: "root/.aws/credentials", layer: LAYER1, line: 5 },
        deleted: true,
        match: "Bp7L********************************mUhu",
      },
      {
        kind: "secret",
        id: "github-pat",
        severity: "critical",
        field: "config.Env[1]",
        match: "ghp_********************************5y15",
      },
      {
        kind: "secret",
        id: "github-pat",
        severity: "critical",
        field: 'config.Labels["token"]',
        match: "ghp_x",
      },
    );
    const doc = sarif(r);
    expect(validate(doc), explain(validate)).toBe(true);
    const results = doc.runs[0]!.results as (Result & { properties?: Record<string, unknown> })[];
    const aws = results.find((x) => x.ruleId === "aws-secret-access-key")!;
    expect(aws.message.text).toContain(
      `in root/.aws/credentials:5 (deleted by a later layer; still shipped in layer ${LAYER1})`,
    );
    expect(aws.properties).toEqual({ layer: LAYER1, deleted: true });
    expect(aws.locations?.[0]?.physicalLocation.region).toEqual({ startLine: 5 });
    const [env, label] = results.filter((x) => x.ruleId === "github-pat");
    expect(env!.message.text).toContain("in config.Env[1] of the image configuration of registry.example");
    expect(env!.properties).toEqual({ field: "config.Env[1]" });
    expect(env!.locations).toBeUndefined();
    expect(env!.partialFingerprints).not.toEqual(label!.partialFingerprints);
  });

  it("writes image paths as URI references", () => {
    expect(imagePathUri("usr/lib/node_modules/@babel/core/package.json")).toBe(
      "usr/lib/node_modules/@babel/core/package.json",
    );
    expect(imagePathUri("/opt/my app/a#b?c.jar")).toBe("opt/my%20app/a%23b%3Fc.jar");
    expect(imagePathUri("c:/x")).toBe("c%3A/x"); // never a scheme
    const r = report();
    findPackage(r, "stdlib").locations = [{ path: "opt/odd dir/100%/api#1" }];
    expect(validate(sarif(r)), explain(validate)).toBe(true);
  });
});
