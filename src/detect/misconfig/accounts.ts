import type { ContentHit } from "../detector.js";
import { CHECKS } from "./checks.js";

/**
 * Account databases: empty password fields (etc/shadow, BSD etc/master.passwd, and etc/passwd itself
 * when it holds the hash) and duplicate UIDs / GIDs (etc/passwd, etc/group). Formats: passwd(5),
 * shadow(5), group(5). NIS compat lines (`+`, `-`) and comments are skipped.
 */

export const ACCOUNT_FILES = new Set(["etc/passwd", "etc/shadow", "etc/group", "etc/master.passwd"]);

interface Entry {
  fields: string[];
  line: number;
}

function entries(text: string): Entry[] {
  const out: Entry[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (!line.trim() || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) continue;
    out.push({ fields: line.split(":"), line: i + 1 });
  }
  return out;
}

/** Accounts whose password field is empty: no password needed to log in or `su` (with PAM nullok). */
function emptyPasswords(path: string, list: Entry[]): ContentHit[] {
  // in etc/passwd an empty field means "no password" only when it is not delegated ("x", "*")
  const empty = list.filter((e) => e.fields.length >= 2 && e.fields[1] === "" && e.fields[0] !== "");
  if (!empty.length) return [];
  const names = empty.map((e) => e.fields[0] as string);
  const root = empty.some((e) => e.fields[0] === "root" || (path === "etc/passwd" && e.fields[2] === "0"));
  return [
    {
      kind: "misconfig",
      id: CHECKS.emptyPassword.id,
      severity: root ? "critical" : CHECKS.emptyPassword.severity,
      title: CHECKS.emptyPassword.title,
      line: empty[0]?.line as number,
      evidence: `empty password field for ${names.join(", ")} in ${path}`,
    },
  ];
}

/** Ids (field `index`) used by more than one name. */
function duplicates(path: string, list: Entry[], index: number, what: string): ContentHit[] {
  const byId = new Map<string, Entry[]>();
  for (const e of list) {
    const id = e.fields[index];
    if (id === undefined || !/^\d+$/.test(id)) continue;
    byId.set(id, [...(byId.get(id) ?? []), e]);
  }
  const dups = [...byId.entries()].filter(([, es]) => es.length > 1);
  if (!dups.length) return [];
  return [
    {
      kind: "misconfig",
      id: CHECKS.duplicateIds.id,
      severity: CHECKS.duplicateIds.severity,
      title: CHECKS.duplicateIds.title,
      line: dups[0]?.[1][1]?.line as number,
      evidence: `duplicate ${what} in ${path}: ${dups
        .map(([id, es]) => `${id} (${es.map((e) => e.fields[0]).join(", ")})`)
        .join("; ")}`,
    },
  ];
}

/** Findings for one account database; `path` is one of {@link ACCOUNT_FILES}. */
export function checkAccountFile(path: string, text: string): ContentHit[] {
  const list = entries(text);
  switch (path) {
    case "etc/shadow":
    case "etc/master.passwd":
      return emptyPasswords(path, list);
    case "etc/passwd":
      return [...emptyPasswords(path, list), ...duplicates(path, list, 2, "UID")];
    case "etc/group":
      return duplicates(path, list, 2, "GID");
    default:
      return [];
  }
}
