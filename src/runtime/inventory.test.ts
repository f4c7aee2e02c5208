import { describe, expect, it } from "vitest";
import { containerStateFrom, cpuLimitCores } from "./inventory.js";

/** The pure parts of the inventory; following a real engine is in test/integration/runtime-podman.test.ts. */

describe("cpuLimitCores", () => {
  it("reads NanoCpus (--cpus), else CpuQuota/CpuPeriod, else unlimited", () => {
    expect(cpuLimitCores({ HostConfig: { NanoCpus: 1_500_000_000 } })).toBe(1.5);
    expect(cpuLimitCores({ HostConfig: { NanoCpus: 0, CpuQuota: 50_000, CpuPeriod: 100_000 } })).toBe(0.5);
    expect(cpuLimitCores({ HostConfig: { CpuQuota: 200_000, CpuPeriod: 50_000 } })).toBe(4);
    // a quota without a period uses the kernel's default 100 ms period
    expect(cpuLimitCores({ HostConfig: { CpuQuota: 25_000 } })).toBe(0.25);
    expect(cpuLimitCores({ HostConfig: { CpuQuota: -1, CpuPeriod: 100_000 } })).toBeUndefined();
    expect(cpuLimitCores({})).toBeUndefined();
  });
});

describe("containerStateFrom", () => {
  it("builds the ref (name without /, image as asked for, image id, labels) and host PID", () => {
    const s = containerStateFrom({
      Id: "3253a30ac2e546de66f1865dd2e2df54be3d41ce52ef99dfb8d4d5f540f04002",
      Name: "/web",
      Image: "sha256:1f7111d214b2c724f877e88e3c1779d4d279103d3bcee89aa378f5374e67b0a9",
      State: { Running: true, Pid: 23342 },
      HostConfig: { NanoCpus: 500_000_000 },
      Config: { Image: "localhost/bb:1", Labels: { team: "payments", bogus: 3 } },
    });
    expect(s?.ref).toEqual({
      id: "3253a30ac2e546de66f1865dd2e2df54be3d41ce52ef99dfb8d4d5f540f04002",
      name: "web",
      image: "localhost/bb:1",
      imageId: "sha256:1f7111d214b2c724f877e88e3c1779d4d279103d3bcee89aa378f5374e67b0a9",
      labels: { team: "payments" },
    });
    expect(s?.pid).toBe(23342);
    expect(s?.cpuLimitCores).toBe(0.5);
  });

  it("tolerates sparse or wrong-typed inspect data", () => {
    const s = containerStateFrom({
      Id: "abcdef0123456789",
      State: { Pid: 0 },
      Config: { Labels: "x" },
      ImageName: "img:1",
    });
    expect(s).toEqual({
      ref: { id: "abcdef0123456789", name: "abcdef012345", image: "img:1" },
      inspect: expect.any(Object),
    });
    expect(containerStateFrom({ Name: "/no-id" })).toBeUndefined();
    expect(containerStateFrom(null)).toBeUndefined();
  });
});
