import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";
import { COPYRIGHT_SCAN_LIMIT, licensesFromCopyright } from "./dpkg-copyright.js";

const STATUS = "var/lib/dpkg/status";
const STATUS_D = "var/lib/dpkg/status.d/";
// distroless puts control files next to each package's stanza file; they are not stanzas
const CONTROL_SUFFIXES = new Set([
  "md5sums",
  "preinst",
  "postinst",
  "prerm",
  "postrm",
  "conffiles",
  "list",
  "shlibs",
  "symbols",
  "triggers",
  "templates",
  "config",
]);

const isStatusD = (path: string): boolean => {
  if (!path.startsWith(STATUS_D)) return false;
  const name = path.slice(STATUS_D.length);
  if (!name || name.includes("/")) return false;
  const dot = name.lastIndexOf(".");
  return dot < 0 || !CONTROL_SUFFIXES.has(name.slice(dot + 1));
};
const isCopyright = (path: string): boolean => /^usr\/share\/doc\/[^/]+\/copyright$/.test(path);

export interface Stanza {
  /** field names lower-cased (dpkg field names are case-insensitive); multi-line values joined by `\n` */
  fields: Record<string, string>;
  /** 1-based line of the stanza's first line */
  line: number;
  /** why the stanza is unusable, if it is */
  error?: string;
}

/**
 * Split a deb822 control file into stanzas. Paragraphs are separated by blank (or whitespace-only) lines;
 * a line starting with space/tab continues the previous field. Tolerates CRLF. Never throws.
 */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  const lines = text.split(/\r?\n/);
  let cur: Stanza | undefined;
  let last: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") {
      cur = undefined;
      last = undefined;
      continue;
    }
    if (!cur) {
      cur = { fields: Object.create(null) as Record<string, string>, line: i + 1 };
      out.push(cur);
    }
    if (line[0] === " " || line[0] === "\t") {
      if (last === undefined) cur.error ??= `line ${i + 1}: continuation line without a field`;
      else cur.fields[last] += `\n${line.slice(1)}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      cur.error ??= `line ${i + 1}: field name must be followed by a colon`;
      last = undefined;
      continue;
    }
    last = line.slice(0, colon).trim().toLowerCase();
    cur.fields[last] = line.slice(colon + 1).trim();
  }
  return out;
}

/**
 * `ii`/`hi` in dpkg-query's `${db:Status-Abbrev}`: want install or hold, status installed (the error flag
 * does not change that). Config-files, half-installed, unpacked, triggers-* and so on are not listed.
 */
export function isInstalled(status: string): boolean {
  const [want, , state, extra] = status.trim().split(/\s+/);
  return extra === undefined && (want === "install" || want === "hold") && state === "installed";
}

interface Entry {
  name: string;
  version: string;
  arch?: string;
  source: { name: string; version: string };
  location: Location;
}

function entriesFrom(file: CapturedFile, ctx: AnalyzerContext): Entry[] {
  const distroless = file.path !== STATUS;
  const out: Entry[] = [];
  for (const st of parseStanzas(file.content.toString("utf8"))) {
    const where = `dpkg: ${file.path}:${st.line}`;
    const f = st.fields;
    if (st.error) {
      ctx.warn(`${where}: skipped malformed stanza (${st.error})`);
      continue;
    }
    // the main status file lists removed packages too; a status.d entry without Status is installed
    if (f.status !== undefined ? !isInstalled(f.status) : !distroless) continue;
    const name = f.package?.trim();
    const version = f.version?.trim();
    if (!name || /\s/.test(name) || !version || /\s/.test(version)) {
      ctx.warn(`${where}: skipped stanza without a valid Package/Version`);
      continue;
    }
    const src = /^(\S+)(?:\s+\(\s*([^)\s]+)\s*\))?\s*$/.exec(f.source?.trim() ?? "");
    out.push({
      name,
      version,
      arch: f.architecture?.trim() || undefined,
      source: { name: src?.[1] ?? name, version: src?.[2] ?? version },
      location: file.layer ? { path: file.path, layer: file.layer } : { path: file.path },
    });
  }
  return out;
}

function licensesFor(name: string, files: Map<string, CapturedFile>, ctx: AnalyzerContext): string[] {
  const path = `usr/share/doc/${name}/copyright`;
  // ctx.file follows symlinks (doc dirs are often links to another package's)
  const file = ctx.file(path) ?? files.get(path);
  if (!file) return [];
  try {
    return licensesFromCopyright(file.content.subarray(0, COPYRIGHT_SCAN_LIMIT).toString("utf8"));
  } catch (e) {
    ctx.warn(`dpkg: ${path}: licence detection failed: ${(e as Error).message}`);
    return [];
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const dpkgAnalyzer: Analyzer = {
  name: "dpkg",
  version: 1,
  match: (path) => path === STATUS || isStatusD(path) || isCopyright(path),
  // status files of large images reach several MiB; copyright files are read only up to 256 KiB
  maxFileSize: 8 * 1024 * 1024,
  analyze(files, ctx) {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const entries: Entry[] = [];
    for (const file of files) {
      if (file.path !== STATUS && !isStatusD(file.path)) continue;
      try {
        entries.push(...entriesFrom(file, ctx));
      } catch (e) {
        ctx.warn(`dpkg: ${file.path}: unreadable (${(e as Error).message})`);
      }
    }
    const os = ctx.os;
    const namespace = os?.family === "ubuntu" ? "ubuntu" : "debian";
    const release = os?.version ?? os?.codename;
    const distro = os && release ? `${os.family}-${release}` : undefined;
    const merged = new Map<string, Package>();
    for (const e of entries) {
      const key = `${e.name}\0${e.arch ?? ""}\0${e.version}`;
      const seen = merged.get(key);
      if (seen) {
        seen.locations.push(e.location);
        continue;
      }
      const purl = buildPurl({
        type: "deb",
        namespace,
        name: e.name,
        version: e.version,
        qualifiers: { arch: e.arch, distro },
      });
      merged.set(key, {
        id: packageId(purl, e.location),
        ecosystem: os?.ecosystem ?? "Debian",
        name: e.name,
        version: e.version,
        purl,
        type: "deb",
        ...(e.arch ? { arch: e.arch } : {}),
        source: e.source,
        locations: [e.location],
        licenses: licensesFor(e.name, byPath, ctx),
      });
    }
    return [...merged.values()].sort(
      (a, b) => cmp(a.name, b.name) || cmp(a.arch ?? "", b.arch ?? "") || cmp(a.version, b.version),
    );
  },
};
