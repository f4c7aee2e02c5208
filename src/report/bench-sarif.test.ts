import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  benchReport,
  findCheck,
  HOSTILE_NAME,
  hostileBenchReport,
  RUNC_COMMIT,
  renderB,
  SUPPRESS_REASON,
} from "../../test/support/bench-report-fixture.js";
import { addFormats, explain, schemaFixture } from "../../test/support/sbom-fixture.js";
import type { BenchReport } from "../bench/types.js";

interface Location {
  physicalLocation?: { artifactLocation: { uri: string; uriBaseId?: string } };
  logicalLocations?: { fullyQualifiedName: string; kind?: string }[];
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  kind: string;
  level: string;
  message: { text: string };
  locations?: Location[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; state: string; justification: string }[];
  properties: Record<string, unknown>;
}
interface Rule {
  id: string;
  shortDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: string };
  properties: { "security-severity"?: string; tags: string[] };
}
interface Run {
  tool: { driver: { name: string; rules: Rule[] } };
  results: Result[];
  originalUriBaseIds: Record<string, { uri: string }>;
  invocations: { toolExecutionNotifications: { message: { text: string } }[] }[];
  properties: Record<string, unknown>;
}

const run = (r: BenchReport = benchReport()): Run =>
  (JSON.parse(renderB("sarif", r)) as { runs: Run[] }).runs[0] as Run;
const resultsFor = (id: string, r?: BenchReport): Result[] => run(r).results.filter((x) => x.ruleId === id);
const FP = "airbagBenchHash/v1";

describe("bench sarif", () => {
  // the OASIS SARIF 2.1.0 schema (draft-07), copied unmodified into test/fixtures/schemas
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schemaFixture("sarif-schema-2.1.0.json") as object);

  it("is valid SARIF 2.1.0, hostile names included", () => {
    const doc = JSON.parse(renderB("sarif")) as { version: string; runs: Run[] };
    expect(validate(doc), explain(validate)).toBe(true);
    expect(doc.version).toBe("2.1.0");
    expect(validate(JSON.parse(renderB("sarif", hostileBenchReport()))), explain(validate)).toBe(true);
    // negative control: the validator really looks at results
    (doc.runs[0]?.results[0] as unknown as Record<string, unknown>).kind = "broken";
    expect(validate(doc)).toBe(false);
  });

  it("has one rule per check and per runtime advisory, with title, remediation and level", () => {
    const rules = run().tool.driver.rules;
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      ...benchReport().checks.map((c) => c.id),
      "CVE-2019-19921",
      "CVE-2019-5736",
      "CVE-2020-15257",
    ]);
    const r55 = rules.find((r) => r.id === "5.5") as Rule;
    expect(r55.shortDescription.text).toBe("Ensure that privileged containers are not used");
    expect(r55.help.text).toBe("Remediation: Do not run containers with --privileged.");
    expect(r55.defaultConfiguration.level).toBe("error"); // critical
    expect(Number(r55.properties["security-severity"])).toBeGreaterThanOrEqual(9);
    expect(r55.properties.tags).toEqual(
      expect.arrayContaining(["cis-docker-benchmark", "runtime", "level-1"]),
    );
    expect(rules.find((r) => r.id === "2.2")?.defaultConfiguration.level).toBe("warning"); // medium
    expect(rules.find((r) => r.id === "1.1.3")?.defaultConfiguration.level).toBe("note"); // low
    expect(rules.find((r) => r.id === "CVE-2019-5736")?.properties["security-severity"]).toBe("8.6");
    for (const x of run().results) expect(rules[x.ruleIndex]?.id).toBe(x.ruleId);
  });

  it("has one result per failed or warned subject, one per check without subjects, none for the rest", () => {
    const r = benchReport();
    const results = run(r).results.filter((x) => !x.ruleId.startsWith("CVE-"));
    const expected = r.checks.flatMap((c) => {
      if (c.result !== "fail" && c.result !== "warn") return [];
      const bad = c.items.filter((i) => i.result === "fail" || i.result === "warn");
      return bad.length ? bad.map((i) => `${c.id}|${i.subject}`) : [`${c.id}|`];
    });
    expect(results.map((x) => `${x.ruleId}|${(x.properties.subject as string | undefined) ?? ""}`)).toEqual(
      expected,
    );
    expect(results.every((x) => x.kind === "fail")).toBe(true);
    for (const c of r.checks.filter((k) => !["fail", "warn"].includes(k.result)))
      expect(resultsFor(c.id), c.id).toEqual([]);
    // …but the run still records them
    expect(run().properties).toMatchObject({
      passed: ["1.1.1", "2.5", "2.15", "3.1", "5.10", "6.2"],
      informational: ["1.2.1", "4.9", "6.1"],
      skipped: ["2.6", "3.13", "5.7", "7.1"],
      score: { score: -3, percent: 38 },
    });
  });

  it("sets levels from severity, a warning never above 'warning'", () => {
    expect(resultsFor("5.5")[0]?.level).toBe("error");
    expect(resultsFor("1.1.3")[0]?.level).toBe("note");
    expect(resultsFor("4.5")[0]?.level).toBe("note"); // warn, low
    const r = benchReport();
    findCheck(r, "5.26").severity = "critical";
    expect(resultsFor("5.26", r).map((x) => x.level)).toEqual(["warning", "warning"]);
  });

  it("names check, subject and evidence in the message and locates subjects", () => {
    const [priv] = resultsFor("5.5");
    expect(priv?.message.text).toBe(
      "Ensure that privileged containers are not used — ci-runner (7d3e5b6a1f20): Privileged: true",
    );
    expect(priv?.locations).toEqual([
      { logicalLocations: [{ fullyQualifiedName: "ci-runner (7d3e5b6a1f20)", kind: "container" }] },
    ]);
    expect(resultsFor("4.1")[0]?.locations?.[0]?.logicalLocations?.[0]?.kind).toBe("image");
    // host files: relative to the host root base id
    expect(resultsFor("3.16")[0]?.locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: "var/run/docker.sock", uriBaseId: "HOSTROOT" },
    });
    expect(run().originalUriBaseIds.HOSTROOT?.uri).toBe("file:///");
    // a daemon setting has no subject: the check's evidence, no location
    const [icc] = resultsFor("2.2");
    expect(icc?.message.text).toContain("icc is true");
    expect(icc?.locations).toBeUndefined();
  });

  it("reports runtime vulnerabilities, the vendor-patched one as suppressed with its reason", () => {
    const [runc] = resultsFor("CVE-2019-5736");
    expect(runc?.level).toBe("error");
    expect(runc?.message.text).toContain("CVE-2019-5736 (high) in runc 1.0.0-rc6: fixed in 1.0.0-rc7");
    expect(runc?.properties).toMatchObject({
      component: "runc",
      commit: RUNC_COMMIT,
      installedVersion: "1.0.0-rc6",
    });
    expect(runc?.suppressions).toBeUndefined();
    expect(resultsFor("CVE-2020-15257")[0]?.level).toBe("warning");
    expect(resultsFor("CVE-2019-19921")[0]?.suppressions).toEqual([
      { kind: "external", state: "accepted", justification: SUPPRESS_REASON },
    ]);
  });

  it("fingerprints stably across runs, recreated containers and upgrades; distinctly across problems", () => {
    const prints = (r?: BenchReport) => run(r).results.map((x) => x.partialFingerprints[FP] as string);
    const base = prints();
    expect(base.every((p) => /^[0-9a-f]{64}$/.test(p))).toBe(true);
    expect(new Set(base).size).toBe(base.length);
    expect(prints()).toEqual(base);

    const byRule = (r?: BenchReport) =>
      Object.fromEntries(
        run(r).results.map((x) => [`${x.ruleId}|${x.properties.subject ?? ""}`, x.partialFingerprints[FP]]),
      );
    const baseByRule = byRule();
    // ci-runner recreated: new container id, same alert
    const recreated = benchReport();
    const item = findCheck(recreated, "5.5").items.find((i) => i.subject.startsWith("ci-runner"));
    if (item) item.subject = "ci-runner (ffffeeee0000)";
    expect(byRule(recreated)["5.5|ci-runner (ffffeeee0000)"]).toBe(
      baseByRule["5.5|ci-runner (7d3e5b6a1f20)"],
    );
    // runc upgraded to a still-vulnerable build: same alert
    const upgraded = benchReport();
    upgraded.findings[0]!.installedVersion = "1.0.0-rc6+dev";
    expect(byRule(upgraded)["CVE-2019-5736|"]).toBe(baseByRule["CVE-2019-5736|"]);
    // the same container failing another check is another alert
    expect(baseByRule["5.32|ci-runner (7d3e5b6a1f20)"]).not.toBe(baseByRule["5.5|ci-runner (7d3e5b6a1f20)"]);
  });

  it("carries the run's warnings as notifications, hostile text as plain JSON strings", () => {
    expect(run().invocations[0]?.toolExecutionNotifications.map((n) => n.message.text)).toEqual(
      benchReport().metadata.warnings,
    );
    const hostile = run(hostileBenchReport());
    expect(hostile.results.some((x) => x.properties.subject === HOSTILE_NAME)).toBe(true);
  });
});
