import { readFile, stat } from "node:fs/promises";
import type { ContainerInspect } from "../engine/types.js";
import { AirbagError, inputError } from "../model/index.js";
import { normalizeInspect } from "./inspect-shape.js";

/** Offline bench input: `docker inspect` output and engine answers saved as JSON files. */

const MAX_BYTES = 64 << 20;

export async function readJsonFile<T>(file: string, flag: string): Promise<T> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw inputError(`${flag} ${file}: not a regular file`);
    if (st.size > MAX_BYTES) throw inputError(`${flag} ${file}: larger than ${MAX_BYTES >> 20} MiB`);
    text = await readFile(file, "utf8");
  } catch (err) {
    if (err instanceof AirbagError) throw err;
    throw inputError(
      `${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      err,
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw inputError(`${flag} ${file}: not valid JSON (${(err as Error).message})`, err);
  }
}

/** Each file holds one inspect object or an array of them (what `docker inspect A B` prints). */
export async function readInspectFiles(files: readonly string[]): Promise<ContainerInspect[]> {
  const out: ContainerInspect[] = [];
  for (const file of files) {
    const doc = await readJsonFile<unknown>(file, "--inspect");
    const list = Array.isArray(doc) ? doc : [doc];
    for (const [i, c] of list.entries()) {
      const where = Array.isArray(doc) ? `${file}[${i}]` : file;
      if (!c || typeof c !== "object" || Array.isArray(c))
        throw inputError(`--inspect ${where}: expected a container inspect object`);
      const o = c as ContainerInspect;
      if (!o.HostConfig || typeof o.HostConfig !== "object")
        throw inputError(`--inspect ${where}: no HostConfig; is this \`docker inspect CONTAINER\` output?`);
      out.push(normalizeInspect(o));
    }
  }
  return out;
}
