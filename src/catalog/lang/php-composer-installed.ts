import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { byPathNameVersion, composerPackages } from "./php-composer.js";

/**
 * Composer's record of what is installed: `<vendor-dir>/composer/installed.json`. Composer 1 writes a
 * JSON array of package objects; Composer 2 writes `{ "packages": [...], "dev": bool,
 * "dev-package-names": [...] }` — the names listed there (installed because of `require-dev`) are marked
 * `metadata.dev`. Composer 1 does not record that distinction.
 */

export const isComposerInstalled = (path: string): boolean =>
  path.endsWith("/composer/installed.json") || path === "composer/installed.json";

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const warn = (m: string) => ctx.warn(`php-composer-installed: ${file.path}: ${m}`);
  let doc: unknown;
  try {
    doc = JSON.parse(file.content.toString("utf8"));
  } catch (e) {
    warn(`not JSON (${(e as Error).message})`);
    return [];
  }
  if (Array.isArray(doc)) return composerPackages([{ items: doc, dev: () => false }], file, warn);
  const d = doc as { packages?: unknown; "dev-package-names"?: unknown } | null;
  if (!d || typeof d !== "object" || !Array.isArray(d.packages)) {
    warn("neither a package list (Composer 1) nor an object with packages (Composer 2)");
    return [];
  }
  const devNames = new Set(Array.isArray(d["dev-package-names"]) ? d["dev-package-names"] : []);
  return composerPackages([{ items: d.packages, dev: (n) => devNames.has(n) }], file, warn);
}

export const phpComposerInstalledAnalyzer: Analyzer = {
  name: "php-composer-installed",
  version: 1,
  match: isComposerInstalled,
  maxFileSize: 64 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...analyzeFile(f, ctx));
      } catch (e) {
        ctx.warn(`php-composer-installed: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
