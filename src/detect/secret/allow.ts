import type { Severity } from "../../model/index.js";
import type { AllowRule, RerateRule, SecretRulePack } from "./rules.js";

/**
 * Allow- and re-rate rules from the pack. An allow rule says "this is not a secret" (documented example
 * keys, placeholders, a vendor's test keys in its own test-data directory); it needs every condition it
 * lists to hold, so a path condition only ever applies together with the rule ids it names. A re-rate
 * rule keeps the finding but changes its severity and says why (keys generated at package install).
 */

export interface AllowQuery {
  ruleId: string;
  path: string;
  secret: string;
  /** sha256 of a private key body, when the matcher computed one */
  fingerprint?: string;
}

function pathMatches(paths: RegExp[] | undefined, path: string): boolean {
  return paths === undefined || paths.some((p) => p.test(path));
}

function allows(a: AllowRule, q: AllowQuery): boolean {
  if (a.rules && !a.rules.has(q.ruleId)) return false;
  if (a.exceptRules?.has(q.ruleId)) return false;
  if (!pathMatches(a.paths, q.path)) return false;
  if (a.secrets && !a.secrets.has(q.secret)) return false;
  if (a.regex && !a.regex.test(q.secret)) return false;
  if (a.fingerprints && !(q.fingerprint && a.fingerprints.has(q.fingerprint))) return false;
  return true;
}

/** The allow rule that lets this candidate pass as "not a secret", if any. */
export function allowedBy(pack: SecretRulePack, q: AllowQuery): AllowRule | undefined {
  return pack.allow.find((a) => allows(a, q));
}

/** Whether any allow rule looks at fingerprints (so the matcher only hashes key bodies when useful). */
export function wantsFingerprints(pack: SecretRulePack): boolean {
  return pack.allow.some((a) => a.fingerprints !== undefined);
}

/** The severity a finding ends up with, and the re-rate rule responsible (if any). */
export function rerated(
  pack: SecretRulePack,
  ruleId: string,
  path: string,
  severity: Severity,
): { severity: Severity; by?: RerateRule } {
  const by = pack.rerate.find((r) => (!r.rules || r.rules.has(ruleId)) && pathMatches(r.paths, path));
  return by ? { severity: by.severity, by } : { severity };
}
