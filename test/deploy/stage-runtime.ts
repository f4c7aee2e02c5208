import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";

/**
 * Stages the file tree the Containerfile's final stage would produce, without a container build
 * (no registry access here): its COPY lines are read from the Containerfile, build-context sources
 * come from the repository, `--from=build` dist/ is the repository's compiled dist/ and
 * `--from=deps` node_modules/ is the repository's production dependency tree (`npm ls --omit=dev`),
 * both trimmed exactly as the Containerfile's RUN lines trim them.
 */

export interface CopyLine {
  from?: string;
  sources: string[];
  dest: string;
}

/** One instruction per logical line (backslash continuations joined), comments dropped. */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const raw of text.split("\n")) {
    if (/^\s*#/.test(raw) && !cur) continue;
    const line = raw.replace(/\s+$/, "");
    if (line.endsWith("\\")) {
      cur += `${line.slice(0, -1)} `;
      continue;
    }
    cur += line;
    if (cur.trim()) out.push(cur.trim());
    cur = "";
  }
  return out;
}

/** COPY instructions of the last stage, with relative destinations resolved against its WORKDIR. */
export function finalStageCopies(containerfile: string): CopyLine[] {
  const lines = logicalLines(containerfile);
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  let workdir = "/";
  const copies: CopyLine[] = [];
  for (const line of lines.slice(lastFrom + 1)) {
    const [keyword = "", ...words] = line.split(/\s+/);
    if (/^WORKDIR$/i.test(keyword)) workdir = posix.resolve(workdir, words.join(" "));
    if (!/^COPY$/i.test(keyword)) continue;
    const flags = words.filter((w) => w.startsWith("--"));
    const operands = words.filter((w) => !w.startsWith("--"));
    const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
    const raw = operands.at(-1) ?? ".";
    // "./" and "dir/" name a directory to copy into; keep that trailing slash
    const dest = posix.resolve(workdir, raw) + (/\/$|^\.$/.test(raw) ? "/" : "");
    copies.push({ ...(from ? { from } : {}), sources: operands.slice(0, -1), dest });
  }
  return copies;
}

/** Paths (absolute) of the production dependency tree, parents before children. */
export function productionPackages(repo: string): string[] {
  const r = spawnSync("npm", ["ls", "--omit=dev", "--parseable", "--all"], { cwd: repo, encoding: "utf8" });
  const paths = r.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter((p) => p && p !== repo && p.includes(`${sep}node_modules${sep}`));
  if (!paths.length) throw new Error(`npm ls --omit=dev listed no packages: ${r.stderr}`);
  return paths.sort();
}

/** Type declarations and source maps: the Containerfile deletes them from dist/ and node_modules/. */
const DECLARATION_OR_MAP = /\.d\.[mc]?ts$|\.map$/;

/** better-sqlite3 keeps only its compiled addon (the Containerfile's deps stage removes the rest). */
const keepInNodeModules = (rel: string): boolean => {
  if (DECLARATION_OR_MAP.test(rel)) return false;
  const m = /^better-sqlite3\/(deps|src|build)(\/.*)?$/.exec(rel.split(sep).join("/"));
  if (!m) return true;
  if (m[1] !== "build") return false;
  const rest = m[2] ?? "";
  return rest === "" || rest === "/Release" || rest === "/Release/better_sqlite3.node";
};

/** dist/ without type declarations and source maps (the build stage deletes them). */
const keepInDist = (path: string): boolean => !DECLARATION_OR_MAP.test(path);

export function stageRuntime(repo: string, out: string): { copies: CopyLine[]; missing: string[] } {
  const copies = finalStageCopies(readFileSync(join(repo, "Containerfile"), "utf8"));
  const missing: string[] = [];
  for (const c of copies) {
    const dest = join(out, c.dest);
    if (!c.from) {
      for (const s of c.sources) {
        const src = join(repo, s);
        if (!existsSync(src)) {
          missing.push(s);
          continue;
        }
        const intoDir = c.sources.length > 1 || c.dest.endsWith("/");
        const target = intoDir ? join(dest, posix.basename(s)) : dest;
        mkdirSync(dirname(target), { recursive: true });
        cpSync(src, target, { recursive: true });
      }
    } else if (c.from === "build" && c.sources.join() === "/src/dist") {
      cpSync(join(repo, "dist"), dest, { recursive: true, filter: keepInDist });
    } else if (c.from === "deps" && c.sources.join() === "/src/node_modules") {
      const root = join(repo, "node_modules");
      const done: string[] = [];
      for (const pkg of productionPackages(repo)) {
        // a package below one already copied came with it
        if (done.some((d) => pkg.startsWith(`${d}${sep}`))) continue;
        done.push(pkg);
        cpSync(pkg, join(dest, relative(root, pkg)), {
          recursive: true,
          filter: (p) => keepInNodeModules(relative(root, p)),
        });
      }
    } else {
      throw new Error(`stage-runtime: no staging rule for COPY --from=${c.from} ${c.sources.join(" ")}`);
    }
  }
  return { copies, missing };
}
