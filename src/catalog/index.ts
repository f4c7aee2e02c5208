import type { Inventory, OsInfo, Package } from "../model/index.js";
import type { WalkedFile } from "../image/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "./analyzer.js";
import { detectOs, osReleaseFiles } from "./os-release.js";
import { apkAnalyzer } from "./os/apk.js";
import { dpkgAnalyzer } from "./os/dpkg.js";
import { rpmAnalyzer } from "./os/rpm.js";

export type { Analyzer, AnalyzerContext, CapturedFile } from "./analyzer.js";
export { buildPurl, packageId } from "./purl.js";
export { detectOs } from "./os-release.js";

/** Every analyzer, in output order. Adding an ecosystem = one file + one line here. */
export const analyzers: readonly Analyzer[] = [dpkgAnalyzer, apkAnalyzer, rpmAnalyzer];

const OS_RELEASE_MAX = 1 << 20;

/** What the walker should buffer for this set of analyzers: the largest limit any of them asks for. */
export function captureFor(list: readonly Analyzer[]): (path: string) => number {
  return (path) => {
    let max = osReleaseFiles(path) ? OS_RELEASE_MAX : 0;
    for (const a of list) if (a.maxFileSize > max && a.match(path)) max = a.maxFileSize;
    return max;
  };
}

export interface CatalogResult {
  os?: OsInfo;
  packages: Package[];
}

/**
 * Run the analyzers over the files a walk captured. A path that is a symlink to another captured path
 * the same analyzer wants is dropped, so one database is never read twice.
 */
export async function catalogFiles(
  files: WalkedFile[],
  warn: (msg: string) => void,
  list: readonly Analyzer[] = analyzers,
): Promise<CatalogResult> {
  const byPath = new Map<string, CapturedFile>();
  for (const f of files) byPath.set(f.path, { path: f.path, content: f.content, layer: f.layer, mode: f.mode });
  const os = detectOs((p) => byPath.get(p)?.content);
  const ctx: AnalyzerContext = { os, file: (p) => byPath.get(p), warn };
  const packages: Package[] = [];
  for (const a of list) {
    const mine = files.filter(
      (f) => a.match(f.path) && !(f.realPath !== f.path && a.match(f.realPath) && byPath.has(f.realPath)),
    );
    if (mine.length === 0) continue;
    try {
      packages.push(...(await a.analyze(mine.map((f) => byPath.get(f.path)!), ctx)));
    } catch (err) {
      // analyzers report bad input through ctx.warn; an exception here is a bug, but one analyzer's bug
      // must not hide every other ecosystem's packages
      warn(`analyzer ${a.name} failed: ${(err as Error).message}`);
    }
  }
  return { os, packages };
}

export function sortPackages(packages: Package[]): Package[] {
  return packages.sort(
    (a, b) =>
      cmp(a.type, b.type) || cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.locations[0]?.path ?? "", b.locations[0]?.path ?? ""),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type { Inventory };
