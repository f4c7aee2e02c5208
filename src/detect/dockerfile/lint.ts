import { readFile } from "node:fs/promises";
import { atLeast } from "../../match/severity.js";
import { AirbagError, type LocatedFinding, type Severity } from "../../model/index.js";
import { EMPTY_CONFIG, type LintConfig } from "./config.js";
import { type ParsedDockerfile, parseDockerfile } from "./parser.js";
import { LINT_RULES, type LintRule, parseErrorRule, type RuleHit, type RuleMeta } from "./rules/index.js";

/**
 * `airbag lint`: parse, run every rule, then apply suppressions. Nothing is dropped: a finding ignored
 * by an inline `# airbag ignore=ID` comment or by the config moves to `suppressed` with the reason.
 */

export interface LintFinding extends LocatedFinding {
  kind: "misconfig";
  title: string;
  /** what this occurrence is about ("RUN uses sudo") */
  message: string;
  location: { path: string; line: number; endLine: number };
}

export interface LintSuppressed {
  finding: LintFinding;
  reason: string;
}

export interface LintResult {
  path: string;
  findings: LintFinding[];
  suppressed: LintSuppressed[];
}

export interface LintOptions {
  /** shown in findings; the file name as given on the command line */
  path: string;
  config?: LintConfig;
  rules?: readonly LintRule[];
}

export function lintDockerfile(text: string, opts: LintOptions): LintResult {
  const df = parseDockerfile(text);
  const config = opts.config ?? EMPTY_CONFIG;
  const raw: LintFinding[] = df.errors.map((e) =>
    toFinding(parseErrorRule, { line: e.line, endLine: e.line, message: e.message }, opts.path, config),
  );
  for (const rule of opts.rules ?? LINT_RULES) {
    for (const hit of rule.check(df)) raw.push(toFinding(rule, hit, opts.path, config));
  }
  raw.sort((a, b) => a.location.line - b.location.line || a.id.localeCompare(b.id));

  const pragmas = ignorePragmas(df);
  const result: LintResult = { path: opts.path, findings: [], suppressed: [] };
  const configIgnored = new Set(config.ignore);
  for (const f of raw) {
    const inline = pragmas.global.get(f.id) ?? pragmas.byLine.get(f.location.line)?.get(f.id);
    if (inline) result.suppressed.push({ finding: f, reason: inline });
    else if (configIgnored.has(f.id))
      result.suppressed.push({ finding: f, reason: `ignored by ${config.source ?? "configuration"}` });
    else result.findings.push(f);
  }
  return result;
}

function toFinding(rule: RuleMeta, hit: RuleHit, path: string, config: LintConfig): LintFinding {
  return {
    kind: "misconfig",
    id: rule.id,
    severity: config.severity[rule.id] ?? hit.severity ?? rule.severity,
    title: rule.title,
    message: hit.message,
    location: { path, line: hit.line, endLine: hit.endLine },
  };
}

// `# airbag ignore=DL3008,DL3015 pinned elsewhere` (hadolint's `# hadolint ignore=…` is honoured too)
const PRAGMA =
  /^(airbag|hadolint)\s+(global\s+)?ignore\s*=\s*((?:[A-Za-z0-9-]+\s*,\s*)*[A-Za-z0-9-]+)\s*(.*)$/;

interface Pragmas {
  global: Map<string, string>;
  /** instruction start line → id → reason */
  byLine: Map<number, Map<string, string>>;
}

/**
 * An `ignore=` comment applies to the instruction right below it; stacked comment lines in between are
 * fine. Comments inside a continued instruction belong to that instruction's text, not to pragmas.
 */
function ignorePragmas(df: ParsedDockerfile): Pragmas {
  const out: Pragmas = { global: new Map(), byLine: new Map() };
  const commentAt = new Map(df.comments.map((c) => [c.line, c.text]));
  const reasonFor = (line: number, tool: string, note: string): string =>
    `inline ${tool} ignore at line ${line}${note ? `: ${note}` : ""}`;
  for (const [line, text] of commentAt) {
    const m = PRAGMA.exec(text.trim());
    if (m?.[2]) for (const id of ids(m[3])) out.global.set(id, reasonFor(line, m[1] ?? "", m[4] ?? ""));
  }
  for (const ins of df.instructions) {
    const ignored = new Map<string, string>();
    for (let line = ins.line - 1; commentAt.has(line); line--) {
      const m = PRAGMA.exec((commentAt.get(line) ?? "").trim());
      if (m && !m[2]) for (const id of ids(m[3])) ignored.set(id, reasonFor(line, m[1] ?? "", m[4] ?? ""));
    }
    if (ignored.size) out.byLine.set(ins.line, ignored);
  }
  return out;
}

const ids = (list: string | undefined): string[] =>
  (list ?? "")
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);

/** Reads and lints each file; an unreadable file is an input error naming it (exit 2). */
export async function lintFiles(paths: readonly string[], config?: LintConfig): Promise<LintResult[]> {
  const results: LintResult[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const hint =
        code === "EISDIR" ? "is a directory; name the Dockerfile inside it" : `cannot read (${code})`;
      throw new AirbagError("INPUT", `${path}: ${hint}`, { cause: err });
    }
    results.push(lintDockerfile(text, { path, ...(config ? { config } : {}) }));
  }
  return results;
}

/** Findings (not suppressed) at or above `failOn`. */
export function lintGate(results: readonly LintResult[], failOn: Severity): LintFinding[] {
  return results.flatMap((r) =>
    r.findings.filter((f) => (failOn === "unknown" ? true : atLeast(f.severity, failOn))),
  );
}
