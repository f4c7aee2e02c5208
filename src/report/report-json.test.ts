import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { cleanReport, renderR, report } from "../../test/support/report-fixture.js";
import { addFormats, explain } from "../../test/support/sbom-fixture.js";

const schema = (f: string): object =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../schemas/${f}`, import.meta.url)), "utf8")) as object;

describe("report json", () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(schema("inventory.schema.json"));
  const validate = ajv.compile(schema("report.schema.json"));

  it("is the report itself, valid against schemas/report.schema.json", () => {
    const out = JSON.parse(renderR("json")) as unknown;
    expect(out).toEqual(report());
    expect(validate(out), explain(validate)).toBe(true);
    expect(validate(JSON.parse(renderR("json", cleanReport()))), explain(validate)).toBe(true);
  });

  it("keeps suppressed findings with their reason", () => {
    const out = JSON.parse(renderR("json")) as ReturnType<typeof report>;
    expect(out.suppressed).toEqual([
      expect.objectContaining({
        finding: expect.objectContaining({ id: "CVE-2024-0727" }),
        reason: expect.any(String),
      }),
    ]);
  });

  it("writes an uncomputable CVSS score (NaN) as null, which the schema accepts", () => {
    const r = report();
    const go = r.findings.find((f) => f.id === "CVE-2023-44487");
    if (go?.kind !== "vulnerability") throw new Error("fixture");
    go.cvss.push({
      source: "osv",
      version: "4.0",
      vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
      score: Number.NaN,
    });
    const out = JSON.parse(renderR("json", r)) as { findings: { cvss?: { score: unknown }[] }[] };
    expect(out.findings.flatMap((f) => f.cvss ?? []).map((c) => c.score)).toContain(null);
    expect(validate(out), explain(validate)).toBe(true);
  });

  it("has a schema that rejects broken reports", () => {
    const ok = report();
    const bad = (mutate: (r: Record<string, unknown>) => void): boolean => {
      const r = structuredClone(ok) as unknown as Record<string, unknown>;
      mutate(r);
      return validate(r);
    };
    expect(validate(ok), explain(validate)).toBe(true);
    // the inventory part is still checked through the $ref
    expect(bad((r) => delete (r.packages as Record<string, unknown>[])[0]?.purl)).toBe(false);
    expect(bad((r) => delete r.summary)).toBe(false);
    expect(bad((r) => (r.extra = 1))).toBe(false);
    expect(
      bad(
        (r) =>
          (((r.findings as Record<string, unknown>[])[0] as Record<string, unknown>).severity = "severe"),
      ),
    ).toBe(false);
    expect(
      bad((r) => (((r.findings as Record<string, unknown>[])[0] as Record<string, unknown>).kind = "virus")),
    ).toBe(false);
    expect(
      bad((r) => (((r.suppressed as Record<string, unknown>[])[0] as Record<string, unknown>).reason = "")),
    ).toBe(false);
    expect(bad((r) => ((r.metadata as Record<string, unknown>).tool = "trivy"))).toBe(false);
    // a secret's location must be a real location (path required, line ≥ 1)
    expect(
      bad((r) => {
        const secret = (r.findings as Record<string, unknown>[]).find((f) => f.kind === "secret");
        (secret as Record<string, unknown>).location = { line: 0 };
      }),
    ).toBe(false);
  });
});
