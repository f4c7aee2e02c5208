import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import {
  baseName,
  byPathNameVersion,
  collect,
  decodeText,
  locationOf,
  type PypiEntry,
} from "./python-common.js";

/**
 * Pipenv's `Pipfile.lock` (JSON): `default` (runtime) and `develop` (marked `dev`) map each name to
 * `{ "version": "==1.2.3", … }`. Entries without a pinned version (`git`, `path`, `editable`, `file`) are
 * not registry packages and are skipped.
 */

const isPipfileLock = (path: string): boolean => baseName(path) === "Pipfile.lock";

function entriesOf(file: CapturedFile, ctx: AnalyzerContext): PypiEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeText(file.content));
  } catch (e) {
    ctx.warn(`python-pipenv: ${file.path}: not JSON (${(e as Error).message})`);
    return [];
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    ctx.warn(`python-pipenv: ${file.path}: not a Pipfile.lock object`);
    return [];
  }
  const out: PypiEntry[] = [];
  let bad = 0;
  for (const section of ["default", "develop"] as const) {
    const deps = (doc as Record<string, unknown>)[section];
    if (!deps || typeof deps !== "object") continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      const raw = spec && typeof spec === "object" ? (spec as { version?: unknown }).version : undefined;
      if (raw === undefined) continue; // VCS / path / editable entry
      const version = typeof raw === "string" ? raw.replace(/^={2,3}/, "").trim() : "";
      if (!name || !version || /[\s<>=!~*,;]/.test(version)) {
        bad++;
        continue;
      }
      out.push({ name, version, metadata: section === "develop" ? { dev: true } : undefined });
    }
  }
  if (bad)
    ctx.warn(
      `python-pipenv: ${file.path}: skipped ${bad} entr${bad === 1 ? "y" : "ies"} without a pinned version`,
    );
  return out;
}

export const pythonPipenvAnalyzer: Analyzer = {
  name: "python-pipenv",
  version: 1,
  match: isPipfileLock,
  maxFileSize: 32 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...collect(entriesOf(f, ctx), locationOf(f)));
      } catch (e) {
        ctx.warn(`python-pipenv: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
