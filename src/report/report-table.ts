import pc from "picocolors";
import type {
  LocatedFinding,
  Package,
  Report,
  Severity,
  SuppressedFinding,
  VulnerabilityFinding,
} from "../model/index.js";
import { SEVERITIES } from "../model/index.js";
import type { ReportFormatter } from "./report-format.js";
import {
  compareFindings,
  isOsPackage,
  isVulnerability,
  locationText,
  packageIndex,
  summarize,
} from "./summary.js";
import { alignColumns, type Colors, clean, targetHeader } from "./table.js";

const TITLE_WIDTH = 60;
const REASON_WIDTH = 90;

/** Single line, control characters neutralised (the text comes from feeds and the image), bounded. */
export const cell = (s: string | undefined, width = Number.POSITIVE_INFINITY): string => {
  const flat = clean((s ?? "").replace(/\s+/g, " ").trim());
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};

// Colour is a hint, never the only signal: the severity is also spelled out in every row.
export function severityStyle(c: Colors, s: Severity): (t: string) => string {
  switch (s) {
    case "critical":
      return (t) => c.bold(c.red(t));
    case "high":
      return c.red;
    case "medium":
      return c.yellow;
    case "low":
      return c.blue;
    default:
      return c.dim;
  }
}

interface Group {
  id: string;
  pkg?: Package;
  findings: VulnerabilityFinding[];
}

/** One group per package: OS packages first (fixed by rebuilding on a newer base), then language ones. */
function packageGroups(report: Report): Group[] {
  const pkgs = packageIndex(report.packages);
  const groups = new Map<string, Group>();
  for (const f of report.findings.filter(isVulnerability)) {
    let g = groups.get(f.package);
    if (!g) {
      g = { id: f.package, pkg: pkgs.get(f.package), findings: [] };
      groups.set(f.package, g);
    }
    g.findings.push(f);
  }
  const rank = (g: Group): number => (g.pkg && isOsPackage(g.pkg) ? 0 : 1);
  const key = (g: Group): string => `${g.pkg?.name ?? g.id}\u0000${g.pkg?.version ?? ""}\u0000${g.id}`;
  for (const g of groups.values()) g.findings.sort(compareFindings);
  return [...groups.values()].sort((a, b) => rank(a) - rank(b) || (key(a) < key(b) ? -1 : 1));
}

function packageHeading(g: Group, c: Colors): string {
  if (!g.pkg) return `${c.bold(cell(g.id))} ${c.dim("(package not in inventory)")}`;
  const p = g.pkg;
  const where = [p.type, p.locations[0]?.path].filter(Boolean).join(", ");
  return `${c.bold(cell(p.name))} ${cell(p.version)} ${c.dim(`(${cell(where)})`)}`;
}

function vulnerabilitySection(report: Report, c: Colors): string[] {
  const groups = packageGroups(report);
  if (groups.length === 0) return [c.green("No vulnerabilities found."), ""];
  const header = ["ID", "SEVERITY", "STATUS", "INSTALLED", "FIXED", "TITLE"];
  const rows: string[][] = [header];
  for (const g of groups) {
    for (const f of g.findings) {
      const title = `${f.kev ? "[KEV] " : ""}${f.title ?? f.aliases.join(", ")}`;
      rows.push([
        cell(f.id),
        f.severity.toUpperCase(),
        cell(f.status),
        cell(f.installedVersion),
        cell(f.fixedVersion) || "-",
        cell(title, TITLE_WIDTH),
      ]);
    }
  }
  // widths computed over every group at once, so the columns line up down the whole report
  const lines = alignColumns(
    rows,
    (text, col, row) => {
      if (row === 0) return c.bold(text);
      const f = rows[row] as string[];
      return col === 1 ? severityStyle(c, f[1]?.toLowerCase() as Severity)(text) : text;
    },
    "  ",
  );
  const out: string[] = [];
  let next = 1;
  let lastWasOs: boolean | undefined;
  for (const g of groups) {
    const os = g.pkg ? isOsPackage(g.pkg) : false;
    if (os !== lastWasOs) {
      out.push(c.underline(os ? "OS packages" : "Language packages"), "");
      lastWasOs = os;
    }
    out.push(packageHeading(g, c), lines[0] as string);
    for (let i = 0; i < g.findings.length; i++) out.push(lines[next++] as string);
    out.push("");
  }
  return out;
}

const SECTIONS: [LocatedFinding["kind"], string][] = [
  ["secret", "Secrets"],
  ["malware", "Malware"],
  ["misconfig", "Misconfigurations"],
];

/** 1-based position of a layer (by diffID) in the image, or undefined when not known. */
function layerNumber(report: Report, diffId: string | undefined): number | undefined {
  const i = diffId ? (report.target.layers ?? []).findIndex((l) => l.diffId === diffId) : -1;
  return i >= 0 ? i + 1 : undefined;
}

/**
 * File, line or config field; a file a later layer deleted says so and names the layer that still
 * ships it — "the file is gone" is exactly the mistake that leaves a key in a pushed image.
 */
function whereText(f: LocatedFinding, report: Report): string {
  const where = locationText(f);
  if (!f.deleted) return where;
  const n = layerNumber(report, f.location?.layer);
  return `${where} (deleted later${n ? `; still in layer ${n}` : ""})`;
}

function locatedSections(report: Report, c: Colors): string[] {
  const out: string[] = [];
  for (const [kind, heading] of SECTIONS) {
    const list = report.findings.filter((f): f is LocatedFinding => f.kind === kind).sort(compareFindings);
    if (list.length === 0) continue;
    // a masked secret has its own column: cut short inside DETAIL it would tell nothing
    const secrets = kind === "secret";
    const rows = [
      ["SEVERITY", "ID", "LOCATION", ...(secrets ? ["MATCH"] : []), "DETAIL"],
      ...list.map((f) => [
        f.severity.toUpperCase(),
        cell(f.id),
        cell(whereText(f, report)) || "-",
        ...(secrets ? [cell(f.match) || "-"] : []),
        cell([f.title, secrets ? undefined : f.match, f.evidence].filter(Boolean).join(" — "), TITLE_WIDTH),
      ]),
    ];
    out.push(c.underline(heading), "");
    out.push(
      ...alignColumns(
        rows,
        (text, col, row) =>
          row === 0
            ? c.bold(text)
            : col === 0
              ? severityStyle(c, (list[row - 1] as LocatedFinding).severity)(text)
              : text,
        "  ",
      ),
      "",
    );
  }
  return out;
}

function suppressedSection(suppressed: readonly SuppressedFinding[], pkgs: Map<string, Package>): string[] {
  if (suppressed.length === 0) return [];
  const rows = suppressed.map(({ finding: f, reason }) => {
    const p = isVulnerability(f) ? pkgs.get(f.package) : undefined;
    const where = isVulnerability(f) ? (p ? `${p.name} ${p.version}` : f.package) : locationText(f);
    return [cell(f.id), cell(where) || "-", cell(reason, REASON_WIDTH)];
  });
  return [`Suppressed (${suppressed.length}):`, ...alignColumns(rows, undefined, "  ")];
}

export function renderReportTable(report: Report, opts: { color: boolean }): string {
  const c = pc.createColors(opts.color);
  const out = [...targetHeader(report, c), ""];
  // a scan that did not look for vulnerabilities must not say it found none
  if (report.metadata.scanners?.includes("vuln") !== false) out.push(...vulnerabilitySection(report, c));
  out.push(...locatedSections(report, c));

  const counts = summarize(report.findings);
  const total = SEVERITIES.reduce((n, s) => n + counts[s], 0);
  const parts = SEVERITIES.map((s) => severityStyle(c, s)(`${s.toUpperCase()}: ${counts[s]}`));
  out.push(`${c.bold(`Total: ${total}`)} (${parts.join(", ")}), suppressed: ${report.suppressed.length}`);
  const suppressed = suppressedSection(report.suppressed, packageIndex(report.packages));
  if (suppressed.length) out.push("", ...suppressed);
  if (report.warnings?.length) {
    out.push("");
    for (const w of report.warnings) out.push(c.yellow(`warning: ${cell(w)}`));
  }
  return `${out.join("\n")}\n`;
}

export const reportTableFormat: ReportFormatter = { name: "table", render: renderReportTable };
