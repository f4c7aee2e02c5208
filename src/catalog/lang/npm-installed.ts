import type { Package } from "../../model/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  byNameVersion,
  isObject,
  licensesOf,
  locationOf,
  npmPackage,
  validName,
  validVersion,
} from "./npm-common.js";

/**
 * Installed npm packages: the `package.json` at the top of each package directory in a node_modules
 * tree. Only manifests where a package is installed count — `…/node_modules/<name>/package.json`,
 * `…/node_modules/@scope/<name>/package.json`, and the same again below a package's own node_modules —
 * so packages' test fixtures, examples and `{"type":"module"}` stubs in subfolders are not packages.
 * pnpm (`node_modules/.pnpm/<dir>/node_modules/<name>`) and yarn's pnpm linker (`.store`) keep the real
 * copies one hop down; their top-level entries are symlinks, which the walker resolves and dedupes.
 *
 * The name and version come from the manifest, not the directory: an aliased install
 * (`node_modules/foo-cjs` holding `foo`) is the package `foo`.
 */

const STORES = new Set([".pnpm", ".store"]);

/** Whether `path` is the manifest of an installed package (see above). Linear in the path; no regex. */
export function isInstalledManifest(path: string): boolean {
  if (!path.endsWith("/package.json")) return false;
  const segs = path.split("/");
  segs.pop();
  let i = segs.indexOf("node_modules");
  if (i < 0) return false;
  i++;
  for (;;) {
    const s = segs[i];
    if (s === undefined || s === "") return false;
    if (STORES.has(s)) {
      // .pnpm/<name>@<version>/node_modules/…
      if (!segs[i + 1] || segs[i + 2] !== "node_modules") return false;
      i += 3;
      continue;
    }
    if (s.startsWith(".")) return false; // .bin, .cache, .vite, …
    if (s.startsWith("@")) {
      if (!segs[i + 1] || segs[i + 1]!.startsWith(".")) return false;
      i += 2;
    } else i += 1;
    if (i === segs.length) return true;
    if (segs[i] !== "node_modules") return false;
    i++;
  }
}

export const npmInstalledAnalyzer: Analyzer = {
  name: "npm-installed",
  version: 1,
  match: (path) => path.includes("node_modules/") && isInstalledManifest(path),
  // manifests are small; a few carry long contributor lists or embedded readmes
  maxFileSize: 4 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const file of files) {
      if (!isInstalledManifest(file.path)) continue;
      let json: unknown;
      try {
        json = JSON.parse(file.content.toString("utf8"));
      } catch (e) {
        ctx.warn(`npm-installed: ${file.path}: malformed JSON (${(e as Error).message})`);
        continue;
      }
      // a manifest without a valid name and version is not an installable package; no need to warn
      if (!isObject(json) || !validName(json.name) || !validVersion(json.version)) continue;
      out.push(
        npmPackage(json.name, json.version, locationOf(file), licensesOf(json.license, json.licenses)),
      );
    }
    return out.sort(byNameVersion);
  },
};
