import { ESCAPE_CAPS, RUNTIME_ISOLATION_CHECKS } from "../../bench/checks/runtime-isolation.js";
import { RUNTIME_LIMIT_CHECKS } from "../../bench/checks/runtime-limits.js";
import type { BenchCheck, BenchContext } from "../../bench/types.js";
import { type Detection, inputError } from "../../model/index.js";
import { type ContainerState, detection, type RuntimeDetector } from "../types.js";
import { loadRuntimeIndicators, type RuntimeIndicators } from "./indicators.js";

/**
 * "Risky container started": the CIS Docker Benchmark section-5 judges `airbag bench` uses, run on the
 * one container that just started (a one-container BenchContext), one detection `CIS-<id>` per failed
 * check among a configurable set, with the check's severity. By default 5.4 counts only capabilities
 * that amount to an escape (SYS_ADMIN, SYS_PTRACE, …), not every addition beyond Docker's defaults.
 */

export interface RiskyContainerOptions {
  indicators?: RuntimeIndicators;
  /** CIS ids to alert on (default: data/rules/runtime riskyContainer.checks) */
  checks?: string[];
  /** 5.4 on any added capability, not only escaping ones (default false) */
  anyAddedCapability?: boolean;
  /** containers never judged (the monitor's own, a known-privileged agent) */
  exclude?: (c: ContainerState) => boolean;
}

const SECTION_5: readonly BenchCheck[] = [...RUNTIME_ISOLATION_CHECKS, ...RUNTIME_LIMIT_CHECKS];

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

export function createRiskyContainerDetector(opts: RiskyContainerOptions = {}): RuntimeDetector {
  const ids = opts.checks ?? (opts.indicators ?? loadRuntimeIndicators()).riskyContainer.checks;
  const checks = ids.map((id) => {
    const check = SECTION_5.find((c) => c.id === id);
    if (!check)
      throw inputError(
        `risky-container checks: "${id}" is not a CIS section-5 check (${SECTION_5.map((x) => x.id).join(", ")})`,
      );
    return check;
  });

  return {
    name: "risky-container",
    onContainer(c, ctx) {
      if (opts.exclude?.(c)) return [];
      const bench: BenchContext = {
        daemon: { settings: {}, problems: [], known: false },
        containers: [{ inspect: c.inspect }],
        components: [],
      };
      const out: Detection[] = [];
      for (const check of checks) {
        if (check.id === "5.4" && !opts.anyAddedCapability) {
          const caps = (c.inspect.HostConfig?.CapAdd ?? []).map(capName);
          if (!caps.some((n) => ESCAPE_CAPS.has(n))) continue;
        }
        const outcome = check.run(bench);
        const item = outcome.items?.[0];
        if ((item?.result ?? outcome.result) !== "fail") continue;
        out.push(
          detection(
            "risky-container",
            `CIS-${check.id}`,
            check.severity,
            check.title,
            c,
            item?.evidence ?? outcome.evidence,
            ctx,
            { cis: check.id, remediation: check.remediation },
          ),
        );
      }
      return out;
    },
  };
}
