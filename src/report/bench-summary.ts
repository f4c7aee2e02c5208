import type { BenchReport, BenchResult, BenchSection, CheckResult } from "../bench/types.js";
import type { SuppressedFinding, VulnerabilityFinding } from "../model/index.js";
import { compareFindings } from "./summary.js";

/**
 * Facts every `airbag bench` output format needs (section names and order, grouping, the score
 * sentence), in one place so the table, JUnit, SARIF and HTML renderings of one run agree.
 */

/** CIS Docker Benchmark v1.6.0 section numbers and headings, in benchmark order. */
export const SECTIONS: readonly { section: BenchSection; number: number; title: string }[] = [
  { section: "host", number: 1, title: "Host configuration" },
  { section: "daemon", number: 2, title: "Docker daemon configuration" },
  { section: "files", number: 3, title: "Docker daemon configuration files" },
  { section: "images", number: 4, title: "Container images and build file" },
  { section: "runtime", number: 5, title: "Container runtime" },
  { section: "operations", number: 6, title: "Docker security operations" },
  { section: "swarm", number: 7, title: "Docker Swarm configuration" },
];

export function sectionHeading(section: BenchSection): string {
  const s = SECTIONS.find((x) => x.section === section);
  return s ? `${s.number} ${s.title}` : section;
}

export interface SectionGroup {
  section: BenchSection;
  heading: string;
  checks: CheckResult[];
}

/**
 * Checks grouped by section in benchmark order, each group in report order (run.ts sorts by id). A
 * section this renderer does not know still gets a group at the end rather than being dropped.
 */
export function checksBySection(checks: readonly CheckResult[]): SectionGroup[] {
  const known: string[] = SECTIONS.map((s) => s.section);
  const sections = [
    ...SECTIONS.map((s) => s.section),
    ...new Set(checks.map((c) => c.section).filter((s) => !known.includes(s))),
  ];
  return sections
    .map((section) => ({
      section,
      heading: sectionHeading(section),
      checks: checks.filter((c) => c.section === section),
    }))
    .filter((g) => g.checks.length > 0);
}

/** Display order of results in counts: the ones to act on first. */
export const RESULT_ORDER: readonly BenchResult[] = ["pass", "fail", "warn", "info", "skip"];

/** "Score: N (pass P, fail F, warn W, info I, skip S) — X% of scored checks pass" */
export function scoreLine(report: BenchReport): string {
  const { score, percent, counts } = report.score;
  const parts = RESULT_ORDER.map((r) => `${r} ${counts[r] ?? 0}`).join(", ");
  return `Score: ${score} (${parts}) — ${percent}% of scored checks pass`;
}

/** Items worth listing: everything that is not a pass (passes are counted, not listed). */
export const notPassing = (c: CheckResult) => c.items.filter((i) => i.result !== "pass");

/** Runtime findings worst first, then suppressed ones, each with the suppression reason if any. */
export function runtimeFindings(report: BenchReport): { finding: VulnerabilityFinding; reason?: string }[] {
  const suppressed = report.suppressed.filter(
    (s: SuppressedFinding): s is { finding: VulnerabilityFinding; reason: string } =>
      s.finding.kind === "vulnerability",
  );
  return [
    ...[...report.findings].sort(compareFindings).map((finding) => ({ finding })),
    ...suppressed.map(({ finding, reason }) => ({ finding, reason })),
  ];
}
