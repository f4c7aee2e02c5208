import type { StreamTap, WalkResult } from "../image/index.js";
import type { Inventory, OsInfo, Package } from "../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile, StreamAnalyzer } from "./analyzer.js";
import { apkAnalyzer } from "./os/apk.js";
import { dpkgAnalyzer } from "./os/dpkg.js";
import { rpmAnalyzer } from "./os/rpm.js";
import { detectOs, osReleaseFiles } from "./os-release.js";

export type * from "./analyzer.js";
export { detectOs } from "./os-release.js";
export { buildPurl, packageId } from "./purl.js";

export type AnyAnalyzer = Analyzer | StreamAnalyzer;

/** Every analyzer, in output order. Adding an ecosystem = one file + one line here. */
export const analyzers: readonly AnyAnalyzer[] = [dpkgAnalyzer, apkAnalyzer, rpmAnalyzer];

const isStream = (a: AnyAnalyzer): a is StreamAnalyzer => "consume" in a;

const OS_RELEASE_MAX = 1 << 20;

/** What the walker should buffer for this set of analyzers: the largest limit any of them asks for. */
export function captureFor(list: readonly AnyAnalyzer[]): (path: string) => number {
  const buffered = list.filter((a): a is Analyzer => !isStream(a));
  return (path) => {
    let max = osReleaseFiles(path) ? OS_RELEASE_MAX : 0;
    for (const a of buffered) if (a.maxFileSize > max && a.match(path)) max = a.maxFileSize;
    return max;
  };
}

/** The walker taps for the streaming analyzers in `list`. */
export function tapsFor(list: readonly AnyAnalyzer[]): StreamTap[] {
  return list
    .filter(isStream)
    .map((a) => ({ id: a.name, wants: a.wants.bind(a), consume: a.consume.bind(a) }));
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
  walk: Pick<WalkResult, "files" | "streamed">,
  warn: (msg: string) => void,
  list: readonly AnyAnalyzer[] = analyzers,
): Promise<CatalogResult> {
  const { files, streamed } = walk;
  const byPath = new Map<string, CapturedFile>();
  for (const f of files)
    byPath.set(f.path, { path: f.path, content: f.content, layer: f.layer, mode: f.mode });
  const os = detectOs((p) => byPath.get(p)?.content);
  const ctx: AnalyzerContext = { os, file: (p) => byPath.get(p), warn };
  const packages: Package[] = [];
  for (const a of list) {
    if (isStream(a)) {
      const mine = streamed
        .filter((f) => a.name in f.results)
        .map((f) => ({
          path: f.path,
          layer: f.layer,
          mode: f.mode,
          size: f.size,
          result: f.results[a.name],
        }));
      if (mine.length === 0) continue;
      await runAnalyzer(a.name, () => a.analyze(mine, ctx), packages, warn);
      continue;
    }
    const mine = files.filter(
      (f) => a.match(f.path) && !(f.realPath !== f.path && a.match(f.realPath) && byPath.has(f.realPath)),
    );
    if (mine.length === 0) continue;
    await runAnalyzer(
      a.name,
      () =>
        a.analyze(
          mine.map((f) => byPath.get(f.path)!),
          ctx,
        ),
      packages,
      warn,
    );
  }
  return { os, packages };
}

async function runAnalyzer(
  name: string,
  run: () => Package[] | Promise<Package[]>,
  out: Package[],
  warn: (msg: string) => void,
): Promise<void> {
  try {
    out.push(...(await run()));
  } catch (err) {
    // analyzers report bad input through ctx.warn; an exception here is a bug, but one analyzer's bug
    // must not hide every other ecosystem's packages
    warn(`analyzer ${name} failed: ${(err as Error).message}`);
  }
}

export function sortPackages(packages: Package[]): Package[] {
  return packages.sort(
    (a, b) =>
      cmp(a.type, b.type) ||
      cmp(a.name, b.name) ||
      cmp(a.version, b.version) ||
      cmp(a.locations[0]?.path ?? "", b.locations[0]?.path ?? ""),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type { Inventory };
