import pc from "picocolors";
import { AirbagError, SEVERITIES, type Severity } from "../../model/index.js";
import type { LintResult } from "./lint.js";
import { renderLintSarif } from "./lint-sarif.js";

/** Output of `airbag lint`: table (people), json (scripts; shape below), sarif (code-scanning UIs). */

export const LINT_FORMATS = ["table", "json", "sarif"] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export interface LintRenderOptions {
  color: boolean;
  toolVersion: string;
}

export function lintFormat(name: string): LintFormat {
  if (!(LINT_FORMATS as readonly string[]).includes(name))
    throw new AirbagError("USAGE", `--format: unknown format "${name}" (use ${LINT_FORMATS.join(", ")})`);
  return name as LintFormat;
}

export function renderLint(
  format: LintFormat,
  results: readonly LintResult[],
  opts: LintRenderOptions,
): string {
  if (format === "json") return `${JSON.stringify(lintJson(results, opts.toolVersion), null, 2)}\n`;
  if (format === "sarif") return `${renderLintSarif(results, opts.toolVersion)}\n`;
  return lintTable(results, opts.color);
}

export function lintSummary(results: readonly LintResult[]): Record<Severity, number> {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const r of results) for (const f of r.findings) summary[f.severity]++;
  return summary;
}

/**
 * ```jsonc
 * { "schemaVersion": 1, "tool": { "name": "airbag", "version": "…" }, "files": ["Dockerfile"],
 *   "findings": [ { "kind": "misconfig", "id": "DL3002", "severity": "medium", "title": "…", "message": "…",
 *                   "location": { "path": "Dockerfile", "line": 9, "endLine": 9 } } ],
 *   "suppressed": [ { "finding": { … }, "reason": "inline airbag ignore at line 4: …" } ],
 *   "summary": { "critical": 0, "high": 0, "medium": 1, "low": 0, "unknown": 0 } }
 * ```
 */
export function lintJson(results: readonly LintResult[], toolVersion: string) {
  return {
    schemaVersion: 1 as const,
    tool: { name: "airbag", version: toolVersion },
    files: results.map((r) => r.path),
    findings: results.flatMap((r) => r.findings),
    suppressed: results.flatMap((r) => r.suppressed),
    summary: lintSummary(results),
  };
}

// Dockerfile text ends up in messages: strip control characters so a crafted file cannot drive the
// terminal (CWE-150)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (s: string): string => s.replace(CONTROL, "?");

function lintTable(results: readonly LintResult[], color: boolean): string {
  const c = pc.createColors(color);
  const paint: Record<Severity, (s: string) => string> = {
    critical: (s) => c.bold(c.red(s)),
    high: c.red,
    medium: c.yellow,
    low: c.cyan,
    unknown: c.dim,
  };
  const lines: string[] = [];
  for (const r of results) {
    lines.push(c.bold(clean(r.path)));
    if (r.findings.length === 0) lines.push("  no findings");
    const rows = r.findings.map((f) => [String(f.location.line), f.severity, f.id, clean(f.message)]);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] as string).length), 0));
    for (const [i, row] of rows.entries()) {
      const f = r.findings[i]!;
      const [line, sev, id, message] = row as [string, string, string, string];
      lines.push(
        `  ${line.padStart(widths[0] ?? 0)}  ${paint[f.severity](sev.padEnd(widths[1] ?? 0))}  ${id.padEnd(widths[2] ?? 0)}  ${message}`,
      );
    }
    if (r.suppressed.length) lines.push(c.dim(`  ${r.suppressed.length} suppressed (see --format json)`));
    lines.push("");
  }
  const s = lintSummary(results);
  const total = SEVERITIES.reduce((n, k) => n + s[k], 0);
  lines.push(
    `${total} finding(s): ${SEVERITIES.filter((k) => k !== "unknown")
      .map((k) => `${s[k]} ${k}`)
      .join(", ")}`,
  );
  return `${lines.join("\n")}\n`;
}
