import { INSTRUCTION_RULES } from "./instruction-rules.js";
import type { LintRule, RuleMeta } from "./rule.js";
import { RUN_RULES } from "./run-rules.js";
import { STAGE_RULES } from "./stage-rules.js";

/**
 * Every Dockerfile rule. Ids are hadolint's where hadolint has the rule (so existing `ignore` lists
 * carry over); rules hadolint lacks are numbered AB1xxx:
 *
 * | id     | rule                                         |
 * | ------ | -------------------------------------------- |
 * | AB1001 | base image not pinned by digest              |
 * | AB1002 | ADD from a URL without --checksum            |
 * | AB1003 | remote script piped into a shell (curl \| sh) |
 * | AB1004 | chmod makes files world-writable (777)       |
 * | AB1005 | EXPOSE 22                                    |
 *
 * DL1000 reports what the parser rejected (unknown instruction, unclosed heredoc, no FROM).
 */
export const parseErrorRule: RuleMeta = {
  id: "DL1000",
  severity: "medium",
  title: "Dockerfile cannot be parsed",
  description: "Docker would refuse to build this Dockerfile, or build something other than intended.",
  references: ["hadolint DL1000", "https://docs.docker.com/reference/dockerfile/"],
};

export const LINT_RULES: readonly LintRule[] = [...STAGE_RULES, ...INSTRUCTION_RULES, ...RUN_RULES];

export const ALL_RULE_META: readonly RuleMeta[] = [parseErrorRule, ...LINT_RULES];

export type { LintRule, RuleHit, RuleMeta } from "./rule.js";
