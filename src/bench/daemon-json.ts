import { readFile } from "node:fs/promises";
import { inputError } from "../model/index.js";
import { DAEMON_KEY_TYPES, type DaemonKeyType } from "./daemon-keys.js";
import { type JsonNode, type JsonPosition, parseJsonWithPositions, plainValue } from "./strict-json.js";
import type { DaemonConfigProblem, DaemonSetting } from "./types.js";

/**
 * Strict daemon.json reading. dockerd refuses to start on a syntax error, an unknown key or a value of
 * the wrong type, so each of those is a problem the bench reports (check 2.0) instead of guessing
 * around it — shallow parsing is where docker-bench's false positives come from. A malformed file never
 * throws; only a path the user named that cannot be read is an input error.
 */

export interface DaemonJson {
  file: string;
  /** well-typed known keys only: a value dockerd would reject is not in effect */
  settings: Record<string, DaemonSetting>;
  problems: DaemonConfigProblem[];
}

/** far beyond any real daemon.json; a bigger file is reported, not parsed */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Read a daemon.json. `explicit` (the user named the file): a missing or unreadable file is an input
 * error. Otherwise a missing file is `undefined` (no daemon.json means defaults) and an unreadable one
 * is a problem.
 */
export async function readDaemonJson(
  path: string,
  options: { explicit?: boolean } = {},
): Promise<DaemonJson | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (options.explicit) throw inputError(`${path}: cannot read daemon.json (${code ?? String(err)})`, err);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    return {
      file: path,
      settings: {},
      problems: [{ file: path, path: "", message: `unreadable (${code})` }],
    };
  }
  if (bytes.length > MAX_BYTES) {
    return {
      file: path,
      settings: {},
      problems: [{ file: path, path: "", message: `larger than ${MAX_BYTES} bytes; not parsed` }],
    };
  }
  return parseDaemonJson(bytes.toString("utf8"), path);
}

/** Validate daemon.json text the way dockerd would. Never throws. */
export function parseDaemonJson(text: string, file = "daemon.json"): DaemonJson {
  const problems: DaemonConfigProblem[] = [];
  const settings: Record<string, DaemonSetting> = {};
  const problem = (path: string, at: JsonPosition | undefined, message: string) =>
    problems.push({ file, path, ...(at ? { line: at.line, column: at.column } : {}), message });

  // dockerd treats an empty file as "no settings"
  if (text.replace(/^\uFEFF/, "").trim() === "") return { file, settings, problems };
  const parsed = parseJsonWithPositions(text);
  if (!parsed.ok) {
    problem("", parsed.error, `JSON syntax error: ${parsed.error.message}`);
    return { file, settings, problems };
  }
  const root = parsed.node;
  if (root.kind !== "object") {
    problem("", root.pos, `the document must be a JSON object, found ${describeKind(root)}`);
    return { file, settings, problems };
  }
  reportDuplicates(root, "", problem);

  const last = new Map<string, JsonNode>();
  for (const entry of root.entries) {
    const type = DAEMON_KEY_TYPES[entry.key];
    if (!type) {
      if (last.has(entry.key)) continue;
      last.set(entry.key, entry.value);
      const hint = suggestKey(entry.key);
      problem(
        entry.key,
        entry.keyPos,
        `unknown key "${entry.key}" (dockerd refuses to start on it)${hint ? `; did you mean "${hint}"?` : ""}`,
      );
      continue;
    }
    last.set(entry.key, entry.value);
  }
  for (const [key, node] of last) {
    const type = DAEMON_KEY_TYPES[key];
    if (!type) continue;
    const typeProblem = checkType(node, type, key);
    if (typeProblem) {
      problem(typeProblem.path, typeProblem.at, typeProblem.message);
      continue;
    }
    settings[key] = { value: plainValue(node), source: "daemon.json" };
  }
  return { file, settings, problems };
}

function describeKind(node: JsonNode): string {
  if (node.kind === "number") return Number.isInteger(node.value) ? "an integer" : "a number";
  return (
    { object: "an object", array: "an array", string: "a string", boolean: "a boolean", null: "null" }[
      node.kind
    ] ?? node.kind
  );
}

const TYPE_NAMES: Record<DaemonKeyType, string> = {
  bool: "a boolean (true/false, unquoted)",
  string: "a string",
  "string[]": "an array of strings",
  int: "an integer",
  object: "an object",
  "string-map": "an object whose values are strings",
  "object[]": "an array of objects",
};

interface TypeProblem {
  path: string;
  at: JsonPosition;
  message: string;
}

function checkType(node: JsonNode, type: DaemonKeyType, path: string): TypeProblem | undefined {
  const wrong = (n: JsonNode, p: string, want: string): TypeProblem => ({
    path: p,
    at: n.pos,
    message: `"${p}" must be ${want}, found ${describeKind(n)}`,
  });
  switch (type) {
    case "bool":
      return node.kind === "boolean" ? undefined : wrong(node, path, TYPE_NAMES.bool);
    case "string":
      return node.kind === "string" ? undefined : wrong(node, path, TYPE_NAMES.string);
    case "int":
      return node.kind === "number" && Number.isInteger(node.value)
        ? undefined
        : wrong(node, path, TYPE_NAMES.int);
    case "string[]":
    case "object[]": {
      if (node.kind !== "array") return wrong(node, path, TYPE_NAMES[type]);
      const itemKind = type === "string[]" ? "string" : "object";
      const bad = node.items.findIndex((item) => item.kind !== itemKind);
      return bad < 0
        ? undefined
        : wrong(node.items[bad]!, `${path}[${bad}]`, `a${itemKind === "object" ? "n" : ""} ${itemKind}`);
    }
    case "string-map": {
      if (node.kind !== "object") return wrong(node, path, TYPE_NAMES[type]);
      const bad = node.entries.find((e) => e.value.kind !== "string");
      return bad ? wrong(bad.value, `${path}.${bad.key}`, "a string (quote it)") : undefined;
    }
    case "object": {
      if (node.kind !== "object") return wrong(node, path, TYPE_NAMES.object);
      return checkObjectMembers(node, path);
    }
  }
}

/** The members dockerd decodes into typed structs: a wrong type there stops it too. */
function checkObjectMembers(
  node: Extract<JsonNode, { kind: "object" }>,
  path: string,
): TypeProblem | undefined {
  for (const e of node.entries) {
    const p = `${path}.${e.key}`;
    const v = e.value;
    const wrong = (want: string, at: JsonNode = v, where = p): TypeProblem => ({
      path: where,
      at: at.pos,
      message: `"${where}" must be ${want}, found ${describeKind(at)}`,
    });
    if (path === "features" && v.kind !== "boolean") return wrong("a boolean");
    if (
      (path === "runtimes" || path === "default-ulimits" || path === "default-network-opts") &&
      v.kind !== "object"
    )
      return wrong("an object");
    if (path === "default-network-opts" && v.kind === "object") {
      const bad = v.entries.find((x) => x.value.kind !== "string");
      if (bad) return wrong("a string (quote it)", bad.value, `${p}.${bad.key}`);
    }
    if (path === "default-ulimits" && v.kind === "object") {
      for (const field of v.entries) {
        const where = `${p}.${field.key}`;
        if (field.key === "Name" && field.value.kind !== "string")
          return wrong("a string", field.value, where);
        if (
          (field.key === "Hard" || field.key === "Soft") &&
          !(field.value.kind === "number" && Number.isInteger(field.value.value))
        )
          return wrong("an integer", field.value, where);
      }
    }
  }
  return undefined;
}

function reportDuplicates(
  node: JsonNode,
  path: string,
  problem: (path: string, at: JsonPosition, message: string) => void,
): void {
  if (node.kind === "array") {
    for (const [i, item] of node.items.entries()) reportDuplicates(item, `${path}[${i}]`, problem);
    return;
  }
  if (node.kind !== "object") return;
  const seen = new Map<string, JsonPosition>();
  for (const e of node.entries) {
    const p = path ? `${path}.${e.key}` : e.key;
    const first = seen.get(e.key);
    if (first)
      problem(p, e.keyPos, `duplicate key "${e.key}" (first at line ${first.line}); the last one wins`);
    else seen.set(e.key, e.keyPos);
    reportDuplicates(e.value, p, problem);
  }
}

/** A known key the user probably meant: case, underscores, or a command-line flag name. */
function suggestKey(key: string): string | undefined {
  const norm = key.toLowerCase().replace(/_/g, "-").replace(/^-+/, "");
  if (DAEMON_KEY_TYPES[norm]) return norm;
  if (DAEMON_KEY_TYPES[`${norm}s`]) return `${norm}s`;
  if (norm === "host") return "hosts";
  if (norm === "insecure-registry") return "insecure-registries";
  return undefined;
}
