// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile ${VAR} syntax in test data, not templates
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addFormats, explain, schemaFixture } from "../../../test/support/sbom-fixture.js";
import { AirbagError } from "../../model/index.js";
import { parseLintConfig } from "./config.js";
import { lintDockerfile, lintGate } from "./lint.js";
import { lintFormat, lintJson, renderLint } from "./lint-format.js";
import { dockerfileUri } from "./lint-sarif.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/dockerfiles/${name}`, import.meta.url), "utf8");
const lint = (text: string, config = parseLintConfig("", "c.yaml")) =>
  lintDockerfile(text, { path: "Dockerfile", config });
const DIGEST = `@sha256:${"a".repeat(64)}`;

describe("lint fixtures", () => {
  it("finds every planted problem in insecure.Dockerfile, with its line", () => {
    const r = lint(fixture("insecure.Dockerfile"));
    expect(r.findings.map((f) => `${f.location.line} ${f.id}`)).toEqual([
      "4 AB1001",
      "4 DL3006",
      "5 DL3009",
      "5 DL3014",
      "5 DL3015",
      "6 AB1003",
      "6 DL3004",
      "6 DL4006",
      "7 AB1002",
      "8 DL3020",
      "9 DL3064",
      "10 AB1004",
      "10 DL3003",
      "11 AB1005",
      "15 DL3002",
    ]);
    expect(r.suppressed.map((s) => [s.finding.id, s.reason])).toEqual([
      ["DL3042", "inline airbag ignore at line 12: pip cache is removed in the next stage"],
    ]);
    expect(JSON.stringify(r)).not.toContain("s3cr3t");
  });

  it("finds nothing in clean.Dockerfile (multi-stage, heredoc, ARG base with digest)", () => {
    expect(lint(fixture("clean.Dockerfile"))).toMatchObject({ findings: [], suppressed: [] });
  });

  it("leaves PowerShell RUNs of a backtick-escaped Windows Dockerfile alone", () => {
    expect(lint(fixture("windows.Dockerfile")).findings).toEqual([]);
  });
});

describe("lintDockerfile", () => {
  it("never throws, whatever the text: problems come back as DL1000 findings", () => {
    const pieces = fc.constantFrom(
      "FROM a\n",
      "RUN ",
      "curl x | sh",
      "<<EOF\n",
      "EOF\n",
      "# airbag ignore=",
      "ENV ",
      "=",
      "\\\n",
      "USER root\n",
      "ADD ",
      "$",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(pieces, { maxLength: 40 }).map((a) => a.join("")),
        ),
        (text) => {
          lint(text);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("suppression", () => {
  const body = [`FROM debian:12${DIGEST}`, "RUN sudo make", "USER app"];

  it("moves a finding ignored inline on the line above to suppressed, with the reason", () => {
    const r = lint(
      [body[0], "# airbag ignore=DL3004,DL3003 needs root for make", "# another note", body[1], body[2]].join(
        "\n",
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.suppressed).toMatchObject([
      {
        finding: { id: "DL3004", location: { line: 4 } },
        reason: "inline airbag ignore at line 2: needs root for make",
      },
    ]);
  });

  it("honours hadolint pragmas and global ignores, but not a pragma separated by an instruction", () => {
    expect(lint(["# hadolint global ignore=DL3004", ...body].join("\n")).findings).toEqual([]);
    const far = lint([body[0], "# airbag ignore=DL3004", "WORKDIR /x", body[1], body[2]].join("\n"));
    expect(far.findings.map((f) => f.id)).toEqual(["DL3004"]);
  });

  it("applies the config file: ignore and severity overrides (also hadolint's override form)", () => {
    const config = parseLintConfig(fixture("lint-config.yaml"), "lint-config.yaml");
    expect(config).toEqual({
      source: "lint-config.yaml",
      ignore: ["AB1001"],
      severity: { AB1003: "critical" },
    });
    const r = lint(["FROM debian:12", "RUN curl https://x | sh", "USER app"].join("\n"), config);
    expect(r.findings.map((f) => [f.id, f.severity])).toEqual([
      ["AB1003", "critical"],
      ["DL4006", "low"],
    ]);
    expect(r.suppressed.map((s) => [s.finding.id, s.reason])).toEqual([
      ["AB1001", "ignored by lint-config.yaml"],
    ]);
    expect(parseLintConfig("override: { error: [dl3020] }\nignored: [DL3003]", "h.yaml")).toMatchObject({
      ignore: ["DL3003"],
      severity: { DL3020: "high" },
    });
  });

  it.each([
    ["ignore: AB1001", "ignore: expected a list of rule ids"],
    ["severity: { DL3002: fatal }", 'severity.DL3002: unknown severity "fatal"'],
    ["ignores: [DL3002]", 'unknown key "ignores"'],
    ["override: { fatal: [DL3002] }", "override.fatal: unknown level"],
    ["[1, 2]", "expected a mapping"],
    ["ignore: [a b]", '"a b" is not a rule id'],
    ["a: [", "not valid YAML"],
  ])("rejects a bad config (%s) naming the file and field", (text, message) => {
    const err = (() => {
      try {
        parseLintConfig(text, "cfg.yaml");
      } catch (e) {
        return e as AirbagError;
      }
    })();
    expect(err).toBeInstanceOf(AirbagError);
    expect(err?.code).toBe("INPUT");
    expect(err?.message).toContain("--config cfg.yaml: ");
    expect(err?.message).toContain(message);
  });
});

describe("gate", () => {
  it("counts only unsuppressed findings at or above the threshold", () => {
    const r = lint(fixture("insecure.Dockerfile"));
    expect(lintGate([r], "high").map((f) => f.id)).toEqual(["DL3064"]);
    expect(lintGate([r], "critical")).toEqual([]);
  });
});

describe("output", () => {
  const results = [lintDockerfile(fixture("insecure.Dockerfile"), { path: "dir/insecure.Dockerfile" })];
  const opts = { color: false, toolVersion: "0.1.0-test" };

  it("json: flat findings with locations, suppressed and a summary", () => {
    const doc = lintJson(results, "0.1.0-test");
    expect(doc.files).toEqual(["dir/insecure.Dockerfile"]);
    expect(doc.summary).toEqual({ critical: 0, high: 1, medium: 7, low: 7, unknown: 0 });
    expect(doc.findings[0]).toEqual({
      kind: "misconfig",
      id: "AB1001",
      severity: "low",
      title: "Base image is not pinned by digest",
      message: "FROM ${BASE} (= ubuntu) is not pinned by digest (@sha256:…)",
      location: { path: "dir/insecure.Dockerfile", line: 4, endLine: 4 },
    });
    expect(JSON.parse(renderLint("json", results, opts))).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it("table: one row per finding with line, severity, id and message", () => {
    const text = renderLint("table", results, opts);
    expect(text).toContain("dir/insecure.Dockerfile\n");
    expect(text).toMatch(/^ +6 {2}medium {2}AB1003 {2}RUN executes a downloaded script/m);
    expect(text).toContain("1 suppressed");
    expect(text).toContain("15 finding(s): 0 critical, 1 high, 7 medium, 7 low");
    expect(renderLint("table", [lint("FROM a:1\u001b[2J")], opts)).not.toContain("\u001b");
  });

  it("sarif: valid SARIF 2.1.0 with line regions and suppressions", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schemaFixture("sarif-schema-2.1.0.json") as object);
    const doc = JSON.parse(renderLint("sarif", results, opts));
    expect(validate(doc), explain(validate)).toBe(true);
    const run = doc.runs[0];
    const curl = run.results.find((r: { ruleId: string }) => r.ruleId === "AB1003");
    expect(curl.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "dir/insecure.Dockerfile" },
      region: { startLine: 6, endLine: 6 },
    });
    expect(run.tool.driver.rules[curl.ruleIndex].id).toBe("AB1003");
    const ignored = run.results.find((r: { ruleId: string }) => r.ruleId === "DL3042");
    expect(ignored.suppressions[0].kind).toBe("inSource");
    const fingerprints = run.results.map(
      (r: { partialFingerprints: Record<string, string> }) => Object.values(r.partialFingerprints)[0],
    );
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    // negative control: the validator does check results
    run.results[0].level = "fatal";
    expect(validate(doc)).toBe(false);
  });

  it("encodes paths as URI references", () => {
    expect(dockerfileUri("my dir/Dockerfile#1")).toBe("my%20dir/Dockerfile%231");
    expect(dockerfileUri("/abs/Dockerfile")).toBe("file:///abs/Dockerfile");
  });

  it("rejects an unknown format as a usage error", () => {
    expect(() => lintFormat("xml")).toThrow(/unknown format "xml" \(use table, json, sarif\)/);
  });
});
