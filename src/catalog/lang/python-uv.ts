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
 * uv's `uv.lock` (TOML): one `[[package]]` per distribution, `source` saying where it comes from. The
 * project itself and workspace members have an `editable` or `virtual` source: they are the code being
 * built, not dependencies, and are skipped. `git`/`path`/`directory`/`url` sources are kept with
 * `metadata.source`. Packages reachable from the projects only through `dev-dependencies` are marked `dev`
 * (walking `dependencies` and `optional-dependencies` edges); with no project in the file nothing is.
 */

const isUvLock = (path: string): boolean => baseName(path) === "uv.lock";

interface Dep {
  name?: unknown;
  version?: unknown;
}
type Table = Record<string, unknown>;

const deps = (v: unknown): Dep[] => (Array.isArray(v) ? v.filter((d) => d && typeof d === "object") : []);
const groups = (v: unknown): Dep[] =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.values(v as Table).flatMap(deps) : [];
const sourceKind = (p: Table): string | undefined => {
  const s = p.source;
  if (!s || typeof s !== "object") return undefined;
  return ["registry", "editable", "virtual", "git", "path", "directory", "url"].find(
    (k) => k in (s as Table),
  );
};

function entriesOf(file: CapturedFile, ctx: AnalyzerContext): PypiEntry[] {
  let doc: Table;
  try {
    doc = parse(decodeText(file.content)) as Table;
  } catch (e) {
    ctx.warn(`python-uv: ${file.path}: not TOML (${(e as Error).message.split("\n")[0]})`);
    return [];
  }
  const list = Array.isArray(doc.package)
    ? (doc.package as unknown[]).filter((p): p is Table => !!p && typeof p === "object")
    : [];
  // index by name and name@version (a name appears twice when markers split the resolution)
  const index = new Map<string, Table>();
  for (const p of list) {
    if (typeof p.name !== "string") continue;
    if (!index.has(p.name)) index.set(p.name, p);
    if (typeof p.version === "string") index.set(`${p.name}@${p.version}`, p);
  }
  const resolve = (d: Dep): Table | undefined =>
    typeof d.name !== "string"
      ? undefined
      : index.get(typeof d.version === "string" ? `${d.name}@${d.version}` : d.name);
  const walk = (start: Dep[], seen: Set<Table>): void => {
    const todo = start.map(resolve);
    while (todo.length) {
      const p = todo.pop();
      if (!p || seen.has(p)) continue;
      seen.add(p);
      for (const d of [...deps(p.dependencies), ...groups(p["optional-dependencies"])]) todo.push(resolve(d));
    }
  };
  const roots = list.filter((p) => {
    const k = sourceKind(p);
    return k === "editable" || k === "virtual";
  });
  const prod = new Set<Table>();
  const dev = new Set<Table>();
  walk(
    roots.flatMap((r) => [...deps(r.dependencies), ...groups(r["optional-dependencies"])]),
    prod,
  );
  walk(
    roots.flatMap((r) => groups(r["dev-dependencies"])),
    dev,
  );

  const out: PypiEntry[] = [];
  let bad = 0;
  for (const p of list) {
    const kind = sourceKind(p);
    if (kind === "editable" || kind === "virtual") continue;
    const { name, version } = p;
    if (typeof name !== "string" || typeof version !== "string" || !name || !version || /\s/.test(version)) {
      bad++;
      continue;
    }
    const metadata: Record<string, string | boolean> = {};
    if (dev.has(p) && !prod.has(p)) metadata.dev = true;
    if (kind && kind !== "registry") metadata.source = kind;
    out.push({ name, version, metadata });
  }
  if (bad) ctx.warn(`python-uv: ${file.path}: skipped ${bad} [[package]] without name/version`);
  return out;
}

export const pythonUvAnalyzer: Analyzer = {
  name: "python-uv",
  version: 1,
  match: isUvLock,
  maxFileSize: 32 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...collect(entriesOf(f, ctx), locationOf(f)));
      } catch (e) {
        ctx.warn(`python-uv: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
