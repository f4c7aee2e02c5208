/**
 * Dockerfile variable substitution (https://docs.docker.com/reference/dockerfile/#environment-replacement):
 * `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}`; the escape
 * character before `$` keeps it literal. A variable with no value expands to "" (as BuildKit does) and
 * is reported in `unresolved` so callers can tell "FROM ${BASE}" with no default from an empty image.
 */
export function expandVariables(
  text: string,
  vars: ReadonlyMap<string, string | undefined>,
  escapeChar = "\\",
): { text: string; unresolved: string[] } {
  const unresolved: string[] = [];
  let out = "";
  let i = 0;
  const lookup = (name: string): string | undefined => vars.get(name);
  while (i < text.length) {
    const c = text[i] as string;
    if (c === escapeChar && text[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const simple = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (simple) {
      const v = lookup(simple[0]);
      if (v === undefined) unresolved.push(simple[0]);
      out += v ?? "";
      i += 1 + simple[0].length;
      continue;
    }
    if (text[i + 1] === "{") {
      const close = text.indexOf("}", i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(text.slice(i + 2, close));
      if (!m) out += text.slice(i, close + 1);
      else {
        const [, name = "", op, word = ""] = m;
        const v = lookup(name);
        const set = op?.startsWith(":") ? v !== undefined && v !== "" : v !== undefined;
        if (op === ":-" || op === "-") out += set ? v : word;
        else if (op === ":+" || op === "+") out += set ? word : "";
        else {
          if (!set && v === undefined) unresolved.push(name);
          out += v ?? "";
        }
      }
      i = close + 1;
      continue;
    }
    out += c;
    i++;
  }
  return { text: out, unresolved };
}
