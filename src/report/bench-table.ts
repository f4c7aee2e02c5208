import pc from "picocolors";
import type { BenchReport, BenchResult, CheckResult } from "../bench/types.js";
import type { BenchFormatter, BenchRenderOptions } from "./bench-format.js";
import { checksBySection, notPassing, runtimeFindings, scoreLine } from "./bench-summary.js";
import { cell, severityStyle } from "./report-table.js";
import { alignColumns, type Colors } from "./table.js";

/**
 * `airbag bench` on a terminal: per CIS section a table ID | RESULT | TITLE, each check followed by its
 * evidence and the subjects that did not pass, indented under the title; then the runtime components,
 * their vulnerabilities, and the score. Every value from the engine or host (container names, file
 * paths, evidence) goes through `cell`, which neutralises terminal control characters.
 */

const EVIDENCE_WIDTH = 160;
const ITEM_EVIDENCE_WIDTH = 100;
const TITLE_WIDTH = 60;
const REASON_WIDTH = 90;
const INDENT = "  ";

// Colour is a hint, never the only signal: the result is spelled out on every line.
function resultStyle(c: Colors, r: BenchResult): (t: string) => string {
  switch (r) {
    case "fail":
      return (t) => c.bold(c.red(t));
    case "warn":
      return c.yellow;
    case "pass":
      return c.green;
    case "info":
      return c.cyan;
    default:
      return c.dim;
  }
}

function header(report: BenchReport, c: Colors): string[] {
  const t = report.target;
  const out: string[] = [];
  const field = (label: string, value: string | undefined): void => {
    if (value) out.push(`${c.bold(`${label}:`.padEnd(11))}${cell(value)}`);
  };
  field("Benchmark", `${report.benchmark.name} ${report.benchmark.version}`);
  const engine = [t.product, t.engineVersion].filter(Boolean).join(" ");
  field("Engine", t.engine ? `${engine || "unknown"} (${t.engine})` : engine || undefined);
  field("Host", t.hostname);
  if (t.offline) field("Mode", "offline (decided from files, no engine)");
  return out;
}

/** Evidence, the subjects that did not pass, and a fix for failures, all under the TITLE column. */
function details(check: CheckResult, c: Colors, indent: string): string[] {
  const out: string[] = [];
  if (check.evidence) out.push(indent + cell(check.evidence, EVIDENCE_WIDTH));
  const listed = notPassing(check);
  if (listed.length) {
    const rows = listed.map((i) => [
      i.result.toUpperCase(),
      cell(i.subject) || "?",
      cell(i.evidence, ITEM_EVIDENCE_WIDTH),
    ]);
    out.push(
      ...alignColumns(
        rows,
        (text, col, row) =>
          col === 0 ? resultStyle(c, (listed[row] as { result: BenchResult }).result)(text) : text,
        indent,
      ),
    );
  }
  const passing = check.items.length - listed.length;
  if (listed.length && passing) out.push(indent + c.dim(`+ ${passing} passing`));
  if (check.result === "fail" && check.remediation)
    out.push(indent + c.dim(`fix: ${cell(check.remediation)}`));
  return out;
}

function checkSections(report: BenchReport, c: Colors): string[] {
  const groups = checksBySection(report.checks);
  if (groups.length === 0) return [c.dim("No checks ran."), ""];
  const head = ["ID", "RESULT", "TITLE"];
  const rows = groups.flatMap((g) =>
    g.checks.map((k) => [cell(k.id), k.result.toUpperCase(), cell(k.title) + (k.scored ? "" : " (Manual)")]),
  );
  // widths over every section at once, so the columns line up down the whole report
  const plain = alignColumns([head, ...rows], undefined, INDENT);
  const lines = alignColumns(
    [head, ...rows],
    (text, col, row) =>
      row === 0
        ? c.bold(text)
        : col === 1
          ? resultStyle(c, text.trim().toLowerCase() as BenchResult)(text)
          : text,
    INDENT,
  );
  const detailIndent = " ".repeat((plain[0] as string).indexOf("TITLE"));
  const out: string[] = [];
  let next = 1;
  for (const g of groups) {
    out.push(c.underline(c.bold(g.heading)), lines[0] as string);
    for (const k of g.checks) out.push(lines[next++] as string, ...details(k, c, detailIndent));
    out.push("");
  }
  return out;
}

function componentsTable(report: BenchReport, c: Colors): string[] {
  if (report.components.length === 0) return [];
  const rows = [
    ["NAME", "VERSION", "COMMIT", "SOURCE"],
    ...report.components.map((k) => [
      cell(k.product && k.name === "engine" ? `engine (${k.product})` : k.name),
      cell(k.version),
      cell(k.commit?.slice(0, 12)) || "-",
      cell(k.source),
    ]),
  ];
  return [
    c.underline(c.bold("Runtime components")),
    ...alignColumns(rows, (text, _col, row) => (row === 0 ? c.bold(text) : text), INDENT),
    "",
  ];
}

function vulnerabilityTable(report: BenchReport, c: Colors): string[] {
  const all = runtimeFindings(report);
  const active = all.filter((e) => e.reason === undefined);
  const out = [c.underline(c.bold("Runtime vulnerabilities"))];
  // no versions means nothing was matched: that must not read as "no vulnerabilities"
  if (active.length === 0 && report.components.length === 0)
    out.push(INDENT + c.dim("No runtime component versions were found."));
  else if (active.length === 0)
    out.push(INDENT + c.green("No known vulnerabilities in the runtime components."));
  else {
    const rows = [
      ["ID", "SEVERITY", "COMPONENT", "INSTALLED", "FIXED", "TITLE"],
      ...active.map(({ finding: f }) => [
        cell(f.id),
        f.severity.toUpperCase(),
        cell(f.package),
        cell(f.installedVersion),
        cell(f.fixedVersion) || "-",
        cell(`${f.kev ? "[KEV] " : ""}${f.title ?? f.aliases.join(", ")}`, TITLE_WIDTH),
      ]),
    ];
    out.push(
      ...alignColumns(
        rows,
        (text, col, row) =>
          row === 0
            ? c.bold(text)
            : col === 1
              ? severityStyle(c, (active[row - 1] as (typeof active)[number]).finding.severity)(text)
              : text,
        INDENT,
      ),
    );
  }
  const suppressed = all.filter((e) => e.reason !== undefined);
  if (suppressed.length) {
    out.push("", `Suppressed (${suppressed.length}):`);
    const rows = suppressed.map(({ finding: f, reason }) => [
      cell(f.id),
      cell(`${f.package} ${f.installedVersion}`),
      cell(reason, REASON_WIDTH),
    ]);
    out.push(...alignColumns(rows, undefined, INDENT));
  }
  out.push("");
  return out;
}

export function renderBenchTable(report: BenchReport, opts: Pick<BenchRenderOptions, "color">): string {
  const c = pc.createColors(opts.color);
  const out = [...header(report, c), ""];
  out.push(...checkSections(report, c));
  out.push(...componentsTable(report, c));
  out.push(...vulnerabilityTable(report, c));
  out.push(c.bold(scoreLine(report)));
  for (const w of report.metadata.warnings) out.push(c.yellow(`warning: ${cell(w)}`));
  return `${out.join("\n")}\n`;
}

export const benchTableFormat: BenchFormatter = { name: "table", render: renderBenchTable };
