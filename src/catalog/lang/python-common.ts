import type { Location, Package } from "../../model/index.js";
import type { CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/** Helpers shared by the Python analyzers (installed metadata and the lockfile formats). */

/** PEP 503: lower-case, runs of `-`, `_`, `.` become one `-` — the form PyPI, OSV and purls use. */
export const normalizePypiName = (name: string): string => name.replace(/[-_.]+/g, "-").toLowerCase();

/** PEP 508 distribution name (before normalisation). */
export const isPypiName = (name: string): boolean =>
  /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name);

/** Text of a file: UTF-8 unless a byte-order mark says UTF-16 (pip reads requirements files the same way). */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString("utf16le");
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const le = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    le.swap16();
    return le.toString("utf16le");
  }
  const s = buf.toString("utf8");
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

export const locationOf = (f: CapturedFile): Location =>
  f.layer ? { path: f.path, layer: f.layer } : { path: f.path };

export const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

export interface PypiEntry {
  name: string;
  version: string;
  licenses?: string[];
  metadata?: Record<string, string | number | boolean>;
}

export function pypiPackage(e: PypiEntry, location: Location): Package {
  const name = normalizePypiName(e.name);
  const purl = buildPurl({ type: "pypi", name, version: e.version });
  const meta = e.metadata && Object.keys(e.metadata).length > 0 ? e.metadata : undefined;
  return {
    id: packageId(purl, location),
    ecosystem: "PyPI",
    name,
    version: e.version,
    purl,
    type: "pypi",
    locations: [location],
    licenses: e.licenses ?? [],
    ...(meta ? { metadata: meta } : {}),
  };
}

/**
 * Packages of one file, one per name@version (a lockfile can list a name twice for different markers;
 * the first entry wins, except that a non-dev entry clears `dev`).
 */
export function collect(entries: PypiEntry[], location: Location): Package[] {
  const byKey = new Map<string, Package>();
  for (const e of entries) {
    const p = pypiPackage(e, location);
    const seen = byKey.get(p.purl);
    if (!seen) byKey.set(p.purl, p);
    else if (seen.metadata?.dev && !p.metadata?.dev) {
      delete seen.metadata.dev;
      if (Object.keys(seen.metadata).length === 0) delete seen.metadata;
    }
  }
  return [...byKey.values()];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const byPathNameVersion = (a: Package, b: Package): number =>
  cmp(a.locations[0]?.path ?? "", b.locations[0]?.path ?? "") ||
  cmp(a.name, b.name) ||
  cmp(a.version, b.version);
