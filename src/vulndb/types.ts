/** The vulnerability database's vocabulary, shared by the store, the writer and the importers. */
import type { Advisory, Cvss, Severity } from "../model/index.js";

export interface EpssEntry {
  cve: string;
  score: number;
  percentile: number;
}

export interface KevEntry {
  cve: string;
  dateAdded?: string;
  dueDate?: string;
  /** CISA `knownRansomwareCampaignUse: "Known"` */
  ransomware: boolean;
  vendor?: string;
  product?: string;
  name?: string;
}

/**
 * `replace`: the record is the source's whole truth about (source, id) — children are replaced.
 * `merge`: the record is one slice of it (Alpine secdb ships one file per release and repository):
 * affected rows of the same (ecosystem, package) are replaced, others kept; aliases/references united.
 */
export type UpsertMode = "replace" | "merge";

/** Where importers put what they parse; the database's writer, or an array in tests. */
export interface AdvisorySink {
  advisory(a: Advisory, mode?: UpsertMode): void;
  epss(e: EpssEntry): void;
  kev(k: KevEntry): void;
}

export interface DbStatus {
  path: string;
  schemaVersion: number;
  builtAt?: string;
  sources: Record<string, { updatedAt?: string; records: number }>;
  counts: { advisories: number; affected: number; aliases: number; epss: number; kev: number };
}

export interface Enrichment {
  cvss: Cvss[];
  severity?: Severity;
  epss?: number;
  kev: boolean;
  title?: string;
  references: string[];
}

/**
 * The name key the `affected` table is indexed by. PyPI names compare after PEP 503 normalisation;
 * NuGet ids and Packagist names are case-insensitive. Everything else is matched as spelled.
 */
export function packageKey(ecosystem: string, name: string): string {
  const eco = ecosystem.split(":", 1)[0];
  if (eco === "PyPI") return name.toLowerCase().replace(/[-_.]+/g, "-");
  if (eco === "NuGet" || eco === "Packagist") return name.toLowerCase();
  return name;
}
