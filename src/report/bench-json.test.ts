import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  benchReport,
  findCheck,
  hostileBenchReport,
  renderB,
} from "../../test/support/bench-report-fixture.js";
import { addFormats, explain } from "../../test/support/sbom-fixture.js";
import type { BenchReport } from "../bench/types.js";

const schema = (f: string): object =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../schemas/${f}`, import.meta.url)), "utf8")) as object;

/** The same object with every object's keys inserted in reverse order, recursively. */
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .reverse()
      .map(([k, x]) => [k, reversedKeys(x)]),
  );
}

describe("bench json", () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(schema("inventory.schema.json"));
  ajv.addSchema(schema("report.schema.json"));
  const validate = ajv.compile(schema("bench.schema.json"));
  const valid = (doc: unknown): boolean => validate(doc) as boolean;

  it("fixture: score, counts and summary agree with its checks and findings", () => {
    const r = benchReport();
    const counts = { pass: 0, warn: 0, fail: 0, info: 0, skip: 0 };
    for (const c of r.checks) counts[c.result]++;
    expect(r.score.counts).toEqual(counts);
    const scored = r.checks.filter((c) => c.scored);
    const pass = scored.filter((c) => c.result === "pass").length;
    const fail = scored.filter((c) => c.result === "fail").length;
    expect(r.score.score).toBe(pass - fail);
    expect(r.score.percent).toBe(Math.round((100 * pass) / (pass + fail)));
    const summary = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
    for (const c of r.checks) if (c.result === "fail") summary[c.severity]++;
    for (const f of r.findings) summary[f.severity]++;
    expect(r.summary).toEqual(summary);
    // every section and every result kind is represented
    expect(new Set(r.checks.map((c) => c.section)).size).toBe(7);
    expect(Object.values(counts).every((n) => n > 0)).toBe(true);
  });

  it("round-trips the report and validates against schemas/bench.schema.json", () => {
    const doc = JSON.parse(renderB("json")) as BenchReport;
    expect(doc).toEqual(benchReport());
    expect(valid(doc), explain(validate)).toBe(true);
    expect(valid(JSON.parse(renderB("json", hostileBenchReport()))), explain(validate)).toBe(true);
  });

  it("rejects broken reports", () => {
    const broken: [string, (r: BenchReport) => void][] = [
      ["unknown result", (r) => ((findCheck(r, "5.5") as { result: string }).result = "error")],
      ["item result", (r) => ((findCheck(r, "5.5").items[0] as { result: string }).result = "ok")],
      ["level 3", (r) => ((findCheck(r, "2.2") as { level: number }).level = 3)],
      ["dotted id", (r) => (findCheck(r, "2.2").id = "CIS-2.2")],
      ["unknown section", (r) => ((findCheck(r, "2.2") as { section: string }).section = "kubernetes")],
      ["missing evidence", (r) => delete (findCheck(r, "2.2") as { evidence?: string }).evidence],
      ["extra check key", (r) => Object.assign(findCheck(r, "2.2"), { docs: "x" })],
      ["otherIds release", (r) => (findCheck(r, "2.5").otherIds = { latest: "2.4" })],
      ["finding shape", (r) => delete (r.findings[0] as { dataSource?: string }).dataSource],
      ["finding kind", (r) => ((r.findings[0] as { kind: string }).kind = "secret")],
      ["suppressed reason", (r) => ((r.suppressed[0] as { reason: string }).reason = "")],
      ["negative count", (r) => (r.score.counts.fail = -1)],
      ["score not integer", (r) => (r.score.score = 1.5)],
      ["percent > 100", (r) => (r.score.percent = 101)],
      ["offline missing", (r) => delete (r.target as { offline?: boolean }).offline],
      ["product", (r) => ((r.components[0] as { product: string }).product = "containerd")],
      ["component version", (r) => ((r.components[0] as { version?: string }).version = "")],
      ["warnings", (r) => delete (r.metadata as { warnings?: string[] }).warnings],
      ["schemaVersion", (r) => ((r as { schemaVersion: number }).schemaVersion = 2)],
    ];
    for (const [what, breakIt] of broken) {
      const r = benchReport();
      breakIt(r);
      expect(valid(JSON.parse(JSON.stringify(r))), what).toBe(false);
    }
  });

  it("writes keys in one fixed order whatever order the report was built in", () => {
    const out = renderB("json");
    expect(renderB("json", reversedKeys(benchReport()) as BenchReport)).toBe(out);
    const doc = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      "schemaVersion",
      "benchmark",
      "target",
      "score",
      "summary",
      "checks",
      "components",
      "findings",
      "suppressed",
      "metadata",
    ]);
    expect(Object.keys((doc.checks as object[])[0] as object).slice(0, 7)).toEqual([
      "id",
      "title",
      "section",
      "level",
      "scored",
      "severity",
      "result",
    ]);
    expect(Object.keys((doc.findings as object[])[0] as object).slice(0, 3)).toEqual([
      "kind",
      "id",
      "aliases",
    ]);
    // keys no shape declares (the db metadata) are sorted, recursively
    expect(Object.keys((doc.metadata as { db: { sources: object } }).db.sources)).toEqual(["nvd", "osv"]);
    expect(out.endsWith("}\n")).toBe(true);
    expect(out.split("\n")[1]).toBe('  "schemaVersion": 1,');
  });

  it("writes an uncomputable CVSS score as null, which the schema accepts", () => {
    const r = benchReport();
    (r.findings[0] as { cvss: { score: number }[] }).cvss[0]!.score = Number.NaN;
    const doc = JSON.parse(renderB("json", r)) as BenchReport;
    expect(doc.findings[0]?.cvss[0]?.score).toBeNull();
    expect(valid(doc), explain(validate)).toBe(true);
  });
});
