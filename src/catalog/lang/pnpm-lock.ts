import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import {
  isObject,
  LockCollector,
  lockMatcher,
  validName,
  validVersion,
  yamlDocuments,
} from "./npm-common.js";

/**
 * pnpm-lock.yaml. Every resolved package is a key of `packages`:
 *
 * - lockfileVersion 5.x: `/name/1.0.0`, `/@scope/name/1.0.0`, peers appended after `_`
 *   (`/debug/4.3.4_supports-color@8.1.1`);
 * - 6.x: `/name@1.0.0`, peers in parentheses (`/debug@4.3.4(supports-color@8.1.1)`);
 * - 9.x: `name@1.0.0` without the slash; the peer variants moved to `snapshots` (read too, peers
 *   stripped, so a package that only appears there is not lost).
 *
 * Non-registry packages (tarball URLs, git hosts) are keyed by their source and carry `name` and
 * `version` fields, which win over the key. Local ones (`file:`, `link:`) are the project's own code and
 * are skipped. v5/v6 mark dev-only packages with `dev: true`, kept in metadata.
 *
 * pnpm 10+ may put a second YAML document first: the "env" lockfile pinning pnpm itself
 * (`configDependencies`, `packageManagerDependencies`). Those are the package manager's own tooling, not
 * the project's dependencies, so that document is skipped.
 */

const ENV_KEYS = new Set(["configDependencies", "packageManagerDependencies"]);

function isEnvDocument(doc: Record<string, unknown>): boolean {
  if (!isObject(doc.importers)) return false;
  const keys = Object.values(doc.importers).map((i) => (isObject(i) ? Object.keys(i) : ["?"]));
  return keys.some((k) => k.length > 0) && keys.every((k) => k.every((key) => ENV_KEYS.has(key)));
}

const isLocal = (ref: string): boolean => ref.startsWith("file:") || ref.startsWith("link:");

/** name and version from a `packages`/`snapshots` key, or undefined when it is not a registry key */
export function parsePnpmKey(
  key: string,
  major: number,
): { name: string; version: string; local: boolean } | undefined {
  let k = key.startsWith("/") ? key.slice(1) : key;
  const paren = k.indexOf("(");
  if (paren > 0) k = k.slice(0, paren);
  if (isLocal(k)) return { name: "", version: "", local: true };
  let name: string;
  let version: string;
  if (major < 6 && key.startsWith("/")) {
    const slash = k.lastIndexOf("/");
    if (slash <= 0) return undefined;
    name = k.slice(0, slash);
    version = k.slice(slash + 1);
    const underscore = version.indexOf("_");
    if (underscore > 0) version = version.slice(0, underscore);
  } else {
    const at = k.indexOf("@", 1);
    if (at < 0) return undefined;
    name = k.slice(0, at);
    version = k.slice(at + 1);
  }
  return { name, version, local: isLocal(version) };
}

function fromDocument(doc: Record<string, unknown>, out: LockCollector): number {
  const major = Number.parseInt(typeof doc.lockfileVersion === "string" ? doc.lockfileVersion : "", 10);
  // without a version, a `/name/1.0.0` key is the old form and `/name@1.0.0` the new
  const guessMajor = (key: string) => (Number.isNaN(major) ? (key.indexOf("@", 2) > 0 ? 6 : 5) : major);
  let skipped = 0;
  for (const [section, isSnapshot] of [
    [doc.packages, false],
    [doc.snapshots, true],
  ] as const) {
    if (!isObject(section)) continue;
    for (const [key, entry] of Object.entries(section)) {
      const e = isObject(entry) ? entry : {};
      const parsed = parsePnpmKey(key, guessMajor(key));
      if (parsed?.local) continue;
      // fields win: tarball/git entries name themselves (v9 keeps the name in the key, the version here)
      const name = validName(e.name) ? e.name : parsed?.name;
      const version = validVersion(e.version) ? e.version : parsed?.version;
      // a source key (`github.com/user/repo/sha`, `name@https://…`) without fields cannot be versioned
      if (!validName(name) || !validVersion(version) || version.includes(":") || version.includes("/")) {
        // snapshots repeat source keys without their version field; `packages` already named them
        if (!isSnapshot) skipped++;
        continue;
      }
      out.add(name, version, [], e.dev === "true" ? { dev: true } : {});
    }
  }
  return skipped;
}

function parse(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const warn = (m: string) => ctx.warn(`pnpm-lock: ${file.path}: ${m}`);
  const out = new LockCollector();
  try {
    const docs = yamlDocuments(file.content.toString("utf8"), warn).filter(isObject);
    if (docs.length === 0) warn("not a pnpm lockfile (expected a YAML map)");
    let skipped = 0;
    for (const doc of docs) if (!isEnvDocument(doc)) skipped += fromDocument(doc, out);
    if (skipped > 0) warn(`skipped ${skipped} entries without a valid name and version`);
  } catch (e) {
    warn(`unreadable (${(e as Error).message})`);
  }
  return out.packages(file);
}

const isPnpmLock = lockMatcher("pnpm-lock.yaml");

export const pnpmLockAnalyzer: Analyzer = {
  name: "pnpm-lock",
  version: 1,
  match: isPnpmLock,
  maxFileSize: 64 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const file of files) if (isPnpmLock(file.path)) out.push(...parse(file, ctx));
    return out;
  },
};
