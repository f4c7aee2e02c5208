/**
 * How an Advisory is laid out in the database's rows (schema.ts), and back.
 *
 *  - the advisory row keeps the lookup keys (id, source) and `severity`; everything else is its document
 *    (doc-blocks.ts): summary, details, dates, aliases, references, CVSS;
 *  - an affected row keeps the Affected without `ecosystem` (a column), without `package` when the
 *    column's key spells it, and with its ranges in a compact form: `r: [[type, "i:0", "f:1.2.3"], …]`
 *    (i introduced, f fixed, l last_affected, x limit) — a third of the size of OSV's event objects.
 *
 * Advisories read back decode their document only when one of its fields is first read: the matcher
 * reads every advisory of a package but reports (and so decodes) only those whose ranges hit.
 */
import type { Advisory, Affected, AffectedRange, Cvss, RangeEvent, Severity } from "../model/index.js";

export interface AdvisoryRow {
  pk: number;
  id: string;
  source: string;
  severity: string | null;
  doc: number;
}

/** An advisory's document: the fields of `Advisory` no query looks up by; empty ones omitted. */
interface AdvisoryDoc {
  summary?: string;
  details?: string;
  published?: string;
  modified?: string;
  aliases?: string[];
  references?: string[];
  /** [source, version, vector, score or null when not computable] */
  cvss?: [string, string, string, number | null][];
}

export interface DocFields {
  aliases: string[];
  references: string[];
  cvss: Cvss[];
}

export function docJson(a: Advisory, f: DocFields): string {
  const doc: AdvisoryDoc = {
    ...(a.summary ? { summary: a.summary } : {}),
    ...(a.details ? { details: a.details } : {}),
    ...(a.published ? { published: a.published } : {}),
    ...(a.modified ? { modified: a.modified } : {}),
    ...(f.aliases.length ? { aliases: f.aliases } : {}),
    ...(f.references.length ? { references: f.references } : {}),
    ...(f.cvss.length
      ? {
          cvss: f.cvss.map((c) => [c.source, c.version, c.vector, Number.isFinite(c.score) ? c.score : null]),
        }
      : {}),
  };
  return JSON.stringify(doc);
}

/** The aliases, references and CVSS of a stored document (what a merge unites with). */
export function docFields(json: string): DocFields {
  const d = JSON.parse(json) as AdvisoryDoc;
  return { aliases: d.aliases ?? [], references: d.references ?? [], cvss: cvssOf(d) };
}

const cvssOf = (d: AdvisoryDoc): Cvss[] =>
  (d.cvss ?? []).map(([source, version, vector, score]) => ({
    source,
    version,
    vector,
    score: score ?? Number.NaN,
  }));

const EVENT_CODES = { introduced: "i", fixed: "f", last_affected: "l", limit: "x" } as const;
const EVENT_KEYS: Record<string, keyof typeof EVENT_CODES> = {
  i: "introduced",
  f: "fixed",
  l: "last_affected",
  x: "limit",
};

function encodeRange(r: AffectedRange): string[] {
  const events = r.events.map((e) => {
    const [k, v] = Object.entries(e)[0] as [keyof typeof EVENT_CODES, string];
    return `${EVENT_CODES[k]}:${v}`;
  });
  return [r.type, ...events];
}

function decodeRange([type, ...events]: string[]): AffectedRange {
  return {
    type: type as AffectedRange["type"],
    events: events.map((e) => ({ [EVENT_KEYS[e[0]!]!]: e.slice(2) }) as RangeEvent),
  };
}

/** An Affected as stored (see the header). */
export function affectedJson(f: Affected, key: string): string {
  const { ecosystem: _eco, package: name, versions, ranges, ...rest } = f;
  return JSON.stringify({
    ...rest,
    ...(name !== key ? { package: name } : {}),
    ...(ranges.length ? { r: ranges.map(encodeRange) } : {}),
    ...(versions.length ? { versions } : {}),
  });
}

export function affectedFrom(ecosystem: string, key: string, json: string): Affected {
  const { r, ...f } = JSON.parse(json) as Partial<Affected> & { r?: string[][] };
  return {
    ...f,
    ecosystem,
    package: f.package ?? key,
    ranges: r ? r.map(decodeRange) : [],
    versions: f.versions ?? [],
  };
}

/**
 * An Advisory over a stored row whose document fields are decoded on first read (enumerable getters,
 * so the object compares and spreads like a plain one).
 */
export function storedAdvisory(
  row: AdvisoryRow,
  affected: Affected[],
  doc: (ref: number) => string,
): Advisory {
  let d: AdvisoryDoc | undefined;
  const get = () => {
    d ??= JSON.parse(doc(row.doc)) as AdvisoryDoc;
    return d;
  };
  const a = {
    id: row.id,
    source: row.source,
    ...(row.severity !== null ? { severity: row.severity as Severity } : {}),
    affected,
  } as Advisory;
  const lazy = <K extends keyof Advisory>(key: K, read: (x: AdvisoryDoc) => Advisory[K]) =>
    Object.defineProperty(a, key, { enumerable: true, configurable: true, get: () => read(get()) });
  lazy("aliases", (x) => x.aliases ?? []);
  lazy("summary", (x) => x.summary);
  lazy("details", (x) => x.details);
  lazy("published", (x) => x.published);
  lazy("modified", (x) => x.modified);
  lazy("cvss", cvssOf);
  lazy("references", (x) => x.references ?? []);
  return a;
}
