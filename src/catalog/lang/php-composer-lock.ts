import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { byPathNameVersion, composerPackages } from "./php-composer.js";

/**
 * A project's `composer.lock`: `packages` (runtime) and `packages-dev` (marked `metadata.dev`). The root
 * project is never listed. Lockfiles under a `vendor/` directory belong to installed libraries (their own
 * development lockfiles) and are not matched.
 */

export function isComposerLock(path: string): boolean {
  if (path !== "composer.lock" && !path.endsWith("/composer.lock")) return false;
  return !path.includes("vendor/");
}

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const warn = (m: string) => ctx.warn(`php-composer-lock: ${file.path}: ${m}`);
  let doc: unknown;
  try {
    doc = JSON.parse(file.content.toString("utf8"));
  } catch (e) {
    warn(`not JSON (${(e as Error).message})`);
    return [];
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    warn("not a composer.lock object");
    return [];
  }
  const d = doc as Record<string, unknown>;
  const list = (k: string) => (Array.isArray(d[k]) ? (d[k] as unknown[]) : []);
  return composerPackages(
    [
      { items: list("packages"), dev: () => false },
      { items: list("packages-dev"), dev: () => true },
    ],
    file,
    warn,
  );
}

export const phpComposerLockAnalyzer: Analyzer = {
  name: "php-composer-lock",
  version: 1,
  match: isComposerLock,
  maxFileSize: 64 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...analyzeFile(f, ctx));
      } catch (e) {
        ctx.warn(`php-composer-lock: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
