import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/**
 * Installed gems: RubyGems writes a Ruby-source spec for each one to `…/specifications/<name>-<ver>.gemspec`
 * (default gems under `specifications/default/`). Nothing is evaluated: the assignments RubyGems writes
 * (`s.name = "x".freeze`, `s.version = "1.2.3"`, `s.licenses = ["MIT".freeze]`, `s.platform = …`) are read
 * as literals — double/single-quoted strings, `%q{…}`, `Gem::Version.new("…")`, arrays of those — using the
 * block variable the file declares (`Gem::Specification.new do |s|`). As in Ruby, the last assignment wins
 * and `license = "x"` means `licenses = ["x"]`. The `# stub: name version platform` line is the fallback
 * for a missing name/version. A non-`ruby` platform is kept in `metadata.platform`.
 */

export const isInstalledGemspec = (path: string): boolean =>
  path.endsWith(".gemspec") && (path.includes("/specifications/") || path.startsWith("specifications/"));

const CLOSE: Record<string, string> = { "{": "}", "(": ")", "[": "]", "<": ">" };
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", s: " ", "0": "\0", e: "\x1b" };

/** Every string literal in a Ruby expression, in order ("…", '…', %q…/%Q…/%…). */
export function rubyStrings(expr: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === "#") break; // comment
    if (c === '"' || c === "'") {
      let s = "";
      let j = i + 1;
      for (; j < expr.length && expr[j] !== c; j++) {
        if (expr[j] === "\\" && j + 1 < expr.length) {
          const n = expr[++j]!;
          s += c === '"' ? (ESCAPES[n] ?? n) : n === "'" || n === "\\" ? n : `\\${n}`;
        } else s += expr[j];
      }
      if (j >= expr.length) break; // unterminated
      out.push(s);
      i = j + 1;
      continue;
    }
    if (c === "%" && /^%[qQ]?[{([<|!/]/.test(expr.slice(i, i + 3))) {
      const open = expr[i + 1] === "q" || expr[i + 1] === "Q" ? i + 2 : i + 1;
      const close = CLOSE[expr[open]!] ?? expr[open]!;
      const end = expr.indexOf(close, open + 1);
      if (end < 0) break;
      out.push(expr.slice(open + 1, end));
      i = end + 1;
      continue;
    }
    i++;
  }
  return out;
}

interface Spec {
  name?: string;
  version?: string;
  licenses?: string[];
  platform?: string;
}

export function parseGemspec(text: string): { spec: Spec; error?: string } {
  const block = /Gem::Specification\.new\s*(?:do\s*\|\s*(\w+)\s*\||\{\s*\|\s*(\w+)\s*\|)/.exec(text);
  const spec: Spec = {};
  const stub = /^# stub: (\S+) (\S+)(?: (\S+))?/m.exec(text);
  if (!block) return { spec, error: "no Gem::Specification.new block" };
  const v = block[1] ?? block[2]!;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trimStart();
    if (!t.startsWith(`${v}.`)) continue;
    const m = /^\w+\.(name|version|licenses?|platform)\s*=(?!=)(.*)$/.exec(t);
    if (!m) continue;
    const strings = rubyStrings(m[2]!);
    if (m[1] === "license" || m[1] === "licenses") {
      spec.licenses = strings.filter((s) => s !== "");
    } else if (strings.length > 0) {
      spec[m[1] as "name" | "version" | "platform"] = strings[0]!.trim();
    }
  }
  if (stub) {
    spec.name ||= stub[1];
    spec.version ||= stub[2];
    spec.platform ||= stub[3];
  }
  return { spec };
}

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package | undefined {
  const { spec, error } = parseGemspec(file.content.toString("utf8"));
  const { name, version } = spec;
  if (error || !name || !version || /\s/.test(name) || /\s/.test(version)) {
    ctx.warn(`ruby-gemspec: ${file.path}: skipped (${error ?? `no literal ${name ? "version" : "name"}`})`);
    return undefined;
  }
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  const purl = buildPurl({ type: "gem", name, version });
  const platform = spec.platform && spec.platform !== "ruby" ? spec.platform : undefined;
  return {
    id: packageId(purl, location),
    ecosystem: "RubyGems",
    name,
    version,
    purl,
    type: "gem",
    locations: [location],
    licenses: spec.licenses ?? [],
    ...(platform ? { metadata: { platform } } : {}),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const rubyGemspecAnalyzer: Analyzer = {
  name: "ruby-gemspec",
  version: 1,
  match: isInstalledGemspec,
  maxFileSize: 4 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        const p = analyzeFile(f, ctx);
        if (p) out.push(p);
      } catch (e) {
        ctx.warn(`ruby-gemspec: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort((a, b) => cmp(a.locations[0]!.path, b.locations[0]!.path));
  },
};
