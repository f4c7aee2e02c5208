import { parseAllDocuments } from "yaml";
import type { Location, Package } from "../../model/index.js";
import type { CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/** Shared by the npm, yarn and pnpm analyzers: names, purls, licences and the lockfile path rules. */

export type Meta = Record<string, string | number | boolean>;

/** The lockfile names the lock analyzers read; `mergeNpm` uses them to tell lock locations apart. */
export const LOCK_NAMES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
]);

export const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
/** directory of a path, "" at the image root */
export const dirName = (path: string): string => {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
};

export const insideNodeModules = (path: string): boolean =>
  path.startsWith("node_modules/") || path.includes("/node_modules/");

/**
 * A lockfile path we read: the exact file name, never inside node_modules (packages ship their own
 * stale lockfiles, and npm's hidden `node_modules/.package-lock.json` only mirrors the installed tree).
 */
export const lockMatcher =
  (...names: string[]) =>
  (path: string): boolean =>
    names.some((n) => path === n || path.endsWith(`/${n}`)) && !insideNodeModules(path);

export const locationOf = (file: { path: string; layer?: string }): Location =>
  file.layer ? { path: file.path, layer: file.layer } : { path: file.path };

const hasSpaceOrControl = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 0x20 || s.charCodeAt(i) === 0x7f) return true;
  return false;
};

/** A plausible npm package name: `name` or `@scope/name`, no whitespace (old names may have capitals). */
export function validName(name: unknown): name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > 214 || hasSpaceOrControl(name))
    return false;
  const slash = name.indexOf("/");
  if (!name.startsWith("@")) return slash < 0;
  return slash > 1 && slash < name.length - 1 && name.indexOf("/", slash + 1) < 0;
}

export function validVersion(version: unknown): version is string {
  return (
    typeof version === "string" && version.length > 0 && version.length <= 256 && !hasSpaceOrControl(version)
  );
}

/**
 * purl-spec npm type: the scope is the namespace (`@` percent-encoded by buildPurl) and, as the spec
 * says, namespace and name are lower-cased (npm forbids capitals in new names).
 */
export function npmPurl(name: string, version: string): string {
  const slash = name.startsWith("@") ? name.indexOf("/") : -1;
  const lower = name.toLowerCase();
  return slash > 0
    ? buildPurl({ type: "npm", namespace: lower.slice(0, slash), name: lower.slice(slash + 1), version })
    : buildPurl({ type: "npm", name: lower, version });
}

export function npmPackage(
  name: string,
  version: string,
  location: Location,
  licenses: string[] = [],
  metadata?: Meta,
): Package {
  const purl = npmPurl(name, version);
  return {
    id: packageId(purl, location),
    ecosystem: "npm",
    name,
    version,
    purl,
    type: "npm",
    locations: [location],
    licenses,
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

/**
 * Licences as package.json and package-lock entries state them: an SPDX string, the deprecated
 * `{type, url}` object, or the legacy array of either. Anything else (null, numbers, `{}`) says nothing.
 */
export function licensesOf(...values: unknown[]): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === "string") {
      const s = v.trim();
      if (s && !out.includes(s)) out.push(s);
    } else if (v && typeof v === "object" && !Array.isArray(v)) {
      add((v as { type?: unknown }).type);
    }
  };
  for (const v of values) {
    if (Array.isArray(v)) for (const item of v) add(item);
    else add(v);
  }
  return out;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * One lockfile's packages, deduplicated by name@version: a lockfile may list the same version at several
 * install paths. `dev` stays true only when every occurrence is dev-only.
 */
export class LockCollector {
  private readonly byKey = new Map<
    string,
    { name: string; version: string; licenses: string[]; meta: Meta }
  >();

  add(name: string, version: string, licenses: string[] = [], meta: Meta = {}): void {
    const key = `${name}@${version}`;
    const seen = this.byKey.get(key);
    if (!seen) {
      this.byKey.set(key, { name, version, licenses: [...licenses], meta: { ...meta } });
      return;
    }
    for (const l of licenses) if (!seen.licenses.includes(l)) seen.licenses.push(l);
    if (seen.meta.dev && !meta.dev) delete seen.meta.dev;
    for (const [k, v] of Object.entries(meta)) if (k !== "dev" && !(k in seen.meta)) seen.meta[k] = v;
  }

  packages(file: CapturedFile): Package[] {
    const location = locationOf(file);
    return [...this.byKey.values()]
      .map((e) => npmPackage(e.name, e.version, location, e.licenses, e.meta))
      .sort(byNameVersion);
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const byNameVersion = (a: Package, b: Package): number =>
  cmp(a.name, b.name) ||
  cmp(a.version, b.version) ||
  cmp(a.locations[0]?.path ?? "", b.locations[0]?.path ?? "");

/**
 * The documents of a YAML lockfile (yarn berry, pnpm) as plain data. The failsafe schema keeps every
 * scalar a string, so `version: 1.10` or `lockfileVersion: 5.3` are never turned into numbers. A document
 * with syntax errors is reported and still read for whatever parsed.
 */
export function yamlDocuments(text: string, warn: (msg: string) => void): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text, { schema: "failsafe", uniqueKeys: false })) {
    if (doc.errors.length > 0) warn(`YAML error (${doc.errors[0]!.message.split("\n")[0]})`);
    try {
      out.push(doc.toJS({ maxAliasCount: 1000 }));
    } catch (e) {
      warn(`unreadable YAML (${(e as Error).message.split("\n")[0]})`);
    }
  }
  return out;
}
