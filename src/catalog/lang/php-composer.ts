import type { Location, Package } from "../../model/index.js";
import type { CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/**
 * Shared by the Composer analyzers: installed.json and composer.lock hold the same package objects
 * (`name` "vendor/name", `version`, `license` string or list).
 *
 * Versions are kept exactly as written (`v1.27.0` stays `v1.27.0`, as `composer show` prints it and as the
 * purl of a tag should read); `compareVersions("Packagist", …)` drops a leading `v` when matching.
 * The purl namespace is the vendor: `pkg:composer/symfony/polyfill-php72@v1.27.0`.
 */

export const locationOf = (f: CapturedFile): Location =>
  f.layer ? { path: f.path, layer: f.layer } : { path: f.path };

/** A Composer package object → Package, or a reason it was skipped. */
export function composerPackage(obj: unknown, location: Location, dev: boolean): Package | string {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return "not an object";
  const { name, version, license } = obj as Record<string, unknown>;
  if (typeof name !== "string" || typeof version !== "string") return "no name/version";
  const slash = name.indexOf("/");
  const vendor = name.slice(0, slash);
  const short = name.slice(slash + 1);
  if (slash <= 0 || !short || short.includes("/") || /\s/.test(name))
    return `invalid name "${name.slice(0, 80)}"`;
  const v = version.trim();
  if (!v || /\s/.test(v)) return `invalid version for ${name}`;
  const purl = buildPurl({ type: "composer", namespace: vendor, name: short, version: v });
  const licenses =
    typeof license === "string"
      ? [license]
      : Array.isArray(license)
        ? license.filter((l): l is string => typeof l === "string" && l !== "")
        : [];
  return {
    id: packageId(purl, location),
    ecosystem: "Packagist",
    name,
    version: v,
    purl,
    type: "composer",
    locations: [location],
    licenses: licenses.filter((l) => l !== ""),
    ...(dev ? { metadata: { dev: true } } : {}),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const byPathNameVersion = (a: Package, b: Package): number =>
  cmp(a.locations[0]!.path, b.locations[0]!.path) || cmp(a.name, b.name) || cmp(a.version, b.version);

/** Packages from lists of objects, one per name@version; warns once per file about skipped entries. */
export function composerPackages(
  lists: { items: unknown[]; dev: (name: unknown) => boolean }[],
  file: CapturedFile,
  warn: (reason: string) => void,
): Package[] {
  const location = locationOf(file);
  const byPurl = new Map<string, Package>();
  const skipped: string[] = [];
  for (const { items, dev } of lists) {
    for (const item of items) {
      const name = item && typeof item === "object" ? (item as { name?: unknown }).name : undefined;
      const p = composerPackage(item, location, dev(name));
      if (typeof p === "string") skipped.push(p);
      else if (!byPurl.has(p.purl)) byPurl.set(p.purl, p);
    }
  }
  if (skipped.length) warn(`skipped ${skipped.length} package(s): ${skipped.slice(0, 3).join("; ")}`);
  return [...byPurl.values()];
}
