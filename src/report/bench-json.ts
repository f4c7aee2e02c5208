import type { BenchReport } from "../bench/types.js";
import type { BenchFormatter } from "./bench-format.js";

/**
 * `airbag bench --format json`: the BenchReport (schemas/bench.schema.json) with a fixed key order, so
 * two runs over the same host diff line by line whatever order the collectors built objects in. Keys
 * each shape declares come first in that order; any others follow alphabetically; arrays keep their
 * order (checks are already in CIS id order, findings worst first).
 */

type Json = unknown;

const FINDING = [
  "kind",
  "id",
  "aliases",
  "severity",
  "package",
  "installedVersion",
  "fixedVersion",
  "status",
  "cvss",
  "epss",
  "kev",
  "title",
  "references",
  "dataSource",
];

/** Declared key order per object, by its path with array indexes dropped ("checks.items"). */
const ORDER: Record<string, readonly string[]> = {
  "": [
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
  ],
  benchmark: ["name", "version"],
  target: ["engine", "product", "engineVersion", "hostname", "offline"],
  score: ["score", "percent", "counts"],
  "score.counts": ["pass", "fail", "warn", "info", "skip"],
  summary: ["critical", "high", "medium", "low", "unknown"],
  checks: [
    "id",
    "title",
    "section",
    "level",
    "scored",
    "severity",
    "result",
    "evidence",
    "items",
    "remediation",
    "otherIds",
  ],
  "checks.items": ["subject", "result", "evidence"],
  components: ["name", "version", "commit", "source", "product"],
  findings: FINDING,
  "findings.cvss": ["source", "version", "vector", "score"],
  suppressed: ["finding", "reason"],
  "suppressed.finding": FINDING,
  "suppressed.finding.cvss": ["source", "version", "vector", "score"],
  metadata: ["tool", "version", "db", "durationMs", "warnings"],
};

function ordered(value: Json, path: string): Json {
  if (Array.isArray(value)) return value.map((v) => ordered(v, path));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, Json>;
  const declared = ORDER[path] ?? [];
  const rest = Object.keys(obj)
    .filter((k) => !declared.includes(k))
    .sort();
  const out: Record<string, Json> = {};
  for (const k of [...declared.filter((k) => Object.hasOwn(obj, k)), ...rest]) {
    if (obj[k] === undefined) continue; // as JSON.stringify would drop it
    out[k] = ordered(obj[k], path ? `${path}.${k}` : k);
  }
  return out;
}

export function renderBenchJson(report: BenchReport): string {
  // NaN CVSS scores (uncomputable v4 vectors) become null, as the scan report's JSON writes them
  return `${JSON.stringify(ordered(report, ""), null, 2)}\n`;
}

export const benchJsonFormat: BenchFormatter = { name: "json", render: renderBenchJson };
