import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/**
 * Bundler's `Gemfile.lock` (or `gems.locked`). Source sections (`GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`) list
 * resolved gems under `specs:` at four spaces — `name (version)` or `name (version-platform)`, split at the
 * first `-` as Bundler does — with their requirements at six spaces (ignored). One package per
 * name@version: platform variants (`nokogiri (1.15.0-x86_64-linux)`) merge, non-`ruby` platforms listed in
 * `metadata.platforms`. `GIT` and `PATH` gems get `metadata.source`; the `PATH` source `remote: .` is the
 * project's own gemspec and is skipped. Names under `DEPENDENCIES` are marked `metadata.direct`.
 * A Gemfile.lock shipped inside an installed gem (`…/gems/<gem>/Gemfile.lock`) is that gem's development
 * lockfile, not what is installed, and is not matched.
 */

export function isGemfileLock(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (base !== "Gemfile.lock" && base !== "gems.locked") return false;
  const parts = path.split("/");
  return parts[parts.length - 3] !== "gems";
}

const SOURCES = new Set(["GEM", "GIT", "PATH", "PLUGIN SOURCE"]);

interface Entry {
  name: string;
  version: string;
  platforms: Set<string>;
  source?: string;
}

export function parseGemfileLock(text: string): { entries: Entry[]; direct: Set<string>; bad: number[] } {
  const byKey = new Map<string, Entry>();
  const direct = new Set<string>();
  const bad: number[] = [];
  let section = "";
  let remote = "";
  let inSpecs = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    if (line[0] !== " ") {
      section = line.trim();
      remote = "";
      inSpecs = false;
      return;
    }
    if (section === "DEPENDENCIES") {
      const m = /^ {2}([^\s!(]+)/.exec(line);
      if (m) direct.add(m[1]!);
      return;
    }
    if (!SOURCES.has(section)) return;
    if (line.startsWith("  remote: ")) remote = line.slice(10).trim();
    if (/^ {2}\S/.test(line)) {
      inSpecs = line.trim() === "specs:";
      return;
    }
    if (!inSpecs || !/^ {4}\S/.test(line)) return;
    const m = /^ {4}(\S+) \((\S+)\)$/.exec(line);
    if (!m) {
      bad.push(i + 1);
      return;
    }
    if (section === "PATH" && remote === ".") return;
    const dash = m[2]!.indexOf("-");
    const version = dash >= 0 ? m[2]!.slice(0, dash) : m[2]!;
    const platform = dash >= 0 ? m[2]!.slice(dash + 1) : "ruby";
    if (!version) {
      bad.push(i + 1);
      return;
    }
    const key = `${m[1]}@${version}`;
    const e = byKey.get(key) ?? { name: m[1]!, version, platforms: new Set<string>() };
    if (section === "GIT") e.source = "git";
    else if (section === "PATH") e.source = "path";
    if (platform !== "ruby") e.platforms.add(platform);
    byKey.set(key, e);
  });
  return { entries: [...byKey.values()], direct, bad };
}

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const { entries, direct, bad } = parseGemfileLock(file.content.toString("utf8"));
  if (bad.length) {
    ctx.warn(
      `ruby-gemfile-lock: ${file.path}: skipped ${bad.length} unparsable spec line(s): ${bad.slice(0, 5).join(", ")}`,
    );
  }
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  return entries.map((e) => {
    const purl = buildPurl({ type: "gem", name: e.name, version: e.version });
    const metadata: Record<string, string | boolean> = {};
    if (direct.has(e.name)) metadata.direct = true;
    if (e.source) metadata.source = e.source;
    if (e.platforms.size) metadata.platforms = [...e.platforms].sort().join(",");
    return {
      id: packageId(purl, location),
      ecosystem: "RubyGems",
      name: e.name,
      version: e.version,
      purl,
      type: "gem",
      locations: [location],
      licenses: [],
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
  });
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const rubyGemfileLockAnalyzer: Analyzer = {
  name: "ruby-gemfile-lock",
  version: 1,
  match: isGemfileLock,
  maxFileSize: 16 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...analyzeFile(f, ctx));
      } catch (e) {
        ctx.warn(`ruby-gemfile-lock: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(
      (a, b) =>
        cmp(a.locations[0]!.path, b.locations[0]!.path) || cmp(a.name, b.name) || cmp(a.version, b.version),
    );
  },
};
