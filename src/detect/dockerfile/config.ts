import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { AirbagError, SEVERITIES, type Severity } from "../../model/index.js";

/**
 * `airbag lint --config FILE` (YAML):
 * ```yaml
 * ignore: [DL3008, AB1001]          # rules to suppress everywhere (findings move to "suppressed")
 * severity: { DL3015: medium }      # per-rule severity
 * override: { error: [DL3020] }     # hadolint's form: error→high, warning→medium, info/style→low
 * ```
 * `ignored` (hadolint's spelling) is accepted for `ignore`. Unknown keys are errors, so a typo cannot
 * silently disable nothing.
 */
export interface LintConfig {
  /** the file it was read from, for suppression reasons */
  source?: string;
  ignore: string[];
  severity: Record<string, Severity>;
}

export const EMPTY_CONFIG: LintConfig = { ignore: [], severity: {} };

const HADOLINT_LEVELS: Record<string, Severity> = {
  error: "high",
  warning: "medium",
  info: "low",
  style: "low",
};
const RULE_ID = /^[A-Za-z][A-Za-z0-9-]*$/;

export async function loadLintConfig(file: string): Promise<LintConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AirbagError("INPUT", `--config ${file}: cannot read (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  return parseLintConfig(text, file);
}

export function parseLintConfig(text: string, file: string): LintConfig {
  const fail = (what: string): AirbagError => new AirbagError("INPUT", `--config ${file}: ${what}`);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw fail(`not valid YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const config: LintConfig = { source: file, ignore: [], severity: {} };
  if (doc === null || doc === undefined) return config;
  if (typeof doc !== "object" || Array.isArray(doc)) throw fail("expected a mapping with ignore / severity");
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key === "ignore" || key === "ignored") config.ignore.push(...ruleIds(value, key, fail));
    else if (key === "severity") {
      if (!value || typeof value !== "object" || Array.isArray(value))
        throw fail("severity: expected a mapping of rule id to severity");
      for (const [id, sev] of Object.entries(value as Record<string, unknown>)) {
        ruleIds([id], "severity", fail);
        config.severity[id.toUpperCase()] = severity(sev, `severity.${id}`, fail);
      }
    } else if (key === "override") {
      if (!value || typeof value !== "object" || Array.isArray(value))
        throw fail("override: expected a mapping of level (error, warning, info, style) to rule ids");
      for (const [level, ids] of Object.entries(value as Record<string, unknown>)) {
        const sev = HADOLINT_LEVELS[level];
        if (!sev) throw fail(`override.${level}: unknown level (use error, warning, info, style)`);
        for (const id of ruleIds(ids, `override.${level}`, fail)) config.severity[id] = sev;
      }
    } else throw fail(`unknown key "${key}" (use ignore, severity, override)`);
  }
  return config;
}

function ruleIds(value: unknown, field: string, fail: (m: string) => AirbagError): string[] {
  if (!Array.isArray(value)) throw fail(`${field}: expected a list of rule ids`);
  return value.map((v) => {
    if (typeof v !== "string" || !RULE_ID.test(v)) throw fail(`${field}: "${String(v)}" is not a rule id`);
    return v.toUpperCase();
  });
}

function severity(value: unknown, field: string, fail: (m: string) => AirbagError): Severity {
  const v = typeof value === "string" ? value.toLowerCase() : "";
  if (!(SEVERITIES as readonly string[]).includes(v))
    throw fail(`${field}: unknown severity "${String(value)}" (use ${SEVERITIES.join(", ")})`);
  return v as Severity;
}
