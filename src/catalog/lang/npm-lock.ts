import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { isObject, LockCollector, licensesOf, lockMatcher, validName, validVersion } from "./npm-common.js";

/**
 * npm's package-lock.json and npm-shrinkwrap.json (same format).
 *
 * - lockfileVersion 2 and 3: `packages` maps install paths to entries. `""` is the project itself
 *   (skipped). Keys with `node_modules/` are installed dependencies, named by the path after the last
 *   `node_modules/` unless the entry says `name` (aliases: `node_modules/foo-cjs` → `"name": "foo"`).
 *   Keys without it are workspace packages (`packages/a`), reported with `workspace: true`.
 *   `link: true` entries only point at such a target (`resolved`), which has its own entry, so they are
 *   skipped; a link to a missing target gives nothing. Version 2 also carries the v1 tree: ignored.
 * - lockfileVersion 1: the nested `dependencies` tree, keyed by name. `version` may be an alias
 *   (`npm:real-name@1.2.3`), or a git/file/URL spec — those have no registry version and are skipped.
 *
 * `dev: true` is kept in metadata when every occurrence of that name@version is dev-only.
 */

function fromPackagesMap(packages: Record<string, unknown>, out: LockCollector): number {
  let skipped = 0;
  for (const [key, entry] of Object.entries(packages)) {
    if (key === "" || !isObject(entry) || entry.link === true) continue;
    const at = key.lastIndexOf("node_modules/");
    const inTree = at >= 0;
    const name =
      typeof entry.name === "string"
        ? entry.name
        : inTree
          ? key.slice(at + 13)
          : key.slice(key.lastIndexOf("/") + 1);
    // workspaces without a version (private helpers) are not packages anyone can match against
    if (!validName(name) || !validVersion(entry.version)) {
      if (inTree) skipped++;
      continue;
    }
    out.add(name, entry.version, licensesOf(entry.license), {
      ...(entry.dev === true ? { dev: true } : {}),
      ...(inTree ? {} : { workspace: true }),
    });
  }
  return skipped;
}

function fromV1Tree(root: Record<string, unknown>, out: LockCollector): number {
  let skipped = 0;
  // explicit stack: hostile lockfiles can nest deeper than the call stack
  const stack: Record<string, unknown>[] = [root];
  while (stack.length > 0) {
    const deps = stack.pop()!;
    for (const [key, entry] of Object.entries(deps)) {
      if (!isObject(entry)) continue;
      if (isObject(entry.dependencies)) stack.push(entry.dependencies);
      let name = key;
      let version = entry.version;
      if (typeof version === "string" && version.startsWith("npm:")) {
        // alias: installed under `key`, really `real-name@version`
        const spec = version.slice(4);
        const at = spec.indexOf("@", 1);
        if (at > 0) {
          name = spec.slice(0, at);
          version = spec.slice(at + 1);
        } else version = spec;
      }
      // git, github shorthand, file and tarball specs: no registry version to report
      if (typeof version === "string" && (version.includes(":") || version.includes("/"))) continue;
      if (!validName(name) || !validVersion(version)) {
        skipped++;
        continue;
      }
      out.add(name, version, [], entry.dev === true ? { dev: true } : {});
    }
  }
  return skipped;
}

function parse(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const where = `npm-lock: ${file.path}`;
  let json: unknown;
  try {
    json = JSON.parse(file.content.toString("utf8"));
  } catch (e) {
    ctx.warn(`${where}: malformed JSON (${(e as Error).message})`);
    return [];
  }
  if (!isObject(json)) {
    ctx.warn(`${where}: not a lockfile (expected a JSON object)`);
    return [];
  }
  const out = new LockCollector();
  let skipped: number;
  if (isObject(json.packages)) skipped = fromPackagesMap(json.packages, out);
  else if (isObject(json.dependencies)) skipped = fromV1Tree(json.dependencies, out);
  else {
    // a project without dependencies has neither map; anything else is not npm's format
    if (json.lockfileVersion === undefined)
      ctx.warn(`${where}: no lockfileVersion, packages or dependencies`);
    return [];
  }
  if (skipped > 0) ctx.warn(`${where}: skipped ${skipped} entries without a valid name and version`);
  return out.packages(file);
}

const isNpmLock = lockMatcher("package-lock.json", "npm-shrinkwrap.json");

export const npmLockAnalyzer: Analyzer = {
  name: "npm-lock",
  version: 1,
  match: isNpmLock,
  // lockfiles of large monorepos run to tens of megabytes
  maxFileSize: 64 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const file of files) if (isNpmLock(file.path)) out.push(...parse(file, ctx));
    return out;
  },
};
