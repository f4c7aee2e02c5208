import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { byPathNameVersion, dotnetPackage } from "./dotnet-common.js";

/**
 * .NET's `<app>.deps.json`, written next to every built/published application and read by the host at
 * start-up. Its `libraries` object is keyed `"<Id>/<Version>"`; entries of type `package` are NuGet
 * packages. A self-contained app also lists its runtime as type `runtimepack`
 * (`runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.1`): that is the NuGet package
 * `Microsoft.NETCore.App.Runtime.linux-x64`, which advisories name, so it is kept with
 * `metadata.kind = "runtimepack"`. `project` (the app's own projects) and `reference` entries are skipped.
 * Ids keep their spelling (NuGet ids are case-insensitive; packages merge case-insensitively).
 */

export const isDepsJson = (path: string): boolean => path.endsWith(".deps.json");

const KEEP = new Set(["package", "runtimepack"]);

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  let doc: unknown;
  try {
    doc = JSON.parse(file.content.toString("utf8").replace(/^\ufeff/, ""));
  } catch (e) {
    ctx.warn(`dotnet-deps: ${file.path}: not JSON (${(e as Error).message})`);
    return [];
  }
  const libs = doc && typeof doc === "object" ? (doc as { libraries?: unknown }).libraries : undefined;
  if (!libs || typeof libs !== "object" || Array.isArray(libs)) {
    ctx.warn(`dotnet-deps: ${file.path}: no "libraries" object`);
    return [];
  }
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  const out = new Map<string, Package>();
  let bad = 0;
  for (const [key, lib] of Object.entries(libs as Record<string, unknown>)) {
    const type = lib && typeof lib === "object" ? (lib as { type?: unknown }).type : undefined;
    if (typeof type !== "string" || !KEEP.has(type)) continue;
    const slash = key.lastIndexOf("/");
    let name = key.slice(0, Math.max(slash, 0));
    const version = key.slice(slash + 1);
    if (type === "runtimepack" && name.startsWith("runtimepack.")) name = name.slice("runtimepack.".length);
    if (slash <= 0 || !name || !version || /\s/.test(key)) {
      bad++;
      continue;
    }
    const k = `${name.toLowerCase()}@${version.toLowerCase()}`;
    if (!out.has(k))
      out.set(k, dotnetPackage(name, version, location, type === "runtimepack" ? { kind: type } : undefined));
  }
  if (bad)
    ctx.warn(
      `dotnet-deps: ${file.path}: skipped ${bad} librar${bad === 1 ? "y" : "ies"} with a malformed "<id>/<version>" key`,
    );
  return [...out.values()];
}

export const dotnetDepsAnalyzer: Analyzer = {
  name: "dotnet-deps",
  version: 1,
  match: isDepsJson,
  maxFileSize: 32 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...analyzeFile(f, ctx));
      } catch (e) {
        ctx.warn(`dotnet-deps: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
