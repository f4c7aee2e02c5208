import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const CORPUS_DIR = new URL("../corpus/", import.meta.url).pathname;
export const REGRESSIONS_DIR = new URL("../regressions/", import.meta.url).pathname;

/** The seed files of one corpus directory (sorted, so mutant indexes are stable). */
export function loadCorpus(name, dir = CORPUS_DIR) {
  const d = join(dir, name);
  let names;
  try {
    names = readdirSync(d).sort();
  } catch {
    return [];
  }
  return names.filter((n) => statSync(join(d, n)).isFile()).map((n) => readFileSync(join(d, n)));
}
