import { createHash } from "node:crypto";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { Severity } from "../../model/index.js";
import type { LintFinding, LintResult } from "./lint.js";
import { ALL_RULE_META, type RuleMeta } from "./rules/index.js";

/**
 * SARIF 2.1.0 for `airbag lint`, shaped for code-scanning UIs: one rule per lint rule (all of them, so
 * a UI can show the catalogue), results with line regions in the Dockerfile, `security-severity` so
 * GitHub ranks them, and suppressed findings kept with `suppressions` (inSource for inline comments,
 * external for the config file).
 */

const SCHEMA_URI =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  unknown: "note",
};
// GitHub reads severity only from `security-severity`: a score inside the CVSS band of each severity
const BAND_SCORE: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
  unknown: "0.0",
};

/** Relative paths become relative URI references (segments encoded); absolute ones file:// URIs. */
export function dockerfileUri(path: string): string {
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return path
    .split(/[\\/]/)
    .map((seg) => encodeURIComponent(seg))
    .join("/");
}

function rule(meta: RuleMeta): Record<string, unknown> {
  const url = meta.references.find((r) => r.startsWith("https://"));
  return {
    id: meta.id,
    name: meta.title.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : "")),
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.description },
    ...(url ? { helpUri: url } : {}),
    help: { text: `${meta.description}\nReferences: ${meta.references.join("; ")}` },
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: {
      "security-severity": BAND_SCORE[meta.severity],
      tags: ["security", "dockerfile", ...meta.references.filter((r) => r.startsWith("CIS"))],
    },
  };
}

function result(
  f: LintFinding,
  ruleIndex: number,
  fingerprint: string,
  suppression?: string,
): Record<string, unknown> {
  return {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: dockerfileUri(f.location.path) },
          region: { startLine: f.location.line, endLine: Math.max(f.location.line, f.location.endLine) },
        },
      },
    ],
    partialFingerprints: { "airbagLint/v1": fingerprint },
    properties: { severity: f.severity },
    ...(suppression
      ? {
          suppressions: [
            {
              kind: suppression.startsWith("inline") ? "inSource" : "external",
              state: "accepted",
              justification: suppression,
            },
          ],
        }
      : {}),
  };
}

export function renderLintSarif(results: readonly LintResult[], toolVersion: string): string {
  const rules = [...ALL_RULE_META];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const out: Record<string, unknown>[] = [];
  // rule + file + message (+ occurrence): unlike the line, stays put when lines above are edited
  const seen = new Map<string, number>();
  const fingerprint = (f: LintFinding): string => {
    const key = [f.id, f.location.path, f.message].join("\u0000");
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return createHash("sha256").update(`${key}\u0000${n}`).digest("hex");
  };
  for (const r of results) {
    const all = [
      ...r.findings.map((finding) => ({ finding, reason: undefined as string | undefined })),
      ...r.suppressed,
    ].sort((a, b) => a.finding.location.line - b.finding.location.line);
    for (const { finding, reason } of all)
      out.push(result(finding, index.get(finding.id) ?? 0, fingerprint(finding), reason));
  }
  const doc = {
    $schema: SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "airbag",
            version: toolVersion,
            semanticVersion: toolVersion,
            rules: rules.map(rule),
          },
        },
        artifacts: results.map((r) => ({ location: { uri: dockerfileUri(r.path) } })),
        results: out,
        columnKind: "utf16CodeUnits",
      },
    ],
  };
  return JSON.stringify(doc, null, 2);
}
