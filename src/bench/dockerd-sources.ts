import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { shellSplit } from "./dockerd-args.js";

/**
 * Where the dockerd command line comes from: the running process (/proc/<pid>/cmdline, newest dockerd
 * like docker-bench does) or, when it is not running or /proc is not the host's, the ExecStart= of the
 * docker.service unit with its drop-ins applied.
 */

/**
 * The argv of the newest running process named dockerd, or undefined. `procRoot` is a proc mount; a
 * host root (a directory holding `proc/` but no `self`) is accepted too.
 */
export async function findDockerdCommandLine(procRoot = "/proc"): Promise<string[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir(procRoot);
    if (!entries.includes("self") && entries.includes("proc")) {
      procRoot = join(procRoot, "proc");
      entries = await readdir(procRoot);
    }
  } catch {
    return undefined;
  }
  let best: { argv: string[]; start: number; pid: number } | undefined;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const dir = join(procRoot, entry);
    const cmdline = await readFile(join(dir, "cmdline"), "utf8").catch(() => "");
    const argv = cmdline.split("\0");
    if (argv.at(-1) === "") argv.pop();
    if (argv.length === 0 || basename(argv[0]!) !== "dockerd") continue;
    const start = startTime(await readFile(join(dir, "stat"), "utf8").catch(() => ""));
    const pid = Number(entry);
    if (!best || start > best.start || (start === best.start && pid > best.pid)) best = { argv, start, pid };
  }
  return best?.argv;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks); the command name may hold spaces or ")". */
function startTime(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const n = Number(fields[19]);
  return Number.isFinite(n) ? n : -1;
}

/** systemd unit directories, highest precedence first (host paths) */
export const SYSTEMD_UNIT_DIRS = [
  "/etc/systemd/system",
  "/run/systemd/system",
  "/lib/systemd/system",
  "/usr/lib/systemd/system",
];

export interface UnitCommandLine {
  /** host path of the unit file that was read */
  unit: string;
  argv: string[];
}

/**
 * The ExecStart= of docker.service under a host root: the first unit file by systemd precedence, then
 * its drop-ins (`docker.service.d/*.conf`, by file name); an empty `ExecStart=` resets the list.
 */
export async function readDockerUnitCommandLine(
  root = "/",
  unitName = "docker.service",
): Promise<UnitCommandLine | undefined> {
  let unit: string | undefined;
  let execStart: string | undefined;
  for (const dir of SYSTEMD_UNIT_DIRS) {
    const text = await readFile(join(root, dir, unitName), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    unit = join(dir, unitName);
    execStart = lastExecStart(text, execStart);
    break;
  }
  if (!unit) return undefined;
  const dropIns = new Map<string, string>();
  for (const dir of [...SYSTEMD_UNIT_DIRS].reverse()) {
    const names = await readdir(join(root, dir, `${unitName}.d`)).catch(() => [] as string[]);
    for (const name of names)
      if (name.endsWith(".conf")) dropIns.set(name, join(root, dir, `${unitName}.d`, name));
  }
  for (const name of [...dropIns.keys()].sort()) {
    const text = await readFile(dropIns.get(name)!, "utf8").catch(() => "");
    execStart = lastExecStart(text, execStart);
  }
  if (execStart === undefined || execStart.trim() === "") return undefined;
  const argv = shellSplit(execStart.replace(/^[@\-:+!]+/, "")).filter((w) => !w.startsWith("$"));
  return { unit, argv };
}

/** Apply the ExecStart= lines of one unit file (continuation lines joined) to the current value. */
function lastExecStart(text: string, current: string | undefined): string | undefined {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  let section = "";
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith("[")) section = line;
    if (section !== "[Service]") continue;
    const m = /^ExecStart\s*=(.*)$/.exec(line);
    if (m) current = m[1]!.trim();
  }
  return current;
}
