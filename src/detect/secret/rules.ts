import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { AirbagError, SEVERITIES, type Severity } from "../../model/index.js";
import { CHECKS, type CheckName } from "./checks.js";

/**
 * The secret rule pack (`data/rules/secrets.yaml`): what to look for, what to let pass, what to re-rate.
 * Rules are data so an operator can read why something fired; this file only parses and validates the
 * pack into compiled regexes. The format is documented at the top of the YAML file.
 */

export interface SecretRule {
  /** position in the pack: on the same secret, the rule listed first wins */
  order: number;
  /** finding id; several entries may share one (alternative patterns for one kind of secret) */
  id: string;
  title: string;
  severity: Severity;
  /** prefilter: the rule only runs near one of these (case-insensitive, ASCII) */
  keywords: string[];
  matcher: "regex" | "private-key";
  /** global, multiline; a named group `secret` (else the whole match) is the secret */
  regex?: RegExp;
  /** private-key matcher: report encrypted (true) or unencrypted (false) keys */
  encrypted?: boolean;
  /** a match starts at most this many characters before the keyword (default: anywhere on the line) */
  before?: number;
  /** one of these must follow the keyword in its region, or the rule does not run (a cheap byte search) */
  confirm: string[];
  /** "line": the keyword's line; "block": from the keyword's line on, a few KiB (PEM blocks) */
  context: "line" | "block";
  /** also scanned in binary files (cheap, prefix-anchored rules only) */
  binary: boolean;
  /** only files whose path matches one of these */
  paths?: RegExp[];
  /** minimum Shannon entropy (bits per character) of the secret */
  entropy?: number;
  minLength: number;
  /** named group `key` must match keyPattern and must not match keyExclude */
  keyPattern?: RegExp;
  keyExclude?: RegExp;
  checks: CheckName[];
  /** the file must also contain every one of these keywords (pair context) */
  requires: string[];
  /** hits of these rule ids in the same file are dropped when this rule fires */
  supersedes: string[];
  references: string[];
}

export interface AllowRule {
  id: string;
  reason: string;
  /** every condition given must hold */
  rules?: Set<string>;
  /** rules this entry never applies to (e.g. filler patterns vs. private key bodies, which have AAAA… runs) */
  exceptRules?: Set<string>;
  paths?: RegExp[];
  secrets?: Set<string>;
  regex?: RegExp;
  /** sha256 (hex) of a private key's base64 body */
  fingerprints?: Set<string>;
}

export interface RerateRule {
  id: string;
  reason: string;
  rules?: Set<string>;
  paths?: RegExp[];
  severity: Severity;
}

export interface SecretRulePack {
  source: string;
  rules: SecretRule[];
  allow: AllowRule[];
  rerate: RerateRule[];
}

type Raw = Record<string, unknown>;

class PackReader {
  constructor(readonly source: string) {}

  fail(where: string, what: string): never {
    throw new AirbagError("INPUT", `${this.source}: ${where}: ${what} (fix the secret rule pack)`);
  }

  str(o: Raw, key: string, where: string, required = true): string | undefined {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "") this.fail(`${where}.${key}`, "expected a non-empty string");
    return v;
  }

  list(o: Raw, key: string, where: string): string[] {
    const v = o[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === ""))
      this.fail(`${where}.${key}`, "expected a list of non-empty strings");
    return v as string[];
  }

  regex(source: string, flags: string, where: string): RegExp {
    try {
      return new RegExp(source, flags);
    } catch (e) {
      return this.fail(where, `invalid regular expression: ${(e as Error).message}`);
    }
  }

  severity(o: Raw, where: string): Severity {
    const s = this.str(o, "severity", where) as Severity;
    if (!SEVERITIES.includes(s)) this.fail(`${where}.severity`, `must be one of ${SEVERITIES.join(", ")}`);
    return s;
  }

  paths(o: Raw, where: string): RegExp[] | undefined {
    const p = this.list(o, "paths", where);
    return p.length ? p.map((x, i) => this.regex(x, "", `${where}.paths[${i}]`)) : undefined;
  }

  number(o: Raw, key: string, where: string): number | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      this.fail(`${where}.${key}`, "expected a non-negative number");
    return v;
  }

  bool(o: Raw, key: string, where: string): boolean | undefined {
    const v = o[key];
    if (v !== undefined && typeof v !== "boolean") this.fail(`${where}.${key}`, "expected true or false");
    return v;
  }

  entries(doc: Raw, key: string): Raw[] {
    const v = doc[key] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "object" || x === null || Array.isArray(x)))
      this.fail(key, "expected a list of mappings");
    return v as Raw[];
  }
}

function readRule(r: PackReader, o: Raw, order: number): SecretRule {
  const where = `rules[${order}]`;
  const matcher = (r.str(o, "matcher", where, false) ?? "regex") as SecretRule["matcher"];
  if (matcher !== "regex" && matcher !== "private-key")
    r.fail(`${where}.matcher`, 'must be "regex" or "private-key"');
  const ci = r.bool(o, "caseInsensitive", where) ? "i" : "";
  const source = r.str(o, "regex", where, matcher === "regex");
  const keywords = r.list(o, "keywords", where);
  if (keywords.length === 0) r.fail(`${where}.keywords`, "a rule needs at least one keyword (prefilter)");
  for (const k of [...keywords, ...r.list(o, "requires", where)])
    if (!/^[\x20-\x7e]+$/.test(k))
      r.fail(`${where}.keywords`, `keyword ${JSON.stringify(k)} is not printable ASCII`);
  const checks = r.list(o, "checks", where) as CheckName[];
  for (const c of checks)
    if (!(c in CHECKS))
      r.fail(`${where}.checks`, `unknown check "${c}" (have ${Object.keys(CHECKS).join(", ")})`);
  const context = (r.str(o, "context", where, false) ?? "line") as SecretRule["context"];
  if (context !== "line" && context !== "block") r.fail(`${where}.context`, 'must be "line" or "block"');
  const keyPattern = r.str(o, "keyPattern", where, false);
  const keyExclude = r.str(o, "keyExclude", where, false);
  return {
    order,
    id: r.str(o, "id", where)!,
    title: r.str(o, "title", where)!,
    severity: r.severity(o, where),
    keywords,
    matcher,
    regex: source === undefined ? undefined : r.regex(source, `gm${ci}`, `${where}.regex`),
    encrypted: r.bool(o, "encrypted", where),
    before: r.number(o, "before", where),
    confirm: r.list(o, "confirm", where),
    context,
    binary: r.bool(o, "binary", where) ?? false,
    paths: r.paths(o, where),
    entropy: r.number(o, "entropy", where),
    minLength: r.number(o, "minLength", where) ?? 1,
    keyPattern: keyPattern === undefined ? undefined : r.regex(keyPattern, "i", `${where}.keyPattern`),
    keyExclude: keyExclude === undefined ? undefined : r.regex(keyExclude, "i", `${where}.keyExclude`),
    checks,
    requires: r.list(o, "requires", where),
    supersedes: r.list(o, "supersedes", where),
    references: r.list(o, "references", where),
  };
}

const optionalSet = (xs: string[]): Set<string> | undefined => (xs.length ? new Set(xs) : undefined);

/** Parses and validates a rule pack; throws AirbagError("INPUT") naming the file and field. */
export function parseSecretRules(text: string, source: string): SecretRulePack {
  const r = new PackReader(source);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    r.fail("YAML", (e as Error).message.split("\n")[0]!);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    r.fail("top level", "expected a mapping");
  const top = doc as Raw;
  if (top.version !== 1) r.fail("version", "expected 1");
  const rules = r.entries(top, "rules").map((o, i) => readRule(r, o, i));
  const allow = r.entries(top, "allow").map((o, i): AllowRule => {
    const where = `allow[${i}]`;
    const regex = r.str(o, "regex", where, false);
    const rule: AllowRule = {
      id: r.str(o, "id", where)!,
      reason: r.str(o, "reason", where)!,
      rules: optionalSet(r.list(o, "rules", where)),
      exceptRules: optionalSet(r.list(o, "exceptRules", where)),
      paths: r.paths(o, where),
      secrets: optionalSet(r.list(o, "secrets", where)),
      regex:
        regex === undefined
          ? undefined
          : r.regex(regex, r.bool(o, "caseInsensitive", where) ? "i" : "", `${where}.regex`),
      fingerprints: optionalSet(r.list(o, "fingerprints", where).map((f) => f.toLowerCase())),
    };
    if (!rule.rules && !rule.paths && !rule.secrets && !rule.regex && !rule.fingerprints)
      r.fail(
        where,
        "an allow rule needs at least one condition (rules, paths, secrets, regex, fingerprints)",
      );
    return rule;
  });
  const rerate = r.entries(top, "rerate").map(
    (o, i): RerateRule => ({
      id: r.str(o, "id", `rerate[${i}]`)!,
      reason: r.str(o, "reason", `rerate[${i}]`)!,
      rules: optionalSet(r.list(o, "rules", `rerate[${i}]`)),
      paths: r.paths(o, `rerate[${i}]`),
      severity: r.severity(o, `rerate[${i}]`),
    }),
  );
  const ids = new Set(rules.map((x) => x.id));
  for (const [i, x] of [...allow, ...rerate].entries())
    for (const id of [...(x.rules ?? []), ...("exceptRules" in x ? (x.exceptRules ?? []) : [])])
      if (!ids.has(id)) r.fail(`allow/rerate entry ${i} (${x.id})`, `unknown rule "${id}"`);
  return { source, rules, allow, rerate };
}

/** A user-supplied rule pack file. */
export async function loadSecretRules(path: string): Promise<SecretRulePack> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new AirbagError("INPUT", `${path}: cannot read the secret rule pack: ${(e as Error).message}`);
  }
  return parseSecretRules(text, path);
}

// src/detect/secret/ and dist/detect/secret/ are both three levels below the package root
const BUILTIN = new URL("../../../data/rules/secrets.yaml", import.meta.url);
let builtin: SecretRulePack | undefined;

/** The pack shipped in the npm package (`data/rules/secrets.yaml`), parsed once. */
export function builtinSecretRules(): SecretRulePack {
  // our own packaged data file, not user input: a synchronous read keeps scanner construction simple
  builtin ??= parseSecretRules(readFileSync(BUILTIN, "utf8"), "data/rules/secrets.yaml");
  return builtin;
}
