/**
 * `VulnDb.enrich`: what NVD, EPSS and KEV know about the ids of one finding. Matching calls it once per
 * finding, so it asks each table once for all the ids (a JSON array bound as one parameter) instead of
 * once per id, and skips the EPSS/KEV tables when they are empty (remembered for a read-only database).
 */
import type Database from "better-sqlite3";
import type { Cvss } from "../model/index.js";
import { type AdvisoryRow, storedAdvisory } from "./stored-advisory.js";
import type { Enrichment } from "./types.js";

export class EnrichmentReader {
  private readonly st;
  private filled: { epss: boolean; kev: boolean } | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly doc: (ref: number) => string,
  ) {
    this.st = {
      nvd: db.prepare(
        `SELECT a.pk, a.id, a.source, a.severity, a.doc FROM json_each(?) j
         JOIN advisories a ON a.id = j.value AND a.source = 'nvd' ORDER BY j.key`,
      ),
      epss: db.prepare("SELECT max(score) FROM epss WHERE cve IN (SELECT value FROM json_each(?))").pluck(),
      kev: db.prepare("SELECT 1 FROM kev WHERE cve IN (SELECT value FROM json_each(?)) LIMIT 1").pluck(),
    };
  }

  enrich(ids: string[]): Enrichment {
    const list = JSON.stringify([...new Set(ids)]);
    const cvss: Cvss[] = [];
    const references: string[] = [];
    for (const row of this.st.nvd.all(list) as AdvisoryRow[]) {
      const nvd = storedAdvisory(row, [], this.doc);
      cvss.push(...nvd.cvss);
      references.push(...nvd.references);
    }
    const has = this.tables();
    const epss = has.epss ? (this.st.epss.get(list) as number | null) : null;
    const kev = has.kev && this.st.kev.get(list) !== undefined;
    return { cvss, ...(epss !== null ? { epss } : {}), kev, references: [...new Set(references)] };
  }

  private tables(): { epss: boolean; kev: boolean } {
    if (this.filled) return this.filled;
    const any = (t: string) => this.db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get() !== undefined;
    const filled = { epss: any("epss"), kev: any("kev") };
    if (this.db.readonly) this.filled = filled;
    return filled;
  }
}
