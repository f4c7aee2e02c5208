import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";

export const NPM_FIXTURES = join(import.meta.dirname, "../../../test/fixtures/npm");

export const captured = (path: string, content: Buffer | string, layer = "sha256:aa"): CapturedFile => ({
  path,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  layer,
  mode: 0o644,
});

export const fixture = (rel: string, path: string): CapturedFile =>
  captured(path, readFileSync(join(NPM_FIXTURES, rel)));

export function run(analyzer: Analyzer, files: CapturedFile[]): { pkgs: Package[]; warnings: string[] } {
  const warnings: string[] = [];
  const ctx: AnalyzerContext = { file: () => undefined, warn: (m) => warnings.push(m) };
  return { pkgs: analyzer.analyze(files, ctx) as Package[], warnings };
}

export const nv = (pkgs: Package[]): string[] => pkgs.map((p) => `${p.name}@${p.version}`).sort();

export interface NpmNode {
  location: string;
  name?: string;
  version?: string;
  isLink?: boolean;
}

/**
 * npm's own view of a tree (`npm query '*'`): the installed tree of `cwd`, or with `lockOnly` the
 * virtual tree arborist builds from the lockfile. Offline; reads only.
 */
export function npmQuery(cwd: string, lockOnly = false): NpmNode[] {
  // --prefix: without it npm takes the nearest ancestor with a package.json or node_modules as the project
  const args = ["query", "*", "--offline", "--prefix", cwd, ...(lockOnly ? ["--package-lock-only"] : [])];
  return JSON.parse(
    execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
  );
}

/** npm's name@version set for one lockfile fixture: registry-installable nodes, root and links left out. */
export function npmLockOracle(lockfile: Buffer | string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "npm-oracle-"));
  try {
    writeFileSync(join(dir, "package-lock.json"), lockfile);
    const nodes = npmQuery(dir, true).filter((n) => n.location !== "" && !n.isLink && n.version);
    return [...new Set(nodes.map((n) => `${n.name}@${n.version}`))].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
