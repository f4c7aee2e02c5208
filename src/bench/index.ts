import { existsSync } from "node:fs";
import { hostname } from "node:os";
import type { AdvisoryLookup } from "../match/matcher.js";
import type { SuppressedFinding, VulnerabilityFinding } from "../model/index.js";
import { VERSION } from "../version.js";
import { resolveDbPath, VulnDb } from "../vulndb/index.js";
import { type CollectOptions, collectBenchContext } from "./collect.js";
import { matchComponents } from "./outdated.js";
import { benchReport, type CheckSelection, runChecks, selectChecks } from "./run.js";
import { openRuntimeAdvisories } from "./runtime-db.js";
import type { BenchReport, RuntimeComponent } from "./types.js";

export { benchGate, compareIds, selectChecks } from "./run.js";
export type * from "./types.js";

/**
 * `airbag bench` as a library call: collect facts, match runtime components against advisories (the
 * bundled runtime pack, plus the user's vulnerability DB when there is one), run the checks, report.
 */

export interface BenchOptions extends Omit<CollectOptions, "warn">, CheckSelection {
  /** vulnerability DB; default $AIRBAG_DB or the XDG cache path, used only when it exists */
  db?: string;
  onWarning?: (message: string) => void;
}

/** Runtime vulnerabilities from every source, one finding per id (the first source wins). */
export function matchAll(
  components: RuntimeComponent[],
  sources: AdvisoryLookup[],
  distro?: string,
): { findings: VulnerabilityFinding[]; suppressed: SuppressedFinding[] } {
  const findings: VulnerabilityFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  // per component: the ids kept, and those ids with their aliases
  const ids = new Set<string>();
  const named = new Set<string>();
  const k = (pkg: string, id: string) => `${pkg}\0${id}`;
  /** keeps f unless a kept finding of the same component is it, or names it by alias */
  const keep = (f: VulnerabilityFinding): boolean => {
    if (named.has(k(f.package, f.id)) || f.aliases.some((a) => ids.has(k(f.package, a)))) return false;
    ids.add(k(f.package, f.id));
    for (const id of [f.id, ...f.aliases]) named.add(k(f.package, id));
    return true;
  };
  for (const source of sources) {
    const r = matchComponents(components, source, distro ? { distro } : {});
    for (const s of r.suppressed) if (keep(s.finding as VulnerabilityFinding)) suppressed.push(s);
    for (const f of r.findings) if (keep(f)) findings.push(f);
  }
  return { findings, suppressed };
}

export async function bench(options: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    options.onWarning?.(m);
  };
  const checks = selectChecks(options);
  const ctx = await collectBenchContext({ ...options, warn });
  const sources: AdvisoryLookup[] = [];
  const bundled = await openRuntimeAdvisories();
  let db: VulnDb | undefined;
  const dbPath = resolveDbPath(options.db);
  if (existsSync(dbPath)) db = VulnDb.open(dbPath, { readonly: true });
  else if (options.db)
    warn(`--db ${options.db}: no such file; matched against the bundled runtime advisories only`);
  try {
    if (db) sources.push(db);
    sources.push(bundled);
    const { findings, suppressed } = matchAll(ctx.components, sources, ctx.distro);
    ctx.runtimeFindings = findings;
    const results = runChecks(ctx, checks);
    const status = db?.status();
    return benchReport({
      ctx,
      results,
      findings,
      suppressed,
      hostname: hostname(),
      offline: !ctx.engine || ctx.engine.url === "file",
      version: VERSION,
      ...(status
        ? { db: { path: status.path, builtAt: status.builtAt, schemaVersion: status.schemaVersion } }
        : {}),
      durationMs: Date.now() - started,
      warnings,
    });
  } finally {
    db?.close();
    bundled.close?.();
  }
}
