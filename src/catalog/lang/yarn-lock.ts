import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import {
  isObject,
  LockCollector,
  lockMatcher,
  validName,
  validVersion,
  yamlDocuments,
} from "./npm-common.js";

/**
 * yarn.lock, both generations.
 *
 * Classic (v1) is yarn's own indentation format:
 *
 *     "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
 *       version "7.12.13"
 *       resolved "https://registry.yarnpkg.com/…"
 *       dependencies:
 *         "@babel/highlight" "^7.12.13"
 *
 * A line at column 0 ending in `:` lists the requested specifiers (`name@range`, quoted JSON-style when
 * needed) that resolved to the entry; two-space lines are `key value` fields; deeper lines belong to
 * nested maps we do not need. Keys and values may both be quoted.
 *
 * Berry (v2+) is YAML with a `__metadata` entry; each entry's `resolution` is `name@protocol:reference`.
 *
 * Only registry-like sources are reported: npm ranges and aliases (`alias@npm:real@^1`), git and
 * tarball URLs (their `version` is the package's own). Local sources — `file:`, `link:`, `portal:`,
 * `workspace:`, `exec:` — are the project's own code with no registry identity, and unknown protocols are
 * not trusted. Berry `patch:` entries are the base package with a patch applied: reported as the base
 * version (deduplicated with the base entry).
 */

const REMOTE = new Set([
  "npm",
  "git",
  "git+ssh",
  "git+https",
  "git+http",
  "github",
  "gitlab",
  "bitbucket",
  "http",
  "https",
]);

/** The `proto` of `proto:rest`, or "" when the reference is a plain range, tag or `user/repo`. */
function protocolOf(ref: string): string {
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57 && i > 0) || ((c === 43 || c === 45) && i > 0);
    if (ok) continue;
    return c === 58 && i > 0 ? ref.slice(0, i) : "";
  }
  return "";
}

/** `name@ref` → [name, ref]; the name's own leading `@` (scope) is not the separator. */
function splitSpec(spec: string): [string, string] {
  const at = spec.indexOf("@", 1);
  return at < 0 ? [spec, ""] : [spec.slice(0, at), spec.slice(at + 1)];
}

/** Split a v1 header (without its final `:`) on commas outside quotes; unquote each part. */
export function headerSpecs(header: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < header.length) {
    while (header[i] === " " || header[i] === ",") i++;
    if (i >= header.length) break;
    if (header[i] === '"') {
      let j = i + 1;
      while (j < header.length && header[j] !== '"') j += header[j] === "\\" ? 2 : 1;
      out.push(unquote(header.slice(i, j + 1)));
      i = j + 1;
    } else {
      const j = header.indexOf(",", i);
      const end = j < 0 ? header.length : j;
      out.push(header.slice(i, end).trim());
      i = end;
    }
  }
  return out;
}

function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === "string" ? v : s;
  } catch {
    return s.slice(1, s.endsWith('"') && s.length > 1 ? -1 : undefined);
  }
}

/** `key value` or `"key" "value"` → [key, value]. */
function field(line: string): [string, string] {
  let key: string;
  let rest: string;
  if (line.startsWith('"')) {
    let j = 1;
    while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
    key = unquote(line.slice(0, j + 1));
    rest = line.slice(j + 1);
  } else {
    const sp = line.indexOf(" ");
    key = sp < 0 ? line : line.slice(0, sp);
    rest = sp < 0 ? "" : line.slice(sp);
  }
  return [key, unquote(rest.trim())];
}

export interface YarnV1Entry {
  specs: string[];
  fields: Map<string, string>;
  line: number;
}

/** Parse yarn's v1 format into entries. Never throws; counts lines it could not place. */
export function parseYarnV1(text: string): { entries: YarnV1Entry[]; bad: number } {
  const entries: YarnV1Entry[] = [];
  let cur: YarnV1Entry | undefined;
  let bad = 0;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.endsWith("\r") ? lines[n]!.slice(0, -1) : lines[n]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      cur = undefined;
      if (!trimmed.endsWith(":")) {
        bad++;
        continue;
      }
      cur = { specs: headerSpecs(trimmed.slice(0, -1)), fields: new Map(), line: n + 1 };
      entries.push(cur);
    } else if (indent === 2 && cur) {
      if (trimmed.endsWith(":")) continue; // start of a nested map (dependencies:, …)
      const [key, value] = field(trimmed);
      if (!cur.fields.has(key)) cur.fields.set(key, value);
    } else if (!cur) bad++;
  }
  return { entries, bad };
}

function fromV1(text: string, out: LockCollector, warn: (m: string) => void): void {
  const { entries, bad } = parseYarnV1(text);
  let skipped = 0;
  for (const e of entries) {
    const spec = e.specs[0];
    if (spec === undefined) {
      skipped++;
      continue;
    }
    let [name, ref] = splitSpec(spec);
    const proto = protocolOf(ref);
    if (proto === "npm") {
      // alias (`npm:real@^1`) or an explicit registry range (`npm:^1`)
      const [real, range] = splitSpec(ref.slice(4));
      if (range !== "" && validName(real)) name = real;
    } else if (proto !== "" && !REMOTE.has(proto)) continue; // local or unknown source
    const version = e.fields.get("version");
    if (!validName(name) || !validVersion(version)) {
      skipped++;
      continue;
    }
    out.add(name, version);
  }
  if (bad > 0) warn(`skipped ${bad} lines outside any entry`);
  if (skipped > 0) warn(`skipped ${skipped} entries without a valid name and version`);
}

const BERRY_SKIP = new Set(["workspace", "link", "portal", "file", "exec", "virtual"]);

function fromBerry(text: string, out: LockCollector, warn: (m: string) => void): void {
  const doc = yamlDocuments(text, warn)[0];
  if (!isObject(doc)) {
    warn("not a yarn lockfile (expected a map of entries)");
    return;
  }
  let skipped = 0;
  for (const [key, entry] of Object.entries(doc)) {
    if (key === "__metadata" || !isObject(entry)) continue;
    const resolution = typeof entry.resolution === "string" ? entry.resolution : "";
    const [name, ref] = splitSpec(resolution);
    const proto = protocolOf(ref);
    if (BERRY_SKIP.has(proto)) continue;
    if (proto !== "patch" && !REMOTE.has(proto)) {
      skipped++;
      continue;
    }
    // `version` is the package's own version, also for patch: (the base) and git/tarball sources
    const version = entry.version ?? (proto === "npm" ? ref.slice(4) : undefined);
    if (!validName(name) || !validVersion(version)) {
      skipped++;
      continue;
    }
    out.add(name, version);
  }
  if (skipped > 0) warn(`skipped ${skipped} entries without a usable resolution and version`);
}

export const isBerry = (text: string): boolean =>
  text.startsWith("__metadata:") || text.includes("\n__metadata:");

function parse(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const warn = (m: string) => ctx.warn(`yarn-lock: ${file.path}: ${m}`);
  const text = file.content.toString("utf8");
  const out = new LockCollector();
  try {
    if (isBerry(text)) fromBerry(text, out, warn);
    else fromV1(text, out, warn);
  } catch (e) {
    warn(`unreadable (${(e as Error).message})`);
  }
  return out.packages(file);
}

const isYarnLock = lockMatcher("yarn.lock");

export const yarnLockAnalyzer: Analyzer = {
  name: "yarn-lock",
  version: 1,
  match: isYarnLock,
  maxFileSize: 64 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const file of files) if (isYarnLock(file.path)) out.push(...parse(file, ctx));
    return out;
  },
};
