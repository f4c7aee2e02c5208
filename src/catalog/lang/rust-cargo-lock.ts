import { parse } from "smol-toml";
import type { Location, Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";

/**
 * Cargo's `Cargo.lock`, formats v1–v4 (v1/v2 have no top-level `version`; v3/v4 write it): one
 * `[[package]]` per crate with `name`, `version` and — for anything not in the workspace — `source`.
 *
 * Every package is kept. Crates from crates.io (`registry+https://github.com/rust-lang/crates.io-index`
 * or `sparse+https://index.crates.io/`) carry no metadata; others record where they come from in
 * `metadata.source`: the raw source string for git and other registries (also put in the purl as
 * `vcs_url` / `repository_url`, so a fork never shares a purl with the crates.io crate), `"local"` for path
 * and workspace crates (no `source`) — those are the project's own code, so a matcher should not look them
 * up on crates.io. A file that is not valid TOML is read line by line (Cargo writes one `key = "value"` per
 * line), keeping the blocks that still make sense. Lockfiles of crates downloaded into Cargo's registry
 * cache (`$CARGO_HOME/registry/`, `$CARGO_HOME/git/`) describe those crates' own builds and are not matched.
 */

export function isCargoLock(path: string): boolean {
  if (path !== "Cargo.lock" && !path.endsWith("/Cargo.lock")) return false;
  // CARGO_HOME is ~/.cargo, or /usr/local/cargo in the official rust images
  return !path.includes("cargo/registry/") && !path.includes("cargo/git/");
}

const CRATES_IO = new Set([
  "registry+https://github.com/rust-lang/crates.io-index",
  "sparse+https://index.crates.io/",
]);

interface Crate {
  name: string;
  version: string;
  source?: string;
}

/** Fallback for files TOML rejects: `[[package]]` blocks of single-line `key = "value"` pairs. */
export function scanCargoLock(text: string): { crates: Crate[]; bad: number } {
  const crates: Crate[] = [];
  let bad = 0;
  let cur: Record<string, string> | undefined;
  let broken = false;
  const flush = () => {
    if (!cur) return;
    if (!broken && cur.name && cur.version)
      crates.push({ name: cur.name, version: cur.version, source: cur.source });
    else bad++;
    cur = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      flush();
      if (line === "[[package]]") {
        cur = {};
        broken = false;
      }
      continue;
    }
    if (!cur) continue;
    const m = /^(name|version|source)\s*=(.*)$/.exec(line);
    if (!m) continue;
    const v = /^\s*"([^"\\]*)"\s*(?:#.*)?$/.exec(m[2]!);
    if (v) cur[m[1]!] = v[1]!;
    else broken = true;
  }
  flush();
  return { crates, bad };
}

function cratesOf(file: CapturedFile, ctx: AnalyzerContext): Crate[] {
  const text = file.content.toString("utf8");
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    const { crates, bad } = scanCargoLock(text);
    const first = (e as Error).message.split("\n")[0];
    ctx.warn(
      `rust-cargo-lock: ${file.path}: not valid TOML (${first}); read ${crates.length} package(s) line by line` +
        (bad ? `, skipped ${bad}` : ""),
    );
    return crates;
  }
  const list = Array.isArray(doc.package) ? (doc.package as unknown[]) : [];
  const out: Crate[] = [];
  let bad = 0;
  for (const p of list) {
    const { name, version, source } = (p && typeof p === "object" ? p : {}) as Record<string, unknown>;
    if (
      typeof name !== "string" ||
      typeof version !== "string" ||
      !name ||
      !version ||
      /\s/.test(name + version)
    ) {
      bad++;
      continue;
    }
    out.push({ name, version, source: typeof source === "string" ? source : undefined });
  }
  if (bad) ctx.warn(`rust-cargo-lock: ${file.path}: skipped ${bad} [[package]] without name/version`);
  return out;
}

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package[] {
  const location: Location = file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
  const out = new Map<string, Package>();
  for (const c of cratesOf(file, ctx)) {
    const source = c.source === undefined ? "local" : CRATES_IO.has(c.source) ? undefined : c.source;
    // a crate from git or another registry is not the crates.io crate of that name: say so in the purl
    const qualifiers = source?.startsWith("git+")
      ? { vcs_url: source }
      : source && source !== "local"
        ? { repository_url: source.replace(/^(registry|sparse)\+/, "") }
        : undefined;
    const purl = buildPurl({ type: "cargo", name: c.name, version: c.version, qualifiers });
    const key = purl;
    if (out.has(key)) continue;
    out.set(key, {
      id: packageId(purl, location),
      ecosystem: "crates.io",
      name: c.name,
      version: c.version,
      purl,
      type: "cargo",
      locations: [location],
      licenses: [],
      ...(source ? { metadata: { source } } : {}),
    });
  }
  return [...out.values()];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const rustCargoLockAnalyzer: Analyzer = {
  name: "rust-cargo-lock",
  version: 1,
  match: isCargoLock,
  maxFileSize: 32 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        out.push(...analyzeFile(f, ctx));
      } catch (e) {
        ctx.warn(`rust-cargo-lock: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(
      (a, b) =>
        cmp(a.locations[0]!.path, b.locations[0]!.path) ||
        cmp(a.name, b.name) ||
        cmp(a.version, b.version) ||
        cmp(a.purl, b.purl),
    );
  },
};
