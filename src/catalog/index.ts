import type { StreamTap, WalkResult } from "../image/index.js";
import type { Inventory, OsInfo, Package } from "../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile, StreamAnalyzer } from "./analyzer.js";
import { dotnetDepsAnalyzer } from "./lang/dotnet-deps.js";
import { dotnetPackagesLockAnalyzer } from "./lang/dotnet-packages-lock.js";
import { goBinaryAnalyzer } from "./lang/go-binary.js";
import { javaArchiveAnalyzer } from "./lang/java-archive.js";
import { npmInstalledAnalyzer } from "./lang/npm-installed.js";
import { npmLockAnalyzer } from "./lang/npm-lock.js";
import { mergeNpm } from "./lang/npm-merge.js";
import { phpComposerInstalledAnalyzer } from "./lang/php-composer-installed.js";
import { phpComposerLockAnalyzer } from "./lang/php-composer-lock.js";
import { pnpmLockAnalyzer } from "./lang/pnpm-lock.js";
import { pythonInstalledAnalyzer } from "./lang/python-installed.js";
import { pythonPipenvAnalyzer } from "./lang/python-pipenv.js";
import { pythonPoetryAnalyzer } from "./lang/python-poetry.js";
import { pythonRequirementsAnalyzer } from "./lang/python-requirements.js";
import { pythonUvAnalyzer } from "./lang/python-uv.js";
import { rubyGemfileLockAnalyzer } from "./lang/ruby-gemfile-lock.js";
import { rubyGemspecAnalyzer } from "./lang/ruby-gemspec.js";
import { rustAuditableAnalyzer } from "./lang/rust-auditable.js";
import { rustCargoLockAnalyzer } from "./lang/rust-cargo-lock.js";
import { yarnLockAnalyzer } from "./lang/yarn-lock.js";
import { apkAnalyzer } from "./os/apk.js";
import { dpkgAnalyzer } from "./os/dpkg.js";
import { rpmAnalyzer } from "./os/rpm.js";
import { detectOs, osReleaseFiles } from "./os-release.js";

export type * from "./analyzer.js";
export { detectOs } from "./os-release.js";
export { buildPurl, packageId } from "./purl.js";

export type AnyAnalyzer = Analyzer | StreamAnalyzer;

/** Every analyzer, in output order. Adding an ecosystem = one file + one line here. */
export const analyzers: readonly AnyAnalyzer[] = [
  dpkgAnalyzer,
  apkAnalyzer,
  rpmAnalyzer,
  npmInstalledAnalyzer,
  npmLockAnalyzer,
  yarnLockAnalyzer,
  pnpmLockAnalyzer,
  pythonInstalledAnalyzer,
  pythonPipenvAnalyzer,
  pythonPoetryAnalyzer,
  pythonUvAnalyzer,
  pythonRequirementsAnalyzer,
  rubyGemspecAnalyzer,
  rubyGemfileLockAnalyzer,
  phpComposerInstalledAnalyzer,
  phpComposerLockAnalyzer,
  dotnetDepsAnalyzer,
  dotnetPackagesLockAnalyzer,
  rustCargoLockAnalyzer,
  goBinaryAnalyzer,
  rustAuditableAnalyzer,
  javaArchiveAnalyzer,
];

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

/**
 * Identifies `captureFor(list)` in layer cache keys: which analyzers buffer files, at which version and
 * size limit. Changing any of them misses the cache.
 */
export function captureKey(list: readonly AnyAnalyzer[]): string {
  const buffered = list.filter((a): a is Analyzer => !isStream(a));
  return JSON.stringify([
    ["os-release", OS_RELEASE_MAX],
    ...buffered.map((a) => [a.name, a.version, a.maxFileSize]),
  ]);
}

/** The walker taps for the streaming analyzers in `list`. */
export function tapsFor(list: readonly AnyAnalyzer[]): StreamTap[] {
  return list.filter(isStream).map((a) => ({
    id: a.name,
    version: a.version,
    wants: a.wants.bind(a),
    consume: a.consume.bind(a),
  }));
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
  // the same npm package seen through a lockfile and node_modules is one package with two locations
  return { os, packages: mergeNpm(packages) };
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
