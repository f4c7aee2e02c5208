import { parse } from "smol-toml";
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
 * Poetry's `poetry.lock` (TOML): one `[[package]]` table per locked distribution with `name` and `version`.
 * Dev-only packages: lock format 1.x writes `category = "dev"`, Poetry 2 writes `groups = [...]` without
 * "main". A `[package.source]` of type git/directory/file/url is recorded as `metadata.source` (a private
 * index, type "legacy", counts as a registry).
 */

const isPoetryLock = (path: string): boolean => baseName(path) === "poetry.lock";

const NON_REGISTRY = new Set(["git", "directory", "file", "url"]);

function entriesOf(file: CapturedFile, ctx: AnalyzerContext): PypiEntry[] {
  let doc: Record<string, unknown>;
  try {
    doc = parse(decodeText(file.content)) as Record<string, unknown>;
  } catch (e) {
    ctx.warn(`python-poetry: ${file.path}: not TOML (${(e as Error).message.split("\n")[0]})`);
    return [];
  }
  const list = doc.package;
  if (!Array.isArray(list)) return [];
  const out: PypiEntry[] = [];
  let bad = 0;
  for (const p of list as Record<string, unknown>[]) {
    if (!p || typeof p !== "object") {
      bad++;
      continue;
    }
    const { name, version } = p;
    if (typeof name !== "string" || typeof version !== "string" || !name || !version || /\s/.test(version)) {
      bad++;
      continue;
    }
    const metadata: Record<string, string | boolean> = {};
    const groups = Array.isArray(p.groups) ? p.groups : undefined;
    if (p.category === "dev" || (groups && groups.length > 0 && !groups.includes("main")))
      metadata.dev = true;
    const src = p.source as { type?: unknown } | undefined;
    if (src && typeof src.type === "string" && NON_REGISTRY.has(src.type)) metadata.source = src.type;
    out.push({ name, version, metadata });
  }
  if (bad) ctx.warn(`python-poetry: ${file.path}: skipped ${bad} [[package]] without name/version`);
  return out;
}

export const pythonPoetryAnalyzer: Analyzer = {
  name: "python-poetry",
  version: 1,
  match: isPoetryLock,
  maxFileSize: 32 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...collect(entriesOf(f, ctx), locationOf(f)));
      } catch (e) {
        ctx.warn(`python-poetry: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
