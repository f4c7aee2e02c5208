import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/**
 * apk's installed database (`lib/apk/db/installed`; apk-tools 3 may keep it under `usr/lib/apk/db/`).
 * Records are separated by blank lines; each line is `<one-letter key>:<value>`. We use
 * P name, V version, A arch, o origin (the source package secdb advisories are keyed by) and L licence.
 *
 * Licences: `L:` is kept as one string exactly as written — modern Alpine writes SPDX expressions
 * (`MPL-2.0 AND MIT`, `( Apache-2.0 OR MIT ) AND MPL-2.0`), old releases space-separated lists
 * (`MIT BSD GPL2+`); splitting either would change its meaning.
 */
const DB_PATHS = new Set(["lib/apk/db/installed", "usr/lib/apk/db/installed"]);
const NAMESPACES = new Set(["alpine", "wolfi", "chainguard"]);

export interface ApkRecord {
  fields: Map<string, string>;
  /** 1-based line of the record's first line */
  line: number;
  error?: string;
}

/** Split the database into records. Repeated keys (F, R, Z…) keep their first value. Never throws. */
export function parseApkRecords(text: string): ApkRecord[] {
  const out: ApkRecord[] = [];
  let cur: ApkRecord | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") {
      cur = undefined;
      continue;
    }
    if (!cur) {
      cur = { fields: new Map(), line: i + 1 };
      out.push(cur);
    }
    if (line.length < 2 || line[1] !== ":") {
      cur.error ??= `line ${i + 1}: expected "<key>:<value>"`;
      continue;
    }
    const key = line[0]!;
    if (!cur.fields.has(key)) cur.fields.set(key, line.slice(2).trim());
  }
  return out;
}

interface Entry {
  name: string;
  version: string;
  arch?: string;
  origin?: string;
  license?: string;
  location: Location;
}

function entriesFrom(file: CapturedFile, ctx: AnalyzerContext): Entry[] {
  const out: Entry[] = [];
  for (const rec of parseApkRecords(file.content.toString("utf8"))) {
    const where = `apk: ${file.path}:${rec.line}`;
    if (rec.error) {
      ctx.warn(`${where}: skipped malformed record (${rec.error})`);
      continue;
    }
    const name = rec.fields.get("P");
    const version = rec.fields.get("V");
    if (!name || !version || /\s/.test(name) || /\s/.test(version)) {
      ctx.warn(`${where}: skipped record without a valid P/V`);
      continue;
    }
    out.push({
      name,
      version,
      arch: rec.fields.get("A") || undefined,
      origin: rec.fields.get("o") || undefined,
      license: rec.fields.get("L") || undefined,
      location: file.layer ? { path: file.path, layer: file.layer } : { path: file.path },
    });
  }
  return out;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const apkAnalyzer: Analyzer = {
  name: "apk",
  version: 1,
  match: (path) => DB_PATHS.has(path),
  // the database lists every installed file, so it grows with the image
  maxFileSize: 64 * 1024 * 1024,
  analyze(files, ctx) {
    const entries: Entry[] = [];
    for (const file of files) {
      if (!DB_PATHS.has(file.path)) continue;
      try {
        entries.push(...entriesFrom(file, ctx));
      } catch (e) {
        ctx.warn(`apk: ${file.path}: unreadable (${(e as Error).message})`);
      }
    }
    const os = ctx.os;
    const namespace = os && NAMESPACES.has(os.family) ? os.family : "alpine";
    const distro = os?.version ? `${os.family}-${os.version}` : undefined;
    const ecosystem =
      os?.ecosystem ??
      (namespace === "wolfi" ? "Wolfi" : namespace === "chainguard" ? "Chainguard" : "Alpine");
    const merged = new Map<string, Package>();
    for (const e of entries) {
      const key = `${e.name}\0${e.arch ?? ""}\0${e.version}`;
      const seen = merged.get(key);
      if (seen) {
        seen.locations.push(e.location); // both db paths present as regular files
        continue;
      }
      const purl = buildPurl({
        type: "apk",
        namespace,
        name: e.name,
        version: e.version,
        qualifiers: { arch: e.arch, distro },
      });
      merged.set(key, {
        id: packageId(purl, e.location),
        ecosystem,
        name: e.name,
        version: e.version,
        purl,
        type: "apk",
        ...(e.arch ? { arch: e.arch } : {}),
        // a package without an origin is its own origin; subpackages share the origin's version
        source: { name: e.origin ?? e.name, version: e.version },
        locations: [e.location],
        licenses: e.license ? [e.license] : [],
      });
    }
    return [...merged.values()].sort(
      (a, b) => cmp(a.name, b.name) || cmp(a.arch ?? "", b.arch ?? "") || cmp(a.version, b.version),
    );
  },
};
