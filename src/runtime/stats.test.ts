import { describe, expect, it } from "vitest";
import {
  cgroupCpuSource,
  cgroupCpuUsageNs,
  cpuPercent,
  type EngineStats,
  memoryBytes,
  readCgroupCpuNs,
} from "./stats.js";

/**
 * Stats answers in the shapes the engines send: podman 4.3.1 on cgroup v1 (captured here: one-shot,
 * precpu all zeros, no memory breakdown), Docker on cgroup v1 (percpu_usage, cache/total_inactive_file)
 * and on cgroup v2 (no percpu_usage, inactive_file), Docker before online_cpus, and an engine without
 * system_cpu_usage. Counters are chosen so that one busy core over the interval is exactly 100 %.
 */

const podman = (total: number, system: number, read: string): EngineStats =>
  ({
    read,
    preread: "0001-01-01T00:00:00Z",
    cpu_stats: {
      cpu_usage: { total_usage: total, percpu_usage: [total * 0.6, total * 0.4] },
      system_cpu_usage: system,
      online_cpus: 2,
    },
    precpu_stats: { cpu_usage: { total_usage: 0 } },
    memory_stats: { usage: 262144, limit: 25276026880 },
  }) as EngineStats;

describe("cpuPercent", () => {
  it("podman one-shot: nothing from the first reading, one core = 100 from two", () => {
    const a = podman(53_187_952_533, 25_957_118_535_682, "2026-11-29T07:34:01.774728693Z");
    // 2 s later on a 2-CPU host: the host counter grew 4 s of CPU time, the container 2 s
    const b = podman(55_187_952_533, 25_961_118_535_682, "2026-11-29T07:34:03.774728693Z");
    expect(cpuPercent(undefined, a)).toBeUndefined();
    expect(cpuPercent(a, b)).toBeCloseTo(100, 6);
    const idle = podman(53_188_952_533, 25_961_118_535_682, "2026-11-29T07:34:03.774728693Z");
    // 1 ms of CPU in 2 s = 0.05 % of one core
    expect(cpuPercent(a, idle)).toBeCloseTo(0.05, 6);
  });

  it("Docker cgroup v1 streamed answer: precpu_stats of the same answer, CPUs from percpu_usage", () => {
    const s: EngineStats = {
      cpu_stats: {
        cpu_usage: { total_usage: 3_000_000_000, percpu_usage: [1, 2, 3, 4] },
        system_cpu_usage: 20_000_000_000,
      },
      precpu_stats: {
        cpu_usage: { total_usage: 1_000_000_000, percpu_usage: [1, 2, 3, 4] },
        system_cpu_usage: 12_000_000_000,
      },
    };
    // 2 s of container CPU over 8 s of host CPU on 4 CPUs = 1 core busy for 2 s
    expect(cpuPercent(undefined, s)).toBeCloseTo(100, 6);
  });

  it("Docker cgroup v2: no percpu_usage, online_cpus counts; limits near a quota stay below 100", () => {
    const prev: EngineStats = {
      cpu_stats: { cpu_usage: { total_usage: 10e9 }, system_cpu_usage: 100e9, online_cpus: 8 },
    };
    const cur: EngineStats = {
      cpu_stats: { cpu_usage: { total_usage: 10.5e9 }, system_cpu_usage: 108e9, online_cpus: 8 },
    };
    expect(cpuPercent(prev, cur)).toBeCloseTo(50, 6);
  });

  it("divides by the time between the readings when /proc/stat lags behind the clock (VM)", () => {
    // as seen here: /proc/stat's sum advanced 2 s over a 2 s interval on 2 CPUs, a busy core's counter 2 s
    const a = podman(10e9, 1000e9, "2026-11-29T07:34:01.000000000Z");
    const b = podman(12e9, 1002e9, "2026-11-29T07:34:03.000000000Z");
    expect(cpuPercent(a, b)).toBeCloseTo(100, 6);
    // Docker's streamed answer: precpu with its preread time
    expect(
      cpuPercent(undefined, { ...b, preread: a.read, precpu_stats: a.cpu_stats } as EngineStats),
    ).toBeCloseTo(100, 6);
  });

  it("uses wall-clock time without system_cpu_usage; gives up on restarted counters", () => {
    const prev: EngineStats = {
      read: "2024-01-01T00:00:00.5Z",
      cpu_stats: { cpu_usage: { total_usage: 1e9 } },
    };
    const cur: EngineStats = {
      read: "2024-01-01T00:00:02.000000000Z",
      cpu_stats: { cpu_usage: { total_usage: 2.5e9 } },
    };
    expect(cpuPercent(prev, cur)).toBeCloseTo(100, 6);
    expect(cpuPercent(cur, prev)).toBeUndefined();
    expect(cpuPercent(undefined, {})).toBeUndefined();
  });
});

describe("memoryBytes", () => {
  it("subtracts total_inactive_file (cgroup v1), inactive_file (v2), else cache", () => {
    expect(
      memoryBytes({ memory_stats: { usage: 100e6, stats: { cache: 40e6, total_inactive_file: 30e6 } } }),
    ).toBe(70e6);
    expect(memoryBytes({ memory_stats: { usage: 100e6, stats: { inactive_file: 25e6, file: 60e6 } } })).toBe(
      75e6,
    );
    expect(memoryBytes({ memory_stats: { usage: 100e6, stats: { cache: 40e6 } } })).toBe(60e6);
  });

  it("uses usage as is when there is no breakdown (podman) or it is larger than usage", () => {
    expect(memoryBytes({ memory_stats: { usage: 262144, limit: 25276026880 } })).toBe(262144);
    expect(memoryBytes({ memory_stats: { usage: 10, stats: { inactive_file: 20 } } })).toBe(10);
    expect(memoryBytes({})).toBeUndefined();
  });
});

describe("cgroupCpuUsageNs", () => {
  it("reads cgroup v1 cpuacct.usage and v2 cpu.stat through the init PID's cgroup file", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const root = await mkdtemp(join(tmpdir(), "airbag-cgroup-"));
    try {
      const proc = join(root, "proc");
      const sys = join(root, "sys");
      await mkdir(join(proc, "41"), { recursive: true });
      await writeFile(
        join(proc, "41", "cgroup"),
        "4:memory:/libpod_parent/libpod-abc\n2:cpuacct:/libpod_parent/libpod-abc\n1:cpu:/libpod_parent/libpod-abc\n0::/\n",
      );
      await mkdir(join(sys, "cpuacct", "libpod_parent", "libpod-abc"), { recursive: true });
      await writeFile(join(sys, "cpuacct", "libpod_parent", "libpod-abc", "cpuacct.usage"), "123456789\n");
      expect(cgroupCpuUsageNs(41, proc, sys)).toBe(123456789);
      await mkdir(join(proc, "42"), { recursive: true });
      await writeFile(join(proc, "42", "cgroup"), "0::/system.slice/docker-abc.scope\n");
      await mkdir(join(sys, "system.slice", "docker-abc.scope"), { recursive: true });
      await writeFile(
        join(sys, "system.slice", "docker-abc.scope", "cpu.stat"),
        "usage_usec 2500\nuser_usec 2000\n",
      );
      expect(cgroupCpuUsageNs(42, proc, sys)).toBe(2_500_000);
      expect(cgroupCpuUsageNs(43, proc, sys)).toBeUndefined();
      // the counter file, once found, is read again each round without going through /proc
      const src = cgroupCpuSource(41, proc, sys);
      expect(src).toEqual({
        file: join(sys, "cpuacct", "libpod_parent", "libpod-abc", "cpuacct.usage"),
        unit: "ns",
      });
      await writeFile(src?.file ?? "", "223456789\n");
      expect(src && readCgroupCpuNs(src)).toBe(223456789);
      await rm(join(sys, "cpuacct"), { recursive: true });
      expect(src && readCgroupCpuNs(src)).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
