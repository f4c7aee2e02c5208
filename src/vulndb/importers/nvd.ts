/**
 * NVD CVE API 2.0 (https://nvd.nist.gov/developers/vulnerabilities): a response page
 * `{ vulnerabilities: [{ cve }] }`, or one `cve` object per file as aquasecurity/vuln-list-nvd stores
 * them. NVD is enrichment: CVSS (v4.0, v3.1, v3.0, v2 — NVD's own `nvd@nist.gov` metrics as source `nvd`,
 * a CNA's under its identifier), description, references; plus the CPE configurations, kept under
 * ecosystem `cpe` / package `vendor:product` for host software (runc, containerd, docker) that no distro
 * or language advisory covers. The scores NVD publishes are stored as published (our own v3 calculator
 * reproduces them; see cvss.test.ts).
 */
import type { Advisory, Affected, CpeMatch, Cvss } from "../../model/index.js";
import { cvssFromVector } from "../cvss.js";
import type { AdvisorySink } from "../types.js";
import { arr, type ImportContext, isObject, prop, str } from "./common.js";

export const NVD_SOURCE = "nvd";

const METRICS = ["cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"] as const;

/** NVD writes UTC times without a zone ("2019-02-11T19:29:00.297"). */
const utc = (t: string | undefined) => (t && !/(Z|[+-]\d\d:?\d\d)$/.test(t) ? `${t}Z` : t);

function metricsOf(cve: unknown): Cvss[] {
  const out: Cvss[] = [];
  const metrics = prop(cve, "metrics");
  for (const key of METRICS) {
    for (const m of arr(prop(metrics, key))) {
      const data = prop(m, "cvssData");
      const vector = str(prop(data, "vectorString"));
      if (!vector) continue;
      const raw = str(prop(m, "source"));
      const source = raw === undefined || raw === "nvd@nist.gov" ? NVD_SOURCE : raw;
      const parsed = cvssFromVector(source, vector);
      if (!parsed) continue;
      const published = prop(data, "baseScore");
      out.push(
        typeof published === "number" && Number.isFinite(published)
          ? { ...parsed, score: published }
          : parsed,
      );
    }
  }
  return out;
}

/** `cpe:2.3:part:vendor:product:…` fields, honouring `\:` escapes. */
function cpeFields(cpe: string): string[] {
  return cpe.split(/(?<!\\):/);
}

function configurationsOf(cve: unknown): Affected[] {
  const byProduct = new Map<string, Affected>();
  for (const config of arr(prop(cve, "configurations"))) {
    const vulnerable: CpeMatch[] = [];
    const platforms: string[] = [];
    for (const node of arr(prop(config, "nodes"))) {
      if (prop(node, "negate") === true) continue;
      for (const m of arr(prop(node, "cpeMatch"))) {
        const criteria = str(prop(m, "criteria"));
        if (!criteria?.startsWith("cpe:2.3:")) continue;
        if (prop(m, "vulnerable") !== true) {
          platforms.push(criteria);
          continue;
        }
        const match: CpeMatch = { criteria };
        for (const k of [
          "versionStartIncluding",
          "versionStartExcluding",
          "versionEndIncluding",
          "versionEndExcluding",
        ] as const) {
          const v = str(prop(m, k));
          if (v) match[k] = v;
        }
        vulnerable.push(match);
      }
    }
    const and = prop(config, "operator") === "AND" && platforms.length > 0;
    for (const match of vulnerable) {
      const f = cpeFields(match.criteria);
      if (!f[3] || !f[4]) continue;
      const pkg = `${f[3]}:${f[4]}`;
      let aff = byProduct.get(pkg);
      if (!aff) {
        aff = { ecosystem: "cpe", package: pkg, ranges: [], versions: [], cpe: [] };
        byProduct.set(pkg, aff);
      }
      aff.cpe!.push(and ? { ...match, platforms } : match);
    }
  }
  return [...byProduct.values()];
}

/** One NVD `cve` object → Advisory (undefined + warning when it has no CVE id). Never throws. */
export function nvdCveToAdvisory(cve: unknown, where: string, ctx: ImportContext): Advisory | undefined {
  const id = str(prop(cve, "id"));
  if (!id || !/^CVE-\d{4}-\d+$/.test(id)) {
    ctx.warn(`${where}: NVD record without a CVE "id"; skipped`);
    return undefined;
  }
  if (prop(cve, "vulnStatus") === "Rejected") return undefined;
  const descriptions = arr(prop(cve, "descriptions"));
  const details = str(prop(descriptions.find((d) => prop(d, "lang") === "en") ?? descriptions[0], "value"));
  const published = utc(str(prop(cve, "published")));
  const modified = utc(str(prop(cve, "lastModified")));
  return {
    id,
    aliases: [],
    source: NVD_SOURCE,
    ...(details ? { details } : {}),
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    cvss: metricsOf(cve),
    affected: configurationsOf(cve),
    references: [
      ...new Set(
        arr(prop(cve, "references"))
          .map((r) => str(prop(r, "url")))
          .filter((u): u is string => !!u),
      ),
    ],
  };
}

/** The `cve` objects of an NVD document: an API page, `{cve}`, or a bare cve object. */
export function nvdCves(doc: unknown): unknown[] {
  if (isObject(doc) && Array.isArray(doc.vulnerabilities))
    return doc.vulnerabilities.map((v) => prop(v, "cve"));
  if (isObject(doc) && isObject(doc.cve)) return [doc.cve];
  return [doc];
}

export const looksLikeNvd = (doc: unknown): boolean =>
  isObject(doc) &&
  ((Array.isArray(doc.vulnerabilities) &&
    (doc.format === "NVD_CVE" || isObject(prop(doc.vulnerabilities[0], "cve")))) ||
    isObject(doc.cve) ||
    (typeof doc.id === "string" && /^CVE-/.test(doc.id) && ("metrics" in doc || "descriptions" in doc)));

export function importNvd(
  doc: unknown,
  file: string,
  sink: AdvisorySink,
  ctx: ImportContext,
): { records: number; skipped: number } {
  let records = 0;
  let skipped = 0;
  nvdCves(doc).forEach((cve, i) => {
    const a = nvdCveToAdvisory(cve, `${file}: vulnerabilities[${i}]`, ctx);
    if (a) {
      sink.advisory(a, "replace");
      records++;
    } else skipped++;
  });
  return { records, skipped };
}
