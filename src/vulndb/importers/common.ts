/**
 * Shared by the importers: the context they report through, defensive accessors for untrusted JSON,
 * YAML that keeps version-like numbers as written, and directory walking.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument, visit } from "yaml";
import type { Severity } from "../../model/index.js";

export interface ImportContext {
  /** a non-fatal problem: a skipped record or field, named by file and field */
  warn(message: string): void;
  /** import time, stamped on each source (defaults to the clock) */
  now?: () => Date;
}

export interface ImportStats {
  /** the format recognised: `osv`, `debian-tracker`, `alpine-secdb`, `nvd`, `kev`, `epss` */
  format: string;
  files: number;
  records: number;
  skipped: number;
  /** OSV records marked `withdrawn` (ignored, not counted as skipped) */
  withdrawn?: number;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A non-empty string, else undefined. */
export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Own property of a JSON object (never an inherited one like `constructor`). */
export const prop = (o: unknown, key: string): unknown =>
  isObject(o) && Object.hasOwn(o, key) ? o[key] : undefined;

/**
 * Parse YAML keeping every plain number as the text it was written as: `1.10` must stay "1.10" when it is
 * a version (PyPA `versions:`, Alpine secdb `secfixes:` keys), not become 1.1. Throws on syntax errors.
 */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message.split("\n")[0]);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "number" && typeof node.source === "string") node.value = node.source;
    },
  });
  return doc.toJS({ maxAliasCount: 100 });
}

/** JSON.parse that reports instead of throwing: undefined + a warning naming the file. */
export function parseJsonText(text: string, file: string, ctx: ImportContext): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    ctx.warn(`${file}: not valid JSON (${(err as Error).message}); skipped`);
    return undefined;
  }
}

/** Every regular file under `dir` (sorted, recursively; hidden entries skipped) whose name passes `want`. */
export async function* walkFiles(dir: string, want: (name: string) => boolean): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkFiles(p, want);
    else if (e.isFile() && want(e.name)) yield p;
  }
}

/**
 * A source's severity word → ours. GHSA: LOW/MODERATE/HIGH/CRITICAL; Ubuntu priorities: negligible/low/
 * medium/high/critical; Debian urgencies: unimportant/low/medium/high ("**" marks an urgency copied from
 * NVD — still the tracker's rating).
 */
export function severityWord(word: unknown): Severity | undefined {
  if (typeof word !== "string") return undefined;
  switch (word.trim().replace(/\*+$/, "").toLowerCase()) {
    case "critical":
      return "critical";
    case "high":
    case "important":
      return "high";
    case "moderate":
    case "medium":
      return "medium";
    case "low":
    case "negligible":
    case "unimportant":
      return "low";
    case "not yet assigned":
    case "unknown":
    case "untriaged":
      return "unknown";
    default:
      return undefined;
  }
}

const CVE = /^CVE[-_ ]?(\d{4})[-_](\d{4,})/i;
const OTHER_ID = /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+$/;

/**
 * Advisory ids in a free-text list entry, as Alpine secdb writes them: "CVE-2019-1010 XSA-293",
 * "CVE-2017-2616 (+ regression fix)", "CVE 2018-16859", "CVE_2019-14907", "CVE-2018-1000.patch".
 * Malformed CVE placeholders ("CVE-????-?????") are dropped. First id first.
 */
export function idsIn(text: string): string[] {
  const ids: string[] = [];
  const words = text.replace(/\bCVE[ _](\d{4})/gi, "CVE-$1").split(/[\s,;]+/);
  for (const word of words) {
    if (word.startsWith("(")) break; // the rest is a comment
    const cve = CVE.exec(word);
    if (cve) ids.push(`CVE-${cve[1]}-${cve[2]}`);
    else if (!/^CVE/i.test(word) && OTHER_ID.test(word)) ids.push(word);
  }
  return [...new Set(ids)];
}
