/**
 * OSV records (https://ossf.github.io/osv-schema/) → Advisory, every ecosystem: JSON files, a directory
 * tree of them, a JSON array or JSON-lines file, a zip of them (osv.dev's `<ecosystem>/all.zip`), and
 * PyPA's YAML. Each record is validated against the OSV schema (schemas/osv.schema.json); an invalid
 * record is skipped with a warning naming the file and the field, and the import goes on.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import type { Advisory, Affected, AffectedRange, Cvss, RangeEvent, Severity } from "../../model/index.js";
import { cvssFromVector } from "../cvss.js";
import type { AdvisorySink } from "../types.js";
import { arr, type ImportContext, isObject, type JsonObject, prop, severityWord, str } from "./common.js";

export const OSV_SOURCE = "osv";

let validator: ValidateFunction | undefined;

/** RFC 3339 date-time (the schema also pins the shape with a pattern). */
const DATE_TIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;

function validate(): ValidateFunction {
  if (!validator) {
    const schemaFile = fileURLToPath(new URL("../../../schemas/osv.schema.json", import.meta.url));
    const ajv = new Ajv2020({ strict: false, allErrors: false });
    ajv.addFormat("date-time", DATE_TIME);
    ajv.addFormat("uri", true); // references are kept as given; a bad URL is no reason to drop an advisory
    validator = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")) as object);
  }
  return validator;
}

/** Lowercased id prefix (`GHSA`, `GO`, `UBUNTU` → `ghsa`, …): the source named on the record's CVSS. */
const homeDatabase = (id: string) => (id.split("-", 1)[0] ?? id).toLowerCase();

/**
 * CVSS vectors from an OSV `severity[]`. Real records carry cosmetic slips the schema's pattern rejects
 * (GHSA's trailing "/"): those are tidied; a vector we still cannot read is dropped with a warning
 * instead of losing the whole advisory. `Ubuntu` entries carry Ubuntu's priority word.
 */
function readSeverities(list: unknown, source: string, where: string, ctx: ImportContext) {
  const cvss: Cvss[] = [];
  const kept: JsonObject[] = [];
  let word: Severity | undefined;
  for (const s of arr(list)) {
    const type = prop(s, "type");
    const score = str(prop(s, "score"))?.trim().replace(/\/+$/, "");
    if (type === "Ubuntu") {
      word = severityWord(score) ?? word;
      if (score) kept.push({ type, score });
      continue;
    }
    const c =
      score && (type === "CVSS_V2" || type === "CVSS_V3" || type === "CVSS_V4")
        ? cvssFromVector(source, score)
        : undefined;
    if (!c || (type !== "CVSS_V4" && !Number.isFinite(c.score))) {
      ctx.warn(`${where}: severity ${JSON.stringify(s)} is not a CVSS vector we can read; entry dropped`);
      continue;
    }
    cvss.push(c);
    kept.push({ type: type as string, score: c.vector });
  }
  return { cvss, kept, word };
}

function readRange(r: unknown): AffectedRange | undefined {
  const type = prop(r, "type");
  if (type !== "SEMVER" && type !== "ECOSYSTEM") return undefined; // GIT ranges need commit graphs
  const events: RangeEvent[] = [];
  for (const e of arr(prop(r, "events"))) {
    for (const k of ["introduced", "fixed", "last_affected", "limit"] as const) {
      const v = str(prop(e, k));
      if (v !== undefined) events.push({ [k]: v } as RangeEvent);
    }
  }
  return events.length ? { type, events } : undefined;
}

/** `UBUNTU-CVE-2021-3156` is about `CVE-2021-3156`: such a related id is an alias, other related ids are not. */
function upstreamIds(id: string, rec: JsonObject): string[] {
  const out = arr(rec.upstream).filter((u): u is string => typeof u === "string");
  for (const r of arr(rec.related)) if (typeof r === "string" && id.endsWith(`-${r}`)) out.push(r);
  return out;
}

export type OsvOutcome = { advisory: Advisory } | { skipped: "withdrawn" | "invalid" };

/** One OSV record (already parsed JSON/YAML) → an Advisory, or why not. Never throws. */
export function osvRecordToAdvisory(input: unknown, where: string, ctx: ImportContext): OsvOutcome {
  if (!isObject(input)) {
    ctx.warn(`${where}: not an OSV record (expected an object); skipped`);
    return { skipped: "invalid" };
  }
  const id = str(input.id) ?? "?";
  const label = `${where}: ${id}`;
  if (input.withdrawn !== undefined && input.withdrawn !== null) return { skipped: "withdrawn" };
  const source = homeDatabase(id);
  // tidy severities first so a cosmetic slip does not fail the whole record's validation
  const top = readSeverities(input.severity, source, `${label}: severity`, ctx);
  const rec: JsonObject = { ...input };
  if (Array.isArray(input.severity)) rec.severity = top.kept;
  const perPackage: { cvss: Cvss[]; word?: Severity }[] = [];
  if (Array.isArray(input.affected)) {
    rec.affected = input.affected.map((a, i) => {
      if (!isObject(a) || !Array.isArray(a.severity)) return a;
      const s = readSeverities(a.severity, source, `${label}: affected[${i}].severity`, ctx);
      perPackage[i] = s;
      return { ...a, severity: s.kept };
    });
  }
  const valid = validate();
  if (!valid(rec)) {
    const e = valid.errors?.[0];
    ctx.warn(
      `${label}: invalid OSV record at ${e?.instancePath || "/"} (${e?.message ?? "schema"}); skipped`,
    );
    return { skipped: "invalid" };
  }
  const affected: Affected[] = [];
  arr(rec.affected).forEach((a, i) => {
    const ecosystem = str(prop(prop(a, "package"), "ecosystem"));
    const name = str(prop(prop(a, "package"), "name"));
    if (!ecosystem || !name) return; // a record may describe only GIT repositories
    const ranges = arr(prop(a, "ranges"))
      .map(readRange)
      .filter((r): r is AffectedRange => r !== undefined);
    const versions = arr(prop(a, "versions")).filter((v): v is string => typeof v === "string");
    if (ranges.length === 0 && versions.length === 0) return;
    const severity =
      perPackage[i]?.word ??
      severityWord(prop(prop(a, "ecosystem_specific"), "severity")) ??
      severityWord(prop(prop(a, "database_specific"), "severity"));
    affected.push({ ecosystem, package: name, ranges, versions, ...(severity ? { severity } : {}) });
  });
  const cvss = [...top.cvss, ...perPackage.flatMap((p) => p?.cvss ?? [])];
  const seen = new Set<string>();
  const severity = severityWord(prop(rec.database_specific, "severity")) ?? top.word;
  const summary = str(rec.summary);
  const details = str(rec.details);
  const published = str(rec.published);
  const modified = str(rec.modified);
  const advisory: Advisory = {
    id,
    aliases: [
      ...new Set([
        ...arr(rec.aliases).filter((x): x is string => typeof x === "string"),
        ...upstreamIds(id, rec),
      ]),
    ],
    source: OSV_SOURCE,
    ...(summary ? { summary } : {}),
    ...(details ? { details } : {}),
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    ...(severity ? { severity } : {}),
    cvss: cvss.filter((c) => !seen.has(c.vector) && seen.add(c.vector)),
    affected,
    references: [
      ...new Set(
        arr(rec.references)
          .map((r) => str(prop(r, "url")))
          .filter((u): u is string => !!u),
      ),
    ],
  };
  return { advisory };
}

export interface OsvCounts {
  records: number;
  skipped: number;
  withdrawn: number;
}

/** A parsed OSV document — one record or an array of them — into the sink. Never throws. */
export function importOsvDocument(
  doc: unknown,
  file: string,
  sink: AdvisorySink,
  ctx: ImportContext,
): OsvCounts {
  const counts: OsvCounts = { records: 0, skipped: 0, withdrawn: 0 };
  const put = (rec: unknown, where: string) => {
    const out = osvRecordToAdvisory(rec, where, ctx);
    if ("advisory" in out) {
      sink.advisory(out.advisory, "replace");
      counts.records++;
    } else if (out.skipped === "withdrawn") counts.withdrawn++;
    else counts.skipped++;
  };
  if (Array.isArray(doc)) {
    for (const [i, rec] of doc.entries()) put(rec, `${file}[${i}]`);
  } else put(doc, file);
  return counts;
}

/** Cheap sniff on a parsed document: does it look like an OSV record? */
export const looksLikeOsv = (doc: unknown): boolean =>
  isObject(doc) &&
  typeof doc.id === "string" &&
  (Array.isArray(doc.affected) || typeof doc.modified === "string");
