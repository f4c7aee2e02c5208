import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContentHit } from "../detector.js";
import { createMisconfigFileScanner } from "./file-checks.js";

export interface TestFile {
  path: string;
  mode?: number;
  content?: string | Buffer;
}

/** Feeds files through a fresh file scanner the way the walker does; per-file hits get their path. */
export async function scanFiles(
  files: AsyncIterable<TestFile> | Iterable<TestFile>,
): Promise<(ContentHit & { path: string })[]> {
  const scanner = createMisconfigFileScanner();
  const out: (ContentHit & { path: string })[] = [];
  for await (const f of files) {
    const body = typeof f.content === "string" ? Buffer.from(f.content) : (f.content ?? Buffer.alloc(0));
    const mode = f.mode ?? 0o644;
    if (!scanner.wants(f.path, body.length, mode)) continue;
    const c = scanner.consume(f.path, body.length, mode);
    // deliver in small chunks, like the tar reader does
    for (let i = 0; i < body.length; i += 4096) if (!c.write(body.subarray(i, i + 4096))) break;
    out.push(...c.end().map((h) => ({ ...h, path: f.path })));
  }
  return [...out, ...scanner.finish()];
}

/**
 * Every regular file of a root filesystem, as the walker would offer it (path relative to the root,
 * permission bits); content is read only for the files the scanner wants.
 */
export async function* rootfsFiles(
  root: string,
  wants: (p: string, mode: number) => boolean,
): AsyncGenerator<TestFile> {
  const stack = [""];
  while (stack.length) {
    const dir = stack.pop() as string;
    for (const name of await readdir(join(root, dir))) {
      const rel = dir ? `${dir}/${name}` : name;
      const st = await lstat(join(root, rel));
      if (st.isDirectory()) stack.push(rel);
      else if (st.isFile()) {
        const mode = st.mode & 0o7777;
        yield { path: rel, mode, ...(wants(rel, mode) ? { content: await readFile(join(root, rel)) } : {}) };
      }
    }
  }
}
