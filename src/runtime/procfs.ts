import { closeSync, openSync, readlinkSync, readSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { containerTop, type EngineClient, mapLimit } from "../engine/index.js";
import { parseProcNet } from "./proc-net.js";
import type { Connection, ContainerState, ProcessInfo } from "./types.js";

/**
 * A container's processes and sockets read from the host's /proc, where the monitor runs on the
 * engine's host: every PID in the same PID namespace as the container's init (or, for `--pid host`
 * containers, under the same cgroup), and the sockets of init's network namespace. Everything is
 * bounded (processes scanned and kept, bytes per file, rows per net file) and a process that exits
 * mid-read is skipped, never an error. When /proc cannot tell (another host, no permission), the
 * engine's `/top` is the fallback: podman runs `ps` inside the container there, and an image without
 * `ps` gets an empty answer.
 */

export interface ProcOptions {
  /** the host's /proc (a literal tree in tests) */
  procRoot?: string;
  /** processes kept per container (default 1024) */
  maxProcesses?: number;
  /** /proc entries looked at (default 65536) */
  maxScan?: number;
  /** rows kept per net file (default 4096) */
  maxConnections?: number;
  /** the container's root as the host sees it: stripped from exe paths that still carry it */
  containerRoot?: string;
}

const CMDLINE_MAX = 64 << 10;
const SMALL_MAX = 16 << 10;

/** Read at most `max` bytes of a /proc file; undefined when it cannot be read (process gone, EACCES). */
async function readCapped(path: string, max = SMALL_MAX): Promise<string | undefined> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, "r");
    // /proc files report size 0: read until EOF or the cap, growing the buffer only as needed (most
    // reads are a few hundred bytes; a cap-sized buffer per read cost the monitor most of its CPU)
    let buf = Buffer.allocUnsafe(Math.min(max, 4096));
    let n = 0;
    while (n < max) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(max, buf.length * 4));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.toString("utf8", 0, n);
  } catch {
    return undefined;
  } finally {
    await fh?.close().catch(() => {});
  }
}

/**
 * Small kernel-generated files (stat, comm, status, cgroup) and ns/exe links are read synchronously
 * into one reused buffer: they never wait on a disk or on the process's memory, and this costs ~40 µs
 * per process against ~600 µs through the thread pool (measured here), which matters for the monitor's
 * CPU budget. cmdline and the net tables stay asynchronous: reading cmdline takes the process's
 * mmap lock and can stall behind a stuck process.
 */
const shared = Buffer.alloc(SMALL_MAX);

function readSmall(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    let n = 0;
    while (n < shared.length) {
      const got = readSync(fd, shared, n, shared.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return shared.toString("utf8", 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let netBuf = Buffer.allocUnsafe(16 << 10);

/** A kernel-generated table (net/tcp …) read synchronously into a shared buffer grown up to `max`. */
function readGrowingSync(path: string, max: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    let n = 0;
    while (n < max) {
      if (n === netBuf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(max, netBuf.length * 4));
        netBuf.copy(bigger, 0, 0, n);
        netBuf = bigger;
      }
      const got = readSync(fd, netBuf, n, Math.min(netBuf.length, max) - n, null);
      if (got === 0) break;
      n += got;
    }
    return netBuf.toString("utf8", 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function linkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** `pid (comm) S ppid pgrp session tty_nr …`: comm may hold spaces and parentheses */
function parseStat(text: string): { comm: string; ppid: number; ttyNr: number; start: string } | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const ppid = Number(rest[1]);
  const ttyNr = Number(rest[4]);
  if (!Number.isInteger(ppid) || !Number.isInteger(ttyNr)) return undefined;
  return { comm: text.slice(open + 1, close), ppid, ttyNr, start: rest[19] ?? "" };
}

const ARGV_CACHE_MAX = 8192;
const argvCache = new Map<string, string[]>();

/** One process, or undefined when it vanished (or is not readable). */
export async function readProcess(pid: number, opts: ProcOptions = {}): Promise<ProcessInfo | undefined> {
  const dir = join(opts.procRoot ?? "/proc", String(pid));
  const stat = readSmall(join(dir, "stat"));
  const parsed = stat ? parseStat(stat) : undefined;
  if (!parsed) return undefined;
  const comm = readSmall(join(dir, "comm"));
  const exeLink = linkOrUndefined(join(dir, "exe"));
  const status = readSmall(join(dir, "status"));
  // argv rarely changes: keep it per (pid, start time) instead of reading cmdline every round
  const key = `${dir}\0${parsed.start}`;
  let argv = argvCache.get(key);
  if (!argv) {
    const cmdline = await readCapped(join(dir, "cmdline"), CMDLINE_MAX);
    argv = cmdline ? cmdline.split("\0") : [];
    if (argv.length > 0 && argv[argv.length - 1] === "") argv.pop();
    // a process reads as empty while it execs: only a non-empty argv is worth keeping
    if (argv.length > 0) {
      if (argvCache.size >= ARGV_CACHE_MAX) argvCache.clear();
      argvCache.set(key, argv);
    }
  }
  const info: ProcessInfo = {
    pid,
    ppid: parsed.ppid,
    comm: comm?.replace(/\n$/, "") ?? parsed.comm,
    argv,
    tty: parsed.ttyNr !== 0,
  };
  if (exeLink) {
    const deleted = exeLink.endsWith(" (deleted)");
    let exe = deleted ? exeLink.slice(0, -" (deleted)".length) : exeLink;
    const root = opts.containerRoot?.replace(/\/+$/, "");
    if (root && exe.startsWith(`${root}/`)) exe = exe.slice(root.length);
    info.exe = exe;
    if (deleted) info.exeDeleted = true;
  }
  const uid = status ? /^Uid:\s+(\d+)/m.exec(status)?.[1] : undefined;
  if (uid !== undefined) info.uid = Number(uid);
  return info;
}

/** The cgroup line to compare processes by: the unified (`0::`) path, else the first non-root one. */
function cgroupKey(text: string): { prefix: string; path: string } | undefined {
  const lines = text.split("\n").filter((l) => /^\d+:[^:]*:\//.test(l));
  const pick =
    lines.find((l) => l.startsWith("0::") && !l.endsWith("::/")) ?? lines.find((l) => !/:\/$/.test(l));
  if (!pick) return undefined;
  const at = pick.indexOf(":/");
  return { prefix: pick.slice(0, at + 1), path: pick.slice(at + 1) };
}

/** same hierarchy, and the same cgroup or one below it */
function inCgroup(text: string, key: { prefix: string; path: string }): boolean {
  for (const line of text.split("\n")) {
    if (!line.startsWith(key.prefix)) continue;
    const path = line.slice(key.prefix.length);
    return path === key.path || path.startsWith(`${key.path}/`);
  }
  return false;
}

/** A container to find the processes of: its init's host PID, and its id to check init's cgroup. */
export interface ProcTarget {
  initPid: number;
  containerId?: string;
}

type CgroupKey = { prefix: string; path: string };
type Membership = { target: ProcTarget; ns?: string; cgroup?: CgroupKey };

/** How to recognise a target's processes, or undefined when this /proc cannot show them. */
function membership(t: ProcTarget, proc: string, hostNs: Set<string>): Membership | undefined {
  const initDir = join(proc, String(t.initPid));
  const initCgroup = readSmall(join(initDir, "cgroup"));
  if (initCgroup === undefined) return undefined;
  // another host's /proc, or a reused PID: init's cgroup path names the container on Docker and podman
  if (t.containerId && !initCgroup.includes(t.containerId)) return undefined;
  const ns = linkOrUndefined(join(initDir, "ns", "pid"));
  // a container sharing the host's PID namespace (or unreadable ns links): group by cgroup instead
  if (ns !== undefined && !hostNs.has(ns)) return { target: t, ns };
  const cgroup = cgroupKey(initCgroup);
  return cgroup ? { target: t, cgroup } : undefined;
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * The processes of several containers from ONE pass over /proc (one readlink per host PID however
 * many containers are watched), each container's list sorted by PID; undefined for a container /proc
 * cannot show (no such PID, unreadable, or init's cgroup does not name that container).
 */
export async function processesOfContainers(
  targets: readonly ProcTarget[],
  opts: ProcOptions = {},
): Promise<(ProcessInfo[] | undefined)[]> {
  const proc = opts.procRoot ?? "/proc";
  const max = opts.maxProcesses ?? 1024;
  // the host's namespace as PID 1 and as the monitor itself see it (PID 1's link may be unreadable)
  const hostNs = new Set(
    [join(proc, "1", "ns", "pid"), join(proc, "self", "ns", "pid")]
      .map(linkOrUndefined)
      .filter((x): x is string => x !== undefined),
  );
  const members = targets.map((t) => membership(t, proc, hostNs));
  const byNs = new Map<string, number[]>();
  const byCgroup: number[] = [];
  members.forEach((m, i) => {
    if (m?.ns) byNs.set(m.ns, [...(byNs.get(m.ns) ?? []), i]);
    else if (m?.cgroup) byCgroup.push(i);
  });
  let names: string[] = [];
  if (byNs.size + byCgroup.length > 0) names = await readdir(proc).catch(() => []);
  const pids = names
    .slice(0, opts.maxScan ?? 65_536)
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
  const found = targets.map(() => [] as number[]);
  for (let k = 0; k < pids.length; k++) {
    if (k > 0 && k % 512 === 0) await yieldToEventLoop();
    const dir = join(proc, String(pids[k]));
    const pid = pids[k] as number;
    if (byNs.size > 0) {
      const ns = linkOrUndefined(join(dir, "ns", "pid"));
      for (const i of (ns && byNs.get(ns)) || []) found[i]?.push(pid);
    }
    if (byCgroup.length > 0) {
      const cg = readSmall(join(dir, "cgroup"));
      if (cg !== undefined)
        for (const i of byCgroup) if (inCgroup(cg, members[i]?.cgroup as CgroupKey)) found[i]?.push(pid);
    }
  }
  const wanted = [...new Set(found.flatMap((list) => list.sort((a, b) => a - b).slice(0, max)))];
  const infos = new Map<number, ProcessInfo>();
  await mapLimit(wanted, 16, async (pid) => {
    const info = await readProcess(pid, opts);
    if (info) infos.set(pid, info);
  });
  return found.map((list, i) =>
    members[i]
      ? list
          .slice(0, max)
          .map((pid) => infos.get(pid))
          .filter((p): p is ProcessInfo => p !== undefined)
      : undefined,
  );
}

/** The processes of one container (see processesOfContainers). */
export async function containerProcesses(
  initPid: number,
  opts: ProcOptions & { containerId?: string } = {},
): Promise<ProcessInfo[] | undefined> {
  const target: ProcTarget = { initPid, ...(opts.containerId ? { containerId: opts.containerId } : {}) };
  return (await processesOfContainers([target], opts))[0];
}

/** Sockets of init's network namespace (TCP and UDP, v4 and v6); undefined when none is readable. */
export async function containerConnections(
  initPid: number,
  opts: ProcOptions = {},
): Promise<Connection[] | undefined> {
  const dir = join(opts.procRoot ?? "/proc", String(initPid), "net");
  const max = opts.maxConnections ?? 4096;
  const protos = ["tcp", "tcp6", "udp", "udp6"] as const;
  // rows are ~150 bytes: read enough for `max` rows and no more
  const texts = protos.map((p) => readGrowingSync(join(dir, p), (max + 1) * 160));
  if (texts.every((t) => t === undefined)) return undefined;
  const out: Connection[] = [];
  protos.forEach((p, i) => {
    const text = texts[i];
    if (text) out.push(...parseProcNet(p, text, max));
  });
  return out;
}

/** `ps` output from `/top` → ProcessInfo (PIDs as the engine reports them; no exe, no connections). */
export function processesFromTop(
  top: { Titles?: string[]; Processes?: string[][] } | undefined,
): ProcessInfo[] {
  const titles = (top?.Titles ?? []).map((t) => t.toUpperCase());
  const col = (...names: string[]) => titles.findIndex((t) => names.includes(t));
  const iPid = col("PID");
  const iPpid = col("PPID");
  const iUid = col("UID", "USER");
  const iTty = col("TTY", "TT");
  const iCmd = col("CMD", "COMMAND", "ARGS");
  const out: ProcessInfo[] = [];
  for (const row of top?.Processes ?? []) {
    const pid = Number(row[iPid] ?? Number.NaN);
    if (!Number.isInteger(pid)) continue;
    let cmd = (row[iCmd] ?? "").trim();
    // busybox ps shows `{comm} argv…` when the name differs from argv[0] (a script run by sh)
    const named = /^\{([^}]*)\}\s*/.exec(cmd);
    if (named) cmd = cmd.slice(named[0].length);
    const argv = cmd ? cmd.split(/\s+/) : [];
    const info: ProcessInfo = {
      pid,
      comm:
        named?.[1] ??
        (argv[0] ?? "")
          .split("/")
          .pop()
          ?.replace(/^\[|\]$/g, "") ??
        "",
      argv,
    };
    const ppid = Number(row[iPpid] ?? Number.NaN);
    if (Number.isInteger(ppid)) info.ppid = ppid;
    const uid = Number(row[iUid] ?? Number.NaN);
    if (/^\d+$/.test(row[iUid] ?? "")) info.uid = uid;
    const tty = row[iTty];
    if (tty !== undefined) info.tty = tty !== "?" && tty !== "" && tty !== "-";
    out.push(info);
  }
  return out;
}

export interface ContainerActivity {
  processes?: ProcessInfo[];
  connections?: Connection[];
  /** where the processes came from; "none" when neither /proc nor /top could tell */
  source: "proc" | "top" | "none";
}

/** Processes and connections of a running container: /proc when it can, else the engine's `/top`. */
export async function readContainerActivity(
  client: EngineClient,
  c: ContainerState,
  opts: ProcOptions = {},
): Promise<ContainerActivity> {
  if (c.pid && c.pid > 0) {
    const processes = await containerProcesses(c.pid, { ...opts, containerId: c.ref.id });
    if (processes) {
      const connections = await containerConnections(c.pid, opts);
      return { processes, ...(connections ? { connections } : {}), source: "proc" };
    }
  }
  return topActivity(client, c.ref.id);
}

/** Processes from the engine's `/top`, for when /proc cannot show a container's. */
export async function topActivity(client: EngineClient, id: string): Promise<ContainerActivity> {
  const top = await containerTop(client, id).catch(() => undefined);
  const processes = processesFromTop(top);
  return processes.length > 0 ? { processes, source: "top" } : { source: "none" };
}
