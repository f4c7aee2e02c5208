import { DAEMON_KEY_TYPES, FLAG_TO_KEY, isBoolFlag, NON_KEY_FLAGS, SHORT_FLAGS } from "./daemon-keys.js";
import type { DaemonConfigProblem, DaemonSetting } from "./types.js";

/**
 * The dockerd command line (from /proc/<pid>/cmdline or a systemd ExecStart= line) turned into the same
 * daemon.json key names, so checks read one vocabulary. Flag syntax follows Go's pflag, which dockerd
 * uses: `--flag=value`, `--flag value`, `-Hvalue`; booleans take no separate value (`--icc false` leaves
 * icc on and is refused by dockerd as a stray argument).
 */

export interface DockerdArgs {
  settings: Record<string, DaemonSetting>;
  /** `--config-file` when given (dockerd reads that file instead of /etc/docker/daemon.json) */
  configFile?: string;
  /** long flag names this table does not know (newer or older dockerd releases); kept, not judged */
  unknownFlags: string[];
  problems: DaemonConfigProblem[];
}

const PFLAG_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const PFLAG_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Parse argv (argv[0] may be the dockerd binary path, which is skipped). */
export function parseDockerdArgs(argv: readonly string[], source = "dockerd command line"): DockerdArgs {
  const settings: Record<string, DaemonSetting> = {};
  const unknownFlags: string[] = [];
  const problems: DaemonConfigProblem[] = [];
  let configFile: string | undefined;
  const problem = (path: string, message: string) => problems.push({ file: source, path, message });

  const args = argv.length > 0 && !argv[0]!.startsWith("-") ? argv.slice(1) : [...argv];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      for (const rest of args.slice(i + 1)) problem("", `unexpected argument "${rest}"`);
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1) {
      const long = SHORT_FLAGS[arg[1]!];
      if (!long) {
        unknownFlags.push(arg);
        continue;
      }
      name = long;
      const rest = arg.slice(2);
      inline = rest === "" ? undefined : rest.startsWith("=") ? rest.slice(1) : rest;
    } else {
      const prev = args[i - 1];
      const hint =
        prev?.startsWith("-") && (PFLAG_TRUE.has(arg) || PFLAG_FALSE.has(arg))
          ? `; write ${prev}=${arg}`
          : "";
      problem("", `unexpected argument "${arg}" (dockerd takes no arguments${hint})`);
      continue;
    }

    let value: string;
    if (isBoolFlag(name)) {
      value = inline ?? "true";
    } else if (inline !== undefined) {
      value = inline;
    } else if (i + 1 < args.length) {
      value = args[++i]!;
    } else {
      problem(name, `flag --${name} needs a value`);
      continue;
    }

    if (name === "config-file") {
      configFile = value;
      continue;
    }
    const key = FLAG_TO_KEY[name] ?? name;
    const type = DAEMON_KEY_TYPES[key];
    if (!type || NON_KEY_FLAGS.has(name)) {
      if (!NON_KEY_FLAGS.has(name)) unknownFlags.push(`--${name}`);
      continue;
    }
    const converted = convertFlagValue(key, type, value, settings[key]?.value);
    if (converted instanceof Malformed) {
      problem(key, `--${name}=${value}: ${converted.message}`);
      continue;
    }
    settings[key] = { value: converted, source: "flag" };
  }
  return { settings, ...(configFile !== undefined ? { configFile } : {}), unknownFlags, problems };
}

/** why a flag value could not be converted */
class Malformed {
  constructor(readonly message: string) {}
}

/** Returns the new value of `key` after one occurrence of its flag. */
function convertFlagValue(key: string, type: string, raw: string, previous: unknown): unknown {
  switch (type) {
    case "bool":
      if (PFLAG_TRUE.has(raw)) return true;
      if (PFLAG_FALSE.has(raw)) return false;
      return new Malformed("not a boolean");
    case "int": {
      const n = Number(raw);
      return raw.trim() !== "" && Number.isInteger(n) ? n : new Malformed("not an integer");
    }
    case "string":
      return raw;
    case "string[]":
      return [...((previous as string[] | undefined) ?? []), raw];
    case "object[]":
      return [...((previous as unknown[] | undefined) ?? []), keyValues(raw, ",")];
    case "string-map": {
      const eq = raw.indexOf("=");
      if (eq < 1) return new Malformed("expected key=value");
      return { ...((previous as object | undefined) ?? {}), [raw.slice(0, eq)]: raw.slice(eq + 1) };
    }
    default:
      return convertObjectFlag(key, raw, (previous as Record<string, unknown> | undefined) ?? {});
  }
}

function convertObjectFlag(key: string, raw: string, previous: Record<string, unknown>): unknown {
  const eq = raw.indexOf("=");
  if (key === "features") {
    const name = eq < 0 ? raw : raw.slice(0, eq);
    const v = eq < 0 ? "true" : raw.slice(eq + 1);
    if (!PFLAG_TRUE.has(v) && !PFLAG_FALSE.has(v)) return new Malformed("not a boolean");
    return { ...previous, [name]: PFLAG_TRUE.has(v) };
  }
  if (eq < 1) return new Malformed("expected name=value");
  const name = raw.slice(0, eq);
  const rest = raw.slice(eq + 1);
  if (key === "default-ulimits") {
    // nofile=1024:2048 (soft:hard) or nofile=1024 (both)
    const m = /^(-?\d+)(?::(-?\d+))?$/.exec(rest);
    if (!m) return new Malformed("expected name=soft[:hard]");
    const soft = Number(m[1]);
    return {
      ...previous,
      [name]: { Name: name, Soft: soft, Hard: m[2] === undefined ? soft : Number(m[2]) },
    };
  }
  if (key === "runtimes") return { ...previous, [name]: { path: rest } };
  if (key === "default-network-opts") {
    const eq2 = rest.indexOf("=");
    if (eq2 < 1) return new Malformed("expected driver=key=value");
    const driverOpts = (previous[name] as Record<string, string> | undefined) ?? {};
    return { ...previous, [name]: { ...driverOpts, [rest.slice(0, eq2)]: rest.slice(eq2 + 1) } };
  }
  return { ...previous, [name]: rest };
}

function keyValues(raw: string, sep: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split(sep)) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * Keys set both by a flag and in daemon.json: dockerd refuses to start ("the following directives are
 * specified both as a flag and in the configuration file").
 */
export function flagFileConflicts(
  flags: Record<string, DaemonSetting>,
  file: Record<string, DaemonSetting>,
  fileName: string,
): DaemonConfigProblem[] {
  return Object.keys(flags)
    .filter((key) => key in file)
    .map((key) => ({
      file: fileName,
      path: key,
      message: `"${key}" is set both as a dockerd flag (${JSON.stringify(flags[key]!.value)}) and in the file (${JSON.stringify(file[key]!.value)}); dockerd refuses to start`,
    }));
}

/**
 * Split a command line the way a shell (and systemd's ExecStart=) does: whitespace separates, single
 * quotes are literal, double quotes allow \" and \\, a backslash escapes the next character. Returns
 * the words; an unterminated quote ends at the end of the line.
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      inWord = true;
      const end = line.indexOf("'", i + 1);
      word += line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else if (c === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) i++;
        word += line[i];
      }
    } else if (c === "\\" && i + 1 < line.length) {
      inWord = true;
      word += line[++i];
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
