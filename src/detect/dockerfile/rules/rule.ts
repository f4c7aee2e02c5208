import type { Severity } from "../../../model/index.js";
import type { Instruction, ParsedDockerfile } from "../parser.js";

/** What an operator reads to understand a rule: shown in SARIF, the table, and `ignore` configs. */
export interface RuleMeta {
  /** hadolint id where hadolint has the rule (DL3002), else an airbag one (AB1001) */
  id: string;
  severity: Severity;
  title: string;
  /** why it matters and what to do instead */
  description: string;
  /** CIS Docker Benchmark section, hadolint / dockle counterparts, docs */
  references: string[];
}

/** One place a rule fired. */
export interface RuleHit {
  line: number;
  endLine: number;
  message: string;
  /** when one rule has cases of different weight (explicit `USER root` vs no USER at all) */
  severity?: Severity;
}

export interface LintRule extends RuleMeta {
  check(df: ParsedDockerfile): RuleHit[];
}

export const hitAt = (ins: Instruction, message: string, severity?: Severity): RuleHit => ({
  line: ins.line,
  endLine: ins.endLine,
  message,
  ...(severity ? { severity } : {}),
});

/** Stage indexes from `index` up through the stages it was built FROM. */
export function stageChain(df: ParsedDockerfile, index: number): number[] {
  const chain: number[] = [];
  let cur: number | undefined = index;
  while (cur !== undefined && !chain.includes(cur)) {
    chain.push(cur);
    cur = df.stages[cur]?.parent;
  }
  return chain;
}

/** The stages whose files end up in the built image: the last stage and its FROM ancestors. */
export function shippedStages(df: ParsedDockerfile): Set<number> {
  return new Set(df.stages.length ? stageChain(df, df.stages.length - 1) : []);
}
