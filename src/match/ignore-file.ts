import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { inputError } from "../model/index.js";

/**
 * `--ignore-file`: a YAML list of findings a team has decided to accept, each with a reason and
 * optionally an expiry. An expired entry stops suppressing (and says so) — accepted risk is reviewed,
 * not forgotten.
 *
 * ```yaml
 * ignore:
 *   - id: CVE-2023-44487          # finding id or any alias
 *     package: golang.org/x/net   # optional: package name, purl (prefix, no version = any) or package id
 *     path: usr/local/bin/app     # optional: glob on the finding's location path
 *     reason: not reachable, HTTP/2 disabled
 *     expires: 2027-01-31
 * ```
 */

export interface IgnoreRule {
  id: string;
  package?: string;
  path?: string;
  reason: string;
  expires?: Date;
  /** where the rule was written, for messages: "FILE: ignore[3]" */
  where: string;
}

const KEYS = new Set(["id", "package", "path", "reason", "expires"]);

export async function readIgnoreFile(file: string): Promise<IgnoreRule[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw inputError(`--ignore-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code})`, err);
  }
  return parseIgnoreFile(text, file);
}

export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw inputError(`${file}: not valid YAML (${(err as Error).message.split("\n")[0]})`, err);
  }
  if (doc === null || doc === undefined) return [];
  const list = Array.isArray(doc) ? doc : (doc as { ignore?: unknown }).ignore;
  if (!Array.isArray(list))
    throw inputError(`${file}: expected a list of rules under "ignore:" (each with id and reason)`);
  return list.map((entry, i) => parseRule(entry, `${file}: ignore[${i}]`));
}

function parseRule(entry: unknown, where: string): IgnoreRule {
  if (typeof entry === "string") throw inputError(`${where}: "${entry}" needs a reason; write {id, reason}`);
  if (!entry || typeof entry !== "object" || Array.isArray(entry))
    throw inputError(`${where}: expected a mapping with id and reason`);
  const e = entry as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!KEYS.has(k)) throw inputError(`${where}: unknown key "${k}"`);
  const str = (k: string): string | undefined => {
    const v = e[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.trim() === "")
      throw inputError(`${where}.${k}: expected a non-empty string`);
    return v.trim();
  };
  const id = str("id");
  if (!id) throw inputError(`${where}: missing "id"`);
  const reason = str("reason");
  if (!reason) throw inputError(`${where}: missing "reason" (say why the finding is accepted)`);
  const rule: IgnoreRule = { id, reason, where };
  const pkg = str("package");
  if (pkg) rule.package = pkg;
  const path = str("path");
  if (path) rule.path = path;
  if (e.expires !== undefined && e.expires !== null)
    rule.expires = parseExpiry(e.expires, `${where}.expires`);
  return rule;
}

function parseExpiry(v: unknown, where: string): Date {
  // YAML may already have turned 2027-01-31 into a Date (yaml 1.1 timestamps) or left it a string
  const d = v instanceof Date ? v : typeof v === "string" ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw inputError(`${where}: expected a date like 2027-01-31`);
  // a bare date means "through the end of that day"
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v.trim()))
    return new Date(`${v.trim()}T23:59:59.999Z`);
  return d;
}

/** Glob on paths: `*` within a segment, `**` across segments, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  const g = glob.replace(/^\/+/, "");
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === "*") {
      if (g[i + 1] === "*") {
        re += ".*";
        i++;
        if (g[i + 1] === "/") i++;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
