import { atLeast, severityRank } from "../match/severity.js";
import {
  SEVERITIES,
  type Severity,
  type SuppressedFinding,
  type VulnerabilityFinding,
} from "../model/index.js";
import { DAEMON_CHECKS } from "./checks/daemon.js";
import { FILE_CHECKS } from "./checks/files.js";
import { HOST_CHECKS } from "./checks/host.js";
import { IMAGE_CHECKS } from "./checks/images.js";
import { OPERATIONS_CHECKS, SWARM_CHECKS } from "./checks/operations.js";
import { RUNTIME_ISOLATION_CHECKS } from "./checks/runtime-isolation.js";
import { RUNTIME_LIMIT_CHECKS } from "./checks/runtime-limits.js";
import { RUNTIME_VERSION_CHECK } from "./checks/runtime-version.js";
import {
  type BenchCheck,
  type BenchContext,
  type BenchReport,
  type BenchResult,
  type BenchScore,
  type CheckResult,
  CIS_VERSION,
} from "./types.js";

/**
 * Runs the CIS checks over collected facts and assembles the report: ordering by CIS id, include /
 * exclude selection, podman's differences, the docker-bench-style score, and the `--fail-on` gate.
 */

/** "5.10" sorts after "5.9": compare dotted ids numerically. */
export function compareIds(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d) return d;
  }
  return 0;
}

export const ALL_CHECKS: readonly BenchCheck[] = [
  ...HOST_CHECKS,
  RUNTIME_VERSION_CHECK,
  ...DAEMON_CHECKS,
  ...FILE_CHECKS,
  ...IMAGE_CHECKS,
  ...RUNTIME_ISOLATION_CHECKS,
  ...RUNTIME_LIMIT_CHECKS,
  ...OPERATIONS_CHECKS,
  ...SWARM_CHECKS,
].sort((a, b) => compareIds(a.id, b.id));

export interface CheckSelection {
  /** ids or id prefixes ("5", "2.7"); empty = all */
  include?: string[];
  exclude?: string[];
}

const covers = (sel: string, id: string) => id === sel || id.startsWith(`${sel}.`);

export function selectChecks(sel: CheckSelection = {}): BenchCheck[] {
  return ALL_CHECKS.filter(
    (c) =>
      (!sel.include?.length || sel.include.some((s) => covers(s, c.id))) &&
      !sel.exclude?.some((s) => covers(s, c.id)),
  );
}

/** podman has no dockerd: daemon settings live in containers.conf, which these checks do not read. */
function podmanSkip(ctx: BenchContext, check: BenchCheck): string | undefined {
  if (ctx.engine?.product !== "podman" || check.section !== "daemon" || ctx.daemon.file) return undefined;
  return "podman runs without a daemon (no daemon.json); its settings live in containers.conf";
}

export function runChecks(ctx: BenchContext, checks: readonly BenchCheck[]): CheckResult[] {
  return checks.map((c) => {
    const { run, ...def } = c;
    const why = podmanSkip(ctx, c);
    const outcome = why ? { result: "skip" as const, evidence: why } : run(ctx);
    return { ...def, ...outcome, items: outcome.items ?? [] };
  });
}

export function score(results: readonly CheckResult[]): BenchScore {
  const counts: Record<BenchResult, number> = { pass: 0, warn: 0, fail: 0, info: 0, skip: 0 };
  let pass = 0;
  let fail = 0;
  for (const r of results) {
    counts[r.result]++;
    if (!r.scored) continue;
    if (r.result === "pass") pass++;
    if (r.result === "fail") fail++;
  }
  return {
    score: pass - fail,
    percent: pass + fail ? Math.round((pass / (pass + fail)) * 100) : 100,
    counts,
  };
}

export function benchSummary(
  results: readonly CheckResult[],
  findings: readonly VulnerabilityFinding[],
): Record<Severity, number> {
  const s = Object.fromEntries(SEVERITIES.map((v) => [v, 0])) as Record<Severity, number>;
  for (const r of results) if (r.result === "fail") s[r.severity]++;
  for (const f of findings) s[f.severity]++;
  return s;
}

export interface ReportParts {
  ctx: BenchContext;
  results: CheckResult[];
  findings: VulnerabilityFinding[];
  suppressed: SuppressedFinding[];
  hostname?: string;
  offline: boolean;
  version: string;
  db?: unknown;
  durationMs: number;
  warnings: string[];
}

export function benchReport(p: ReportParts): BenchReport {
  const engine = p.ctx.engine;
  const engineVersion = engine?.version?.Version ?? engine?.info?.ServerVersion;
  return {
    schemaVersion: 1,
    benchmark: { name: "CIS Docker Benchmark", version: CIS_VERSION },
    target: {
      ...(engine ? { engine: engine.url, product: engine.product } : {}),
      ...(engineVersion ? { engineVersion } : {}),
      ...(p.hostname ? { hostname: p.hostname } : {}),
      offline: p.offline,
    },
    checks: p.results,
    components: p.ctx.components,
    findings: [...p.findings].sort(
      (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id),
    ),
    suppressed: p.suppressed,
    score: score(p.results),
    summary: benchSummary(p.results, p.findings),
    metadata: {
      tool: "airbag",
      version: p.version,
      ...(p.db !== undefined ? { db: p.db } : {}),
      durationMs: p.durationMs,
      warnings: p.warnings,
    },
  };
}

/** What trips `--fail-on SEV`: failed checks and runtime vulnerabilities at or above it. */
export function benchGate(report: BenchReport, floor: Severity): string[] {
  return [
    ...report.checks
      .filter((c) => c.result === "fail" && atLeast(c.severity, floor))
      .map((c) => `${c.id} (${c.severity})`),
    ...report.findings
      .filter((f) => atLeast(f.severity, floor))
      .map((f) => `${f.id} in ${f.package} ${f.installedVersion}`),
  ];
}
