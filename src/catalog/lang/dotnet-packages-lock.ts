import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { byPathNameVersion, dotnetPackage } from "./dotnet-common.js";

/**
 * NuGet's `packages.lock.json` (or `packages.<project>.lock.json`): `dependencies` maps each target
 * framework (and `<tfm>/<rid>`) to `{ "<Id>": { "type", "requested", "resolved", … } }`. Types `Direct`,
 * `Transitive` and `CentralTransitive` are packages at their `resolved` version; `Project` entries are the
 * solution's own projects and are skipped. One package per id@version across frameworks, marked
 * `metadata.direct` when any framework references it directly.
 */

export function isPackagesLock(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base === "packages.lock.json" || (base.startsWith("packages.") && base.endsWith(".lock.json"));
}

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  let doc: unknown;
  try {
    doc = JSON.parse(file.content.toString("utf8").replace(/^\ufeff/, ""));
  } catch (e) {
    ctx.warn(`dotnet-packages-lock: ${file.path}: not JSON (${(e as Error).message})`);
    return [];
  }
  const deps = doc && typeof doc === "object" ? (doc as { dependencies?: unknown }).dependencies : undefined;
  if (!deps || typeof deps !== "object" || Array.isArray(deps)) {
    ctx.warn(`dotnet-packages-lock: ${file.path}: no "dependencies" object`);
    return [];
  }
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  const out = new Map<string, Package>();
  let bad = 0;
  for (const target of Object.values(deps as Record<string, unknown>)) {
    if (!target || typeof target !== "object") continue;
    for (const [name, dep] of Object.entries(target as Record<string, unknown>)) {
      const d = (dep && typeof dep === "object" ? dep : {}) as { type?: unknown; resolved?: unknown };
      if (d.type === "Project") continue;
      const version = typeof d.resolved === "string" ? d.resolved.trim() : "";
      if (!name || /\s/.test(name) || !version || /\s/.test(version)) {
        bad++;
        continue;
      }
      const k = `${name.toLowerCase()}@${version.toLowerCase()}`;
      const seen = out.get(k);
      if (seen) {
        if (d.type === "Direct") seen.metadata = { direct: true };
        continue;
      }
      out.set(k, dotnetPackage(name, version, location, d.type === "Direct" ? { direct: true } : undefined));
    }
  }
  if (bad)
    ctx.warn(
      `dotnet-packages-lock: ${file.path}: skipped ${bad} entr${bad === 1 ? "y" : "ies"} without a resolved version`,
    );
  return [...out.values()];
}

export const dotnetPackagesLockAnalyzer: Analyzer = {
  name: "dotnet-packages-lock",
  version: 1,
  match: isPackagesLock,
  maxFileSize: 32 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...analyzeFile(f, ctx));
      } catch (e) {
        ctx.warn(`dotnet-packages-lock: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
