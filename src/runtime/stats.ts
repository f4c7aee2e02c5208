import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineClient } from "../engine/index.js";
import { EngineApiError } from "../engine/index.js";

/**
 * CPU and memory use from `/containers/{id}/stats?stream=false&one-shot=true`. Docker and podman both
 * give cumulative counters in nanoseconds: the container's `cpu_stats.cpu_usage.total_usage` and the
 * host's `system_cpu_usage` (all CPUs together), plus the time of the reading. CPU% comes from two
 * readings, 100 = one full core. A one-shot answer carries no `precpu_stats` (zeros), so the first
 * reading alone gives no CPU figure; the caller keeps the previous answer. Memory is usage minus the
 * reclaimable page cache, like `docker stats`.
 */

export interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface EngineStats {
  /** RFC 3339 time of the reading (nanosecond precision) */
  read?: string;
  /** time of precpu_stats (streamed answers; "0001-01-01T00:00:00Z" when there is none) */
  preread?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: {
    usage?: number;
    limit?: number;
    /** cgroup v1: cache, total_inactive_file, …; cgroup v2: inactive_file, file, anon, … */
    stats?: Record<string, number | undefined>;
  };
  pids_stats?: { current?: number };
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** nanoseconds since the epoch of an RFC 3339 time with up to 9 fraction digits */
function readNanos(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(.*)$/.exec(t);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return ms * 1e6 + Number((m[2] ?? "").padEnd(9, "0"));
}

function onlineCpus(s: CpuStats): number {
  const online = num(s.online_cpus);
  if (online && online > 0) return online;
  // cgroup v1 engines before online_cpus: one per-CPU counter per CPU
  const per = s.cpu_usage?.percpu_usage;
  return Array.isArray(per) && per.length > 0 ? per.length : 1;
}

/**
 * CPU use between two readings in percent of one core; `prev` undefined uses the answer's own
 * `precpu_stats` when the engine filled it (streamed stats). Undefined when it cannot be known (first
 * one-shot reading, a counter that went backwards because the container restarted).
 *
 * The container's CPU time is divided by the wall-clock time between the readings (`read`), which is
 * what "100 = one core" means. Docker's formula divides by the host's `system_cpu_usage` instead
 * (/proc/stat summed over CPUs, scaled by online CPUs); that is only used when the readings carry no
 * time, because /proc/stat can advance slower than the clock (idle vCPUs of a VM): measured here
 * (Firecracker, 2 vCPUs), the host counter grew 2.2 s in 2.04 s instead of 4.08 s, so Docker's formula
 * put a busy loop that /proc/<pid>/stat showed at 99.6 % of a core at 185 %.
 */
export function cpuPercent(prev: EngineStats | undefined, cur: EngineStats): number | undefined {
  const now = cur.cpu_stats;
  const before = prev ? prev.cpu_stats : cur.precpu_stats;
  const total = num(now?.cpu_usage?.total_usage);
  const totalBefore = num(before?.cpu_usage?.total_usage);
  if (!now || total === undefined || totalBefore === undefined) return undefined;
  // an empty precpu (one-shot) is all zeros: there is no earlier reading
  if (!prev && (totalBefore === 0 || !num(before?.system_cpu_usage))) return undefined;
  const cpuDelta = total - totalBefore;
  if (cpuDelta < 0) return undefined;

  const t = readNanos(cur.read);
  const tBefore = readNanos(prev ? prev.read : cur.preread);
  if (t !== undefined && tBefore !== undefined && t > tBefore) return (cpuDelta / (t - tBefore)) * 100;

  const system = num(now.system_cpu_usage);
  const systemBefore = num(before?.system_cpu_usage);
  if (system !== undefined && systemBefore !== undefined && system > systemBefore)
    return (cpuDelta / (system - systemBefore)) * onlineCpus(now) * 100;
  return undefined;
}

/** Memory in use, without the page cache the kernel can drop (what `docker stats` shows). */
export function memoryBytes(s: EngineStats): number | undefined {
  const usage = num(s.memory_stats?.usage);
  if (usage === undefined) return undefined;
  const st = s.memory_stats?.stats ?? {};
  // cgroup v1 has total_inactive_file; v2 inactive_file; very old Docker CLIs subtracted v1's cache
  for (const key of ["total_inactive_file", "inactive_file", "cache"]) {
    const v = num(st[key]);
    if (v !== undefined && v < usage) return usage - v;
  }
  return usage;
}

/** One stats reading; undefined when the container is gone or not running. */
export async function readStats(client: EngineClient, id: string): Promise<EngineStats | undefined> {
  try {
    return await client.json<EngineStats>(
      "GET",
      `/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`,
    );
  } catch (err) {
    // 404: removed meanwhile; 409: podman's "container is not running"
    if (err instanceof EngineApiError && (err.status === 404 || err.status === 409)) return undefined;
    throw err;
  }
}

/** Where a container's cgroup CPU counter lives: v1 `cpuacct.usage` (ns) or v2 `cpu.stat` usage_usec. */
export interface CgroupCpuSource {
  file: string;
  unit: "ns" | "usec";
}

const readOrUndefined = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

/**
 * The CPU counter file of the cgroup a container's init PID is in, found through /proc/<pid>/cgroup;
 * undefined when it is not visible here (the caller then asks the engine's /stats). A container's
 * cgroup does not change while it runs, so callers can keep the answer for its lifetime.
 */
export function cgroupCpuSource(
  pid: number,
  procRoot = "/proc",
  sysRoot = "/sys/fs/cgroup",
): CgroupCpuSource | undefined {
  const text = readOrUndefined(join(procRoot, String(pid), "cgroup"));
  for (const line of text?.split("\n") ?? []) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!m) continue;
    const [, controllers = "", path = "/"] = m;
    if (controllers.split(",").includes("cpuacct")) {
      for (const dir of [controllers, "cpuacct", "cpu,cpuacct", "cpuacct,cpu"]) {
        const file = join(sysRoot, dir, path, "cpuacct.usage");
        if (/^\d+\s*$/.test(readOrUndefined(file) ?? "")) return { file, unit: "ns" };
      }
    } else if (controllers === "" && path !== "/") {
      for (const base of [sysRoot, join(sysRoot, "unified")]) {
        const file = join(base, path, "cpu.stat");
        if (/^usage_usec \d+$/m.test(readOrUndefined(file) ?? "")) return { file, unit: "usec" };
      }
    }
  }
  return undefined;
}

/** CPU time (ns) used so far per the counter file; undefined once it is gone (container stopped). */
export function readCgroupCpuNs(src: CgroupCpuSource): number | undefined {
  const text = readOrUndefined(src.file);
  if (text === undefined) return undefined;
  if (src.unit === "ns") return /^\d+\s*$/.test(text) ? Number(text) : undefined;
  const usec = /^usage_usec (\d+)$/m.exec(text)?.[1];
  return usec === undefined ? undefined : Number(usec) * 1000;
}

/** CPU time (ns) a container's cgroup has used, through its init PID (both steps above). */
export function cgroupCpuUsageNs(
  pid: number,
  procRoot = "/proc",
  sysRoot = "/sys/fs/cgroup",
): number | undefined {
  const src = cgroupCpuSource(pid, procRoot, sysRoot);
  return src ? readCgroupCpuNs(src) : undefined;
}
