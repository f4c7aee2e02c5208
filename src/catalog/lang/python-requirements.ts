import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import {
  baseName,
  byPathNameVersion,
  collect,
  decodeText,
  isPypiName,
  locationOf,
  type PypiEntry,
} from "./python-common.js";

/**
 * pip requirements files (`requirements*.txt`). Only exactly pinned lines (`name==1.2`, `name===1.2`) say
 * which version is installed, so only those become packages; ranges, bare names, URLs and editables are
 * skipped without a word. Lines are read as pip does: a trailing `\` joins the next line, `#` starts a
 * comment at the line start or after whitespace (`x==1#c` is the invalid version `1#c`, as pip sees it),
 * a UTF-16 byte-order mark is honoured, options after the requirement (`--hash=…`) are dropped.
 * Environment markers are kept in `metadata.marker` (they cannot be evaluated without the interpreter).
 * `-r`/`-c` includes are not followed (the included file is matched on its own if it is named
 * `requirements*.txt`): a warning names them. Files inside site-packages belong to installed packages and
 * are not matched.
 */

export function isRequirementsPath(path: string): boolean {
  if (!path.endsWith(".txt")) return false;
  if (path.includes("site-packages/") || path.includes("dist-packages/")) return false;
  return baseName(path).startsWith("requirements");
}

/** pip's line preprocessing: continuation joins, then comment stripping; yields [1-based line, text]. */
export function logicalLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  const isComment = (l: string) => /^\s*#/.test(l);
  let buf: string[] = [];
  let first = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (raw.endsWith("\\") && !isComment(raw)) {
      if (buf.length === 0) first = i + 1;
      buf.push(raw.replace(/\\+$/, ""));
      return;
    }
    if (buf.length) {
      buf.push(isComment(raw) ? ` ${raw}` : raw);
      out.push([first, buf.join("")]);
      buf = [];
    } else out.push([i + 1, raw]);
  });
  if (buf.length) out.push([first, buf.join("")]);
  return out.map(([n, l]): [number, string] => [n, stripComment(l).trim()]).filter(([, l]) => l !== "");
}

/** `#` at the start or after whitespace starts a comment. */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "#" && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) return line.slice(0, i);
  }
  return line;
}

export type Requirement =
  | { kind: "pinned"; name: string; version: string; marker?: string }
  | { kind: "unpinned" | "option" | "include"; text: string }
  | { kind: "invalid"; text: string };

const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+!_-]*$/;

export function parseRequirement(line: string): Requirement {
  // pip splits at the first option token: everything from there on is per-requirement options
  const tokens = line.split(/\s+/);
  const firstOpt = tokens.findIndex((t) => t.startsWith("-"));
  if (firstOpt === 0) {
    const opt = tokens[0]!;
    const include = /^(-r|-c|--requirement|--constraint)(=|$)/.test(opt) || /^-[rc]\S/.test(opt);
    return { kind: include ? "include" : "option", text: line };
  }
  const req = (firstOpt > 0 ? tokens.slice(0, firstOpt) : tokens).join(" ");
  const semi = req.indexOf(";");
  const spec = (semi >= 0 ? req.slice(0, semi) : req).trim();
  const marker = semi >= 0 ? req.slice(semi + 1).trim() || undefined : undefined;
  // URL / path requirements (`name @ url`, `./pkg`, `git+https://…`) name no registry version
  if (spec.includes("@") || spec.includes("/") || spec.includes("\\"))
    return { kind: "unpinned", text: line };
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/.exec(spec);
  if (!m || !isPypiName(m[1]!)) return { kind: "invalid", text: line };
  let rest = m[3]!.trim();
  if (rest.startsWith("(") && rest.endsWith(")")) rest = rest.slice(1, -1).trim();
  if (rest === "") return { kind: "unpinned", text: line };
  const specs = rest.split(",").map((s) => s.trim());
  const ops = specs.map((s) => /^(===|==|~=|!=|<=|>=|<|>)\s*(.*)$/.exec(s));
  if (ops.some((o) => !o || o[2] === "")) return { kind: "invalid", text: line };
  if (specs.length !== 1) return { kind: "unpinned", text: line };
  const [, op, version] = ops[0]!;
  if (op === "===") {
    return /\s/.test(version!) ? { kind: "invalid", text: line } : pinned(m[1]!, version!, marker);
  }
  if (op !== "==" || version!.includes("*")) return { kind: "unpinned", text: line };
  return VERSION.test(version!) ? pinned(m[1]!, version!, marker) : { kind: "invalid", text: line };
}

const pinned = (name: string, version: string, marker?: string): Requirement => ({
  kind: "pinned",
  name,
  version,
  ...(marker ? { marker } : {}),
});

function entriesOf(file: CapturedFile, ctx: AnalyzerContext): PypiEntry[] {
  const out: PypiEntry[] = [];
  const invalid: number[] = [];
  for (const [n, line] of logicalLines(decodeText(file.content))) {
    const r = parseRequirement(line);
    if (r.kind === "pinned")
      out.push({ name: r.name, version: r.version, metadata: r.marker ? { marker: r.marker } : undefined });
    else if (r.kind === "include")
      ctx.warn(`python-requirements: ${file.path}:${n}: include not followed: ${line}`);
    else if (r.kind === "invalid") invalid.push(n);
  }
  if (invalid.length) {
    const lines = invalid.slice(0, 5).join(", ") + (invalid.length > 5 ? ", …" : "");
    ctx.warn(`python-requirements: ${file.path}: skipped ${invalid.length} unparsable line(s): ${lines}`);
  }
  return out;
}

export const pythonRequirementsAnalyzer: Analyzer = {
  name: "python-requirements",
  version: 1,
  match: isRequirementsPath,
  maxFileSize: 8 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...collect(entriesOf(f, ctx), locationOf(f)));
      } catch (e) {
        ctx.warn(`python-requirements: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
