import type { ContainerInspect } from "../../engine/types.js";
import type { Severity } from "../../model/index.js";
import {
  BENCH_RESULTS,
  type BenchCheck,
  type BenchContext,
  type BenchResult,
  type BenchSection,
  type CheckDefinition,
  type CheckItem,
  type CheckOutcome,
  type ContainerFacts,
} from "../types.js";

/** Helpers shared by the check files: per-subject evaluation and result aggregation. */

/** The most significant of several results: fail > warn > info > skip > pass. */
export function worst(results: readonly BenchResult[]): BenchResult {
  for (const r of BENCH_RESULTS) if (results.includes(r)) return r;
  return "pass";
}

export const skip = (evidence: string): CheckOutcome => ({ result: "skip", evidence });

/** A container's display name: "web (3c3fcff6e624)". */
export function containerName(c: ContainerInspect): string {
  const name = (c.Name ?? "").replace(/^\//, "");
  const short = (c.Id ?? "").slice(0, 12);
  return name && short ? `${name} (${short})` : name || short || "?";
}

export interface ItemVerdict {
  result: BenchResult;
  evidence: string;
}

/**
 * A check evaluated per running container: each container is an item, the check's result is the worst
 * item's, and the evidence counts the containers that failed.
 */
export function perContainer(
  ctx: BenchContext,
  judge: (c: ContainerInspect, facts: ContainerFacts) => ItemVerdict,
): CheckOutcome {
  if (!ctx.containers) return skip("no container data (no engine and no --inspect file)");
  if (ctx.containers.length === 0) return { result: "info", evidence: "no running containers" };
  const items: CheckItem[] = ctx.containers.map((f) => ({
    subject: containerName(f.inspect),
    ...judge(f.inspect, f),
  }));
  return aggregate(items, "containers");
}

/** Fold items into one outcome whose evidence names how many subjects are not compliant. */
export function aggregate(items: CheckItem[], noun: string): CheckOutcome {
  const result = worst(items.map((i) => i.result));
  const bad = items.filter((i) => i.result === result);
  const evidence =
    result === "pass"
      ? `all ${items.length} ${noun} comply`
      : `${bad.length} of ${items.length} ${noun}: ${bad
          .slice(0, 3)
          .map((i) => `${i.subject}: ${i.evidence}`)
          .join("; ")}${bad.length > 3 ? "; …" : ""}`;
  return { result, evidence, items };
}

/** Attach a judge to a definition. */
export const check = (def: CheckDefinition, run: (ctx: BenchContext) => CheckOutcome): BenchCheck => ({
  ...def,
  run,
});

/** A Manual recommendation no data can decide: always reported for review, never scored. */
export const manual = (def: CheckDefinition, why: string): BenchCheck =>
  check(def, () => ({ result: "info", evidence: why }));

/** Definition builder for one section: level 1 and scored unless `extra` says otherwise. */
export const definer =
  (section: BenchSection) =>
  (
    id: string,
    title: string,
    severity: Severity,
    remediation: string,
    extra: Partial<CheckDefinition> = {},
  ): CheckDefinition => ({ id, title, section, level: 1, scored: true, severity, remediation, ...extra });

/** Definition builder for sections whose checks differ in level and scoring (1.x, 2.x). */
export const leveledDefiner = (section: BenchSection) => {
  const def = definer(section);
  return (
    id: string,
    title: string,
    level: 1 | 2,
    scored: boolean,
    severity: Severity,
    remediation: string,
  ) => def(id, title, severity, remediation, { level, scored });
};

export const pass = (evidence: string): CheckOutcome => ({ result: "pass", evidence });
export const fail = (evidence: string): CheckOutcome => ({ result: "fail", evidence });
export const warn = (evidence: string): CheckOutcome => ({ result: "warn", evidence });
