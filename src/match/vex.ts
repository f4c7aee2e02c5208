import { readFile } from "node:fs/promises";
import { inputError } from "../model/index.js";

/**
 * `--vex`: OpenVEX (v0.2.0) statements from the image's publisher. A statement names a vulnerability
 * (id or alias), the products it is about (purls; the image's own purl, or a package) and optional
 * subcomponents (package purls). `not_affected` (with justification or impact statement) and `fixed`
 * suppress the matching findings; `affected` and `under_investigation` suppress nothing.
 * Of several statements about the same vulnerability and product, the latest `timestamp` wins.
 */

export type VexStatus = "not_affected" | "affected" | "fixed" | "under_investigation";

export interface VexStatement {
  vulnerability: string[];
  /** purls / identifiers; empty = every product of the document */
  products: string[];
  subcomponents: string[];
  status: VexStatus;
  justification?: string;
  impact?: string;
  timestamp?: number;
  where: string;
}

const STATUSES = new Set<VexStatus>(["not_affected", "affected", "fixed", "under_investigation"]);
const MAX_VEX = 64 << 20;

export async function readVex(file: string): Promise<VexStatement[]> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_VEX) throw inputError(`--vex ${file}: larger than 64 MiB`);
    text = buf.toString("utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "INPUT") throw err;
    throw inputError(`--vex ${file}: cannot read (${(err as NodeJS.ErrnoException).code})`, err);
  }
  return parseVex(text, file);
}

export function parseVex(text: string, file: string): VexStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw inputError(`${file}: not valid JSON (${(err as Error).message})`, err);
  }
  const d = doc as { "@context"?: unknown; statements?: unknown; timestamp?: unknown };
  if (!d || typeof d !== "object" || typeof d["@context"] !== "string" || !/openvex/i.test(d["@context"]))
    throw inputError(`${file}: not an OpenVEX document (no "@context" naming openvex)`);
  if (!Array.isArray(d.statements)) throw inputError(`${file}: "statements" must be an array`);
  const docTime = time(d.timestamp);
  return d.statements.map((s, i) => parseStatement(s, `${file}: statements[${i}]`, docTime));
}

function parseStatement(s: unknown, where: string, docTime?: number): VexStatement {
  if (!s || typeof s !== "object") throw inputError(`${where}: expected an object`);
  const st = s as Record<string, unknown>;
  const status = st.status as VexStatus;
  if (!STATUSES.has(status))
    throw inputError(
      `${where}.status: expected one of ${[...STATUSES].join(", ")}, got ${JSON.stringify(st.status)}`,
    );
  const vulnerability = vulnIds(st.vulnerability, `${where}.vulnerability`);
  const out: VexStatement = {
    vulnerability,
    products: ids(st.products, `${where}.products`),
    subcomponents: ids(st.subcomponents, `${where}.subcomponents`),
    status,
    where,
  };
  if (typeof st.justification === "string") out.justification = st.justification;
  if (typeof st.impact_statement === "string") out.impact = st.impact_statement;
  const t = time(st.timestamp) ?? time(st.last_updated) ?? docTime;
  if (t !== undefined) out.timestamp = t;
  if (status === "not_affected" && !out.justification && !out.impact)
    throw inputError(`${where}: not_affected needs a justification or impact_statement (OpenVEX spec)`);
  return out;
}

function vulnIds(v: unknown, where: string): string[] {
  // v0.2.0: { name, aliases }; v0.0.1: a plain string
  if (typeof v === "string" && v) return [v];
  if (v && typeof v === "object") {
    const o = v as { name?: unknown; "@id"?: unknown; aliases?: unknown };
    const out = [o.name, o["@id"]].filter((x): x is string => typeof x === "string" && x !== "");
    if (Array.isArray(o.aliases)) for (const a of o.aliases) if (typeof a === "string") out.push(a);
    if (out.length) return out;
  }
  throw inputError(`${where}: expected a vulnerability name`);
}

function ids(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw inputError(`${where}: expected an array`);
  const out: string[] = [];
  for (const p of v) {
    if (typeof p === "string") out.push(p);
    else if (p && typeof p === "object") {
      const o = p as { "@id"?: unknown; identifiers?: Record<string, unknown>; subcomponents?: unknown };
      if (typeof o["@id"] === "string") out.push(o["@id"]);
      for (const x of Object.values(o.identifiers ?? {})) if (typeof x === "string") out.push(x);
    }
  }
  return out;
}

const time = (v: unknown): number | undefined => {
  if (typeof v !== "string") return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
};

/** purl equality for VEX: same type/namespace/name; version and qualifiers only when the statement gives them. */
export function purlMatches(statement: string, pkgPurl: string): boolean {
  const a = splitPurl(statement);
  const b = splitPurl(pkgPurl);
  if (!a || !b || a.base !== b.base) return false;
  if (a.version && a.version !== b.version) return false;
  for (const [k, v] of a.qualifiers) if (b.qualifiers.get(k) !== v) return false;
  return true;
}

function splitPurl(
  p: string,
): { base: string; version?: string; qualifiers: Map<string, string> } | undefined {
  if (!p.startsWith("pkg:")) return undefined;
  const noFrag = p.split("#", 1)[0]!;
  const [head, query] = noFrag.split("?", 2) as [string, string | undefined];
  const at = head.lastIndexOf("@");
  const slash = head.lastIndexOf("/");
  const base = decodeURIComponent(at > slash ? head.slice(0, at) : head).toLowerCase();
  const version = at > slash ? decodeURIComponent(head.slice(at + 1)) : undefined;
  const qualifiers = new Map<string, string>();
  for (const kv of query ? query.split("&") : []) {
    const [k, v = ""] = kv.split("=", 2) as [string, string?];
    qualifiers.set(k.toLowerCase(), decodeURIComponent(v));
  }
  return { base, ...(version ? { version } : {}), qualifiers };
}
