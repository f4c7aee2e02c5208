import { createHash } from "node:crypto";
import type { BenchReport, BenchResult, CheckItem, CheckResult } from "../bench/types.js";
import type { Severity, VulnerabilityFinding } from "../model/index.js";
import type { BenchFormatter, ResolvedBenchOptions } from "./bench-format.js";
import { runtimeFindings, sectionHeading } from "./bench-summary.js";
import { BAND_SCORE, collectRules, imagePathUri, ruleFor, sarifLevel, sarifLog } from "./report-sarif.js";

/**
 * `airbag bench --format sarif` (SARIF 2.1.0): one rule per CIS check and one per runtime advisory;
 * one result per subject (container, image, file, user) a check failed or warned on — or one for the
 * check when it has no subjects — plus one per runtime vulnerability, suppressed ones with
 * `suppressions`. Passing, informational and skipped checks are not results: code-scanning UIs do not
 * document `kind` and would raise alerts for them; they are listed in the run's properties instead.
 */

type Level = "error" | "warning" | "note";
const FINGERPRINT = "airbagBenchHash/v1";
/** Host files are located relative to this base, bound to the host's root in `originalUriBaseIds`. */
const HOST_ROOT = "HOSTROOT";

const digest = (parts: readonly string[]): string =>
  createHash("sha256").update(parts.join("\u0000")).digest("hex");

/** A warning never outranks a failure of the same check: capped at "warning". */
function resultLevel(r: BenchResult, s: Severity): Level {
  const level = sarifLevel(s);
  return r === "warn" && level === "error" ? "warning" : level;
}

function checkRule(k: CheckResult, benchmark: string): Record<string, unknown> {
  const kind = k.scored ? "Automated" : "Manual";
  const other = Object.entries(k.otherIds ?? {}).map(([release, id]) => `${id} in CIS ${release}`);
  const score = BAND_SCORE[k.severity];
  return {
    id: k.id,
    shortDescription: { text: k.title },
    fullDescription: {
      text: `${benchmark} ${k.id} (${sectionHeading(k.section)}, Level ${k.level}, ${kind}): ${k.title}${other.length ? ` (${other.join(", ")})` : ""}`,
    },
    help: { text: `Remediation: ${k.remediation || "see the benchmark"}` },
    defaultConfiguration: { level: sarifLevel(k.severity) },
    properties: {
      ...(score !== undefined ? { "security-severity": score.toFixed(1) } : {}),
      tags: ["security", "cis-docker-benchmark", k.section, `level-${k.level}`, kind.toLowerCase()],
      precision: "high",
      ...(k.otherIds ? { otherIds: k.otherIds } : {}),
    },
  };
}

/**
 * Identity of "the same problem" across runs: check and subject, without the parenthesised container
 * id or image digest a subject ends with — a recreated container or rebuilt image that still fails
 * is the same alert, not a new one.
 */
function checkFingerprint(k: CheckResult, item: CheckItem | undefined): string {
  const subject = item ? item.subject.replace(/\s+\([^()]*\)$/, "") : "";
  return digest(["bench-check", k.id, subject]);
}

function subjectLocation(k: CheckResult, subject: string): Record<string, unknown> {
  if (subject.startsWith("/")) {
    return {
      physicalLocation: { artifactLocation: { uri: imagePathUri(subject), uriBaseId: HOST_ROOT } },
    };
  }
  const kind = k.section === "runtime" ? "container" : k.section === "images" ? "image" : undefined;
  return { logicalLocations: [{ fullyQualifiedName: subject, ...(kind ? { kind } : {}) }] };
}

function checkResults(k: CheckResult, ruleIndex: number): Record<string, unknown>[] {
  if (k.result !== "fail" && k.result !== "warn") return [];
  const bad = k.items.filter((i) => i.result === "fail" || i.result === "warn");
  const targets: (CheckItem | undefined)[] = bad.length ? bad : [undefined];
  return targets.map((item) => {
    const result = item?.result ?? k.result;
    const what = item ? `${item.subject}: ${item.evidence}` : k.evidence;
    return {
      ruleId: k.id,
      ruleIndex,
      kind: "fail",
      level: resultLevel(result, k.severity),
      message: { text: `${k.title}${what ? ` — ${what}` : ""}` },
      ...(item ? { locations: [subjectLocation(k, item.subject)] } : {}),
      partialFingerprints: { [FINGERPRINT]: checkFingerprint(k, item) },
      properties: {
        result,
        section: k.section,
        ...(item ? { subject: item.subject, checkEvidence: k.evidence } : {}),
      },
    };
  });
}

function vulnerabilityResult(
  f: VulnerabilityFinding,
  reason: string | undefined,
  ruleIndex: number | undefined,
  commit: string | undefined,
): Record<string, unknown> {
  const fix = f.fixedVersion ?? `none (${f.status})`;
  return {
    ruleId: f.id,
    ruleIndex,
    kind: "fail",
    level: sarifLevel(f.severity),
    message: {
      text: `${f.id} (${f.severity}) in ${f.package} ${f.installedVersion}: fixed in ${fix}${f.title ? `. ${f.title}` : ""}`,
    },
    locations: [{ logicalLocations: [{ fullyQualifiedName: f.package, kind: "component" }] }],
    // not the installed version: upgrading to a still-vulnerable release keeps the alert
    partialFingerprints: { [FINGERPRINT]: digest(["runtime-vulnerability", f.id, f.package]) },
    ...(reason ? { suppressions: [{ kind: "external", state: "accepted", justification: reason }] } : {}),
    properties: {
      component: f.package,
      installedVersion: f.installedVersion,
      ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
      ...(commit ? { commit } : {}),
      status: f.status,
      kev: f.kev,
    },
  };
}

export function buildBenchSarif(report: BenchReport, opts: ResolvedBenchOptions): Record<string, unknown> {
  const benchmark = `${report.benchmark.name} ${report.benchmark.version}`;
  const vulns = runtimeFindings(report);
  const vulnRules = [...collectRules(vulns.map((v) => v.finding)).values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  // a check id and an advisory id never collide ("5.5" vs "CVE-…"), so one index serves both
  const rules = [...report.checks.map((k) => checkRule(k, benchmark)), ...vulnRules.map(ruleFor)];
  const ruleIndex = new Map(rules.map((r, i) => [r.id as string, i]));
  const commitOf = (name: string) => report.components.find((k) => k.name === name)?.commit;

  const results = [
    ...report.checks.flatMap((k) => checkResults(k, ruleIndex.get(k.id) as number)),
    ...vulns.map(({ finding, reason }) =>
      vulnerabilityResult(finding, reason, ruleIndex.get(finding.id), commitOf(finding.package)),
    ),
  ];
  const idsWith = (r: BenchResult) => report.checks.filter((k) => k.result === r).map((k) => k.id);
  const t = report.target;
  return sarifLog(opts.toolVersion, rules, {
    invocations: [
      {
        executionSuccessful: true,
        toolExecutionNotifications: report.metadata.warnings.map((w) => ({
          level: "warning",
          message: { text: w },
        })),
      },
    ],
    originalUriBaseIds: {
      [HOST_ROOT]: { uri: "file:///", description: { text: "the benchmarked host's root" } },
    },
    results,
    properties: {
      benchmark,
      ...(t.engine ? { engine: t.engine } : {}),
      ...(t.product ? { product: t.product } : {}),
      ...(t.engineVersion ? { engineVersion: t.engineVersion } : {}),
      ...(t.hostname ? { hostname: t.hostname } : {}),
      offline: t.offline,
      score: report.score,
      // checks that are not results, so the run still records every check's outcome
      passed: idsWith("pass"),
      informational: idsWith("info"),
      skipped: idsWith("skip"),
    },
  });
}

export const benchSarifFormat: BenchFormatter = {
  name: "sarif",
  render: (report, opts) => `${JSON.stringify(buildBenchSarif(report, opts), null, 2)}\n`,
};
