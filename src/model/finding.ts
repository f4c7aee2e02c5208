import type { Inventory, Location } from "./package.js";

export type Severity = "critical" | "high" | "medium" | "low" | "unknown";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "unknown"];

export type FixStatus = "fixed" | "affected" | "will_not_fix" | "fix_deferred" | "end_of_life" | "unknown";

export interface Cvss {
  source: string;
  version: string;
  vector: string;
  /** base score; NaN when not computable (CVSS v4 vectors without a published score) — JSON shows null */
  score: number;
}

export interface VulnerabilityFinding {
  kind: "vulnerability";
  id: string;
  aliases: string[];
  severity: Severity;
  package: string;
  installedVersion: string;
  fixedVersion?: string;
  status: FixStatus;
  cvss: Cvss[];
  epss?: number;
  kev: boolean;
  title?: string;
  references: string[];
  dataSource: string;
}

export interface LocatedFinding {
  kind: "secret" | "malware" | "misconfig";
  id: string;
  severity: Severity;
  title?: string;
  location?: Location;
  /** for findings in the image config: "config.Env[2]", "history[4].created_by" */
  field?: string;
  /** the file was deleted or replaced by a later layer — it still ships in the image's blobs */
  deleted?: boolean;
  match?: string;
  evidence?: string;
  /**
   * Set by a detector that knows the match is harmless (Airbag's own rule files): suppressFindings
   * moves the finding to `suppressed` with this reason and removes the field.
   */
  suppressedBecause?: string;
}

export type Finding = VulnerabilityFinding | LocatedFinding;

export interface SuppressedFinding {
  finding: Finding;
  reason: string;
}

export interface Report extends Inventory {
  findings: Finding[];
  suppressed: SuppressedFinding[];
  summary: Record<Severity, number>;
  metadata: { tool: "airbag"; version: string; db?: unknown; scanners?: string[]; durationMs: number };
}
