/**
 * Whole-string wildcards for names, images and ids: `*` any run of characters, `?` one; everything
 * else literal. (Paths use match/ignore-file.ts's segment-aware glob instead.)
 */

// policy rules are matched for every detection of a long-running monitor: compile each glob once
const compiled = new Map<string, RegExp>();
const MAX_CACHED = 4096;

export function globToRegExp(glob: string): RegExp {
  let re = compiled.get(glob);
  if (re) return re;
  let src = "^";
  for (const ch of glob) {
    if (ch === "*") src += "[\\s\\S]*";
    else if (ch === "?") src += "[\\s\\S]";
    else src += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  re = new RegExp(`${src}$`, "u");
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(glob, re);
  return re;
}

export const globMatches = (glob: string, value: string): boolean => globToRegExp(glob).test(value);
