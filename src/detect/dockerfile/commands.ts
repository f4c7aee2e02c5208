import { parseShell, type ShellScript, type ShellWord, type SimpleCommand } from "./shell.js";

/**
 * What shell commands *mean* for the checks both the Dockerfile linter and the image-history checks
 * run: the program behind wrappers (`sudo`, `env`), package-manager invocations and their options,
 * remote scripts piped into an interpreter. Pure functions over {@link parseShell} output.
 */

/** A command with wrappers peeled off: `sudo -E env X=1 apt-get install` → program `apt-get`. */
export interface Invocation {
  program: string;
  /** arguments after the program */
  args: string[];
  /** the words of those arguments (for substitutions) */
  words: ShellWord[];
  /** wrappers seen, outermost first ("sudo", "env", …) */
  via: string[];
  command: SimpleCommand;
}

export const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

// wrapper → options that take a value (so the value is not mistaken for the program)
const WRAPPERS: Record<string, Set<string>> = {
  sudo: new Set(["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"]),
  doas: new Set(["-u", "-C"]),
  env: new Set(["-u", "-C", "-S"]),
  nice: new Set(["-n"]),
  nohup: new Set(),
  time: new Set(["-f", "-o"]),
  exec: new Set(["-a"]),
  command: new Set(),
  timeout: new Set(["-s", "-k"]),
  stdbuf: new Set(["-i", "-o", "-e"]),
  gosu: new Set(),
  "su-exec": new Set(),
};
// wrappers whose first operand is not the program (a user, a duration)
const FIRST_OPERAND_SKIPPED = new Set(["timeout", "gosu", "su-exec"]);

export function invocation(cmd: SimpleCommand): Invocation | undefined {
  const words = cmd.argv;
  const via: string[] = [];
  let k = 0;
  while (k < words.length) {
    const name = basename((words[k] as ShellWord).value);
    const valued = WRAPPERS[name];
    if (!valued) break;
    via.push(name);
    k++;
    while (k < words.length) {
      const w = (words[k] as ShellWord).value;
      if (name === "env" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) k++;
      else if (w === "--") {
        k++;
        break;
      } else if (w.startsWith("-") && w.length > 1) k += valued.has(w) ? 2 : 1;
      else break;
    }
    if (FIRST_OPERAND_SKIPPED.has(name)) k++;
  }
  const first = words[k];
  if (!first) return undefined;
  return {
    program: basename(first.value),
    args: words.slice(k + 1).map((w) => w.value),
    words: words.slice(k + 1),
    via,
    command: cmd,
  };
}

export const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"]);
const INTERPRETERS = new Set([
  ...SHELLS,
  "python",
  "python2",
  "python3",
  "perl",
  "ruby",
  "node",
  "php",
  "pwsh",
  "source",
  ".",
]);
export const DOWNLOADERS = new Set(["curl", "wget", "fetch", "aria2c", "http", "https", "lwp-request"]);

/** The script a shell runs with `-c SCRIPT` (`bash -euxo pipefail -c '…'`), if any. */
export function shellDashC(inv: Invocation): string | undefined {
  if (!SHELLS.has(inv.program)) return undefined;
  const args = inv.program === "busybox" ? inv.args.slice(1) : inv.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    // `-o pipefail`, `-euxo pipefail`: the option name is the next word
    if (/^[-+][a-zA-Z]*o$/.test(a)) i++;
    else if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) return args[i + 1];
    else if (!a.startsWith("-") && !a.startsWith("+")) return undefined;
  }
  return undefined;
}

/**
 * Every invocation in a script, including those inside `sh -c '…'`, `$(…)` and `<(…)`, to `depth` levels.
 * Nested scripts come after their parent command.
 */
export function invocations(script: string | ShellScript, depth = 3): Invocation[] {
  const parsed = typeof script === "string" ? parseShell(script) : script;
  const out: Invocation[] = [];
  for (const cmd of parsed.commands) {
    const inv = invocation(cmd);
    if (inv) out.push(inv);
    if (depth <= 0) continue;
    const nested = [...cmd.argv, ...cmd.assignments].flatMap((w) => w.substitutions);
    const dashC = inv && shellDashC(inv);
    if (dashC !== undefined) nested.push(dashC);
    for (const n of nested) out.push(...invocations(n, depth - 1));
  }
  return out;
}

/** True when the invocation fetches something over the network (curl, wget, …). */
export const isDownload = (inv: Invocation): boolean => DOWNLOADERS.has(inv.program);

function runsNestedDownload(words: ShellWord[], depth: number): boolean {
  return words.some((w) => w.substitutions.some((s) => invocations(s, depth).some(isDownload)));
}

/**
 * A remote script executed without being saved and checked first:
 * `curl … | sh`, `wget -O- … | sudo bash -s`, `sh -c "$(curl …)"`, `bash <(curl …)`, `. <(wget …)`.
 * Returns the offending invocations' text, e.g. "curl -fsSL https://x | sh".
 */
export function remoteScriptsExecuted(script: string | ShellScript, depth = 3): string[] {
  const parsed = typeof script === "string" ? parseShell(script) : script;
  const found: string[] = [];
  for (const pipeline of parsed.pipelines) {
    const invs = pipeline.map(invocation);
    const firstDownload = invs.findIndex((i) => i !== undefined && isDownload(i));
    if (firstDownload >= 0) {
      const runner = invs.slice(firstDownload + 1).find((i) => i && INTERPRETERS.has(i.program));
      if (runner && shellDashC(runner) === undefined)
        found.push(`${describe(invs[firstDownload] as Invocation)} | ${describe(runner)}`);
    }
    for (const inv of invs) {
      if (!inv || !INTERPRETERS.has(inv.program)) continue;
      const dashC = shellDashC(inv);
      const dashCDownloads =
        dashC !== undefined &&
        parseShell(dashC).commands.some((c) => runsNestedDownload([...c.argv, ...c.assignments], depth));
      if (dashCDownloads || runsNestedDownload(inv.words, depth)) found.push(describe(inv));
    }
  }
  if (depth > 0) {
    for (const cmd of parsed.commands) {
      const inv = invocation(cmd);
      const dashC = inv && shellDashC(inv);
      if (dashC !== undefined) found.push(...remoteScriptsExecuted(dashC, depth - 1));
    }
  }
  return [...new Set(found)];
}

const describe = (inv: Invocation): string => {
  const text = [...inv.via, inv.program, ...inv.args].join(" ");
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** The first operand (sub-command) of a package manager call: `apt-get -q install x` → "install". */
export function subcommand(inv: Invocation, valued: ReadonlySet<string> = new Set()): string | undefined {
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i] as string;
    if (valued.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** apt-get / apt options that take a separate value */
export const APT_VALUED = new Set(["-o", "-c", "-t", "--option", "--config-file", "--target-release"]);

/** `-o Name=value` / `-oName=value` / `--option Name=value` settings of an apt call, lower-cased names. */
export function aptOptions(inv: Invocation): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i] as string;
    let setting: string | undefined;
    if (a === "-o" || a === "--option") setting = inv.args[++i];
    else if (a.startsWith("-o") && a.includes("=") && !a.startsWith("--")) setting = a.slice(2);
    else if (a.startsWith("--option=")) setting = a.slice("--option=".length);
    if (!setting) continue;
    const eq = setting.indexOf("=");
    if (eq > 0) out.set(setting.slice(0, eq).toLowerCase(), setting.slice(eq + 1).toLowerCase());
  }
  return out;
}

/** Has this short/long flag, also inside a cluster of short flags (`-qy` has `-y`). */
export function hasFlag(
  args: readonly string[],
  short: string | undefined,
  long: readonly string[],
): boolean {
  return args.some(
    (a) =>
      long.includes(a.split("=")[0] as string) ||
      (short !== undefined && /^-[a-zA-Z]+$/.test(a) && a.slice(1).includes(short)),
  );
}

const TRUE = new Set(["1", "true", "yes", "on"]);
export const isTrue = (v: string | undefined): boolean => v !== undefined && TRUE.has(v.toLowerCase());
