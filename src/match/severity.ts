import type { Cvss, Severity } from "../model/index.js";

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** CVSS v3/v4 qualitative rating (FIRST spec §5): 9.0+ critical, 7.0+ high, 4.0+ medium, 0.1+ low. */
export function severityFromScore(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score > 0) return "low";
  return "unknown";
}

/** NVD's score first (it is the reference most users compare with), then the highest other score. */
export function severityFromCvss(cvss: Cvss[]): Severity | undefined {
  const scored = cvss.filter((c) => Number.isFinite(c.score) && c.score > 0);
  if (scored.length === 0) return undefined;
  const newest = (list: Cvss[]) => [...list].sort((a, b) => b.version.localeCompare(a.version))[0]!;
  const nvd = scored.filter((c) => c.source === "nvd");
  if (nvd.length) return severityFromScore(newest(nvd).score);
  return severityFromScore(Math.max(...scored.map((c) => c.score)));
}

/** `>=high`, `high`, or a comma list of names → predicate over severities. */
export function parseSeverityList(list: string): Set<Severity> {
  const out = new Set<Severity>();
  for (const raw of list.split(",")) {
    const s = raw.trim().toLowerCase();
    if (!s) continue;
    if (!(s in RANK))
      throw new Error(`unknown severity "${raw.trim()}" (use critical, high, medium, low, unknown)`);
    out.add(s as Severity);
  }
  return out;
}

export function atLeast(s: Severity, floor: Severity): boolean {
  return RANK[s] >= RANK[floor] && s !== "unknown";
}
