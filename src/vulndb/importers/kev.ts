/**
 * CISA Known Exploited Vulnerabilities catalog
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json):
 * `{ catalogVersion, dateReleased, vulnerabilities: [{ cveID, vendorProject, product, vulnerabilityName,
 * dateAdded, dueDate, knownRansomwareCampaignUse: "Known" | "Unknown", … }] }`.
 */
import type { AdvisorySink, KevEntry } from "../types.js";
import { arr, type ImportContext, isObject, prop, str } from "./common.js";

/** The catalog → entries; entries without a CVE id are skipped with a warning. Never throws. */
export function kevEntries(doc: unknown, file: string, ctx: ImportContext): KevEntry[] {
  if (!isObject(doc) || !Array.isArray(doc.vulnerabilities)) {
    ctx.warn(`${file}: not a CISA KEV catalog (expected "vulnerabilities": [...])`);
    return [];
  }
  const out: KevEntry[] = [];
  arr(doc.vulnerabilities).forEach((v, i) => {
    const cve = str(prop(v, "cveID"))?.trim();
    if (!cve || !/^CVE-\d{4}-\d+$/.test(cve)) {
      ctx.warn(`${file}: vulnerabilities[${i}].cveID missing or not a CVE id; skipped`);
      return;
    }
    const e: KevEntry = {
      cve,
      ransomware: str(prop(v, "knownRansomwareCampaignUse"))?.toLowerCase() === "known",
    };
    const set = (k: "dateAdded" | "dueDate" | "vendor" | "product" | "name", field: string) => {
      const s = str(prop(v, field));
      if (s) e[k] = s;
    };
    set("dateAdded", "dateAdded");
    set("dueDate", "dueDate");
    set("vendor", "vendorProject");
    set("product", "product");
    set("name", "vulnerabilityName");
    out.push(e);
  });
  return out;
}

export const looksLikeKev = (doc: unknown): boolean =>
  isObject(doc) &&
  Array.isArray(doc.vulnerabilities) &&
  ("catalogVersion" in doc || typeof prop(doc.vulnerabilities[0], "cveID") === "string");

export function importKev(doc: unknown, file: string, sink: AdvisorySink, ctx: ImportContext): number {
  const list = kevEntries(doc, file, ctx);
  for (const e of list) sink.kev(e);
  return list.length;
}
