import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Detection } from "../../model/index.js";
import type { ContainerSample, ProcessInfo } from "../types.js";
import { createCryptominerDetector } from "./cryptominer.js";
import { container, fakeClock, proc, tcp } from "./detectors.testutil.js";

const sample = (at: number, extra: Partial<ContainerSample> = {}): ContainerSample => ({ at, ...extra });

function run(procs: ProcessInfo[], extra: Partial<ContainerSample> = {}): Detection[] {
  const clock = fakeClock();
  const d = createCryptominerDetector();
  return d.onSample!(container("web"), sample(clock.now, { processes: procs, ...extra }), clock.ctx);
}
const ids = (ds: Detection[]) => ds.map((d) => d.id).sort();

describe("cryptominer: processes", () => {
  it("a process named xmrig is miner.process, critical, with confidence and the command line", () => {
    const [d, ...rest] = run([proc(101, "xmrig", ["/opt/xmrig", "--threads=2"])]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      detector: "cryptominer",
      id: "miner.process",
      kind: "runtime",
      severity: "critical",
      container: { name: "web" },
      host: "test-host",
    });
    expect(d!.evidence).toContain("pid 101 (xmrig) named like the miner xmrig");
    expect(d!.details).toMatchObject({ pid: 101, confidence: 0.8, signals: ["process"] });
  });

  it("names by argv[0] basename, release and variant suffixes (xmrig-6.21.0, t-rex-0.26, cpuminer-opt)", () => {
    for (const [comm, argv0] of [
      ["app", "/srv/xmrig-6.21.0/xmrig-6.21.0"],
      ["t-rex-0.26", "./t-rex-0.26"],
      ["cpuminer-opt", "cpuminer-opt"],
    ] as const)
      expect(ids(run([proc(7, comm, [argv0])])), comm).toEqual(["miner.process"]);
  });

  it("a renamed copy is caught by miner-only options: --donate-level, --coin monero, -a rx/0, -o host:3333", () => {
    const cases: string[][] = [
      ["./kworker", "--donate-level", "1"],
      ["/usr/bin/systemd-helper", "--coin=monero", "-t", "2"],
      [
        "/tmp/.x/app",
        "-a",
        "rx/0",
        "-u",
        "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge",
      ],
      ["./svc", "-o", "198.51.100.7:3333"],
    ];
    for (const argv of cases) {
      const ds = run([proc(9, "kworker", argv)]);
      expect(ids(ds), argv.join(" ")).toContain("miner.process");
      expect(ds.find((d) => d.id === "miner.process")!.evidence).toMatch(/renamed copy with miner options/);
    }
    // a pool option on a miner port alone is less decisive than --donate-level
    expect(run([proc(9, "svc", ["./svc", "-o", "198.51.100.7:3333"])])[0]!.severity).toBe("high");
  });

  it("ordinary programs with -o / -a / --coin-like options are not miners", () => {
    const benign: string[][] = [
      ["node", "server.js", "-o", "output.txt"],
      ["curl", "-o", "/tmp/out.html", "http://127.0.0.1:8080/"],
      ["ssh", "-o", "StrictHostKeyChecking=no", "db:22"],
      ["gcc", "-o", "a.out", "main.c"],
      ["ls", "-a", "/"],
      ["trader", "--coin", "BTC"],
      ["sleep", "600"],
      ["redis-server", "--port", "3333"],
    ];
    for (const argv of benign) expect(run([proc(5, argv[0]!, argv)]), argv.join(" ")).toEqual([]);
  });

  it("a stratum URL is miner.stratum; the password in it and after -p is masked", () => {
    const ds = run([
      proc(12, "python3", [
        "python3",
        "run.py",
        "--pool",
        "stratum+ssl://alice:hunter2@eu.pool.example:5555",
        "-p",
        "s3cret",
      ]),
    ]);
    expect(ids(ds)).toEqual(["miner.stratum"]);
    expect(ds[0]!.severity).toBe("critical");
    expect(ds[0]!.evidence).toContain("stratum+ssl://alice:***@eu.pool.example:5555");
    expect(JSON.stringify(ds)).not.toMatch(/hunter2|s3cret/);
    for (const scheme of ["stratum+tcp", "stratum2+tcp", "STRATUM2+SSL"])
      expect(ids(run([proc(3, "a", ["a", `${scheme}://10.0.0.1:3333`])])), scheme).toEqual(["miner.stratum"]);
  });

  it("a known pool host:port in argv is miner.stratum (pool address), a pool name in prose is not", () => {
    const ds = run([proc(4, "app", ["app", "--url", "xmr-eu1.nanopool.org:14433"])]);
    expect(ids(ds)).toEqual(["miner.process", "miner.stratum"]);
    expect(ds.find((d) => d.id === "miner.stratum")!.details).toMatchObject({
      poolAddresses: ["xmr-eu1.nanopool.org:14433"],
    });
    expect(run([proc(4, "grep", ["grep", "-r", "nanopool.org", "/etc"])])).toEqual([]);
  });
});

describe("cryptominer: connections", () => {
  it("a miner port on a public address alone is miner.pool-port at medium severity", () => {
    const ds = run([proc(5, "app", ["app"])], { connections: [tcp("203.0.113.9:3333")] });
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ id: "miner.pool-port", severity: "medium" });
    expect(ds[0]!.details).toMatchObject({ remote: "203.0.113.9:3333", namedInArgv: false, confidence: 0.3 });
  });

  it("private and loopback peers, web ports, listening sockets and inbound peers are not pool connections", () => {
    const conns = [
      tcp("10.1.2.3:3333"),
      tcp("127.0.0.1:4444"),
      tcp("192.168.1.1:5555"),
      tcp("203.0.113.9:8080"),
      tcp("203.0.113.9:443"),
      tcp("0.0.0.0:0", "LISTEN", "0.0.0.0:3333"),
      tcp("203.0.113.9:3333", "ESTABLISHED", "172.17.0.2:3333"),
      tcp("203.0.113.9:3333", "TIME_WAIT"),
    ];
    expect(run([], { connections: conns })).toEqual([]);
  });

  it("a connection to the endpoint a miner's argv names is critical even on loopback (no DNS needed)", () => {
    const ds = run([proc(8, "xmrig", ["/tmp/xmrig", "-o", "stratum+tcp://127.0.0.1:3333"])], {
      connections: [tcp("127.0.0.1:3333", "ESTABLISHED", "127.0.0.1:51000")],
    });
    expect(ids(ds)).toEqual(["miner.pool-port", "miner.process", "miner.stratum"]);
    const pool = ds.find((d) => d.id === "miner.pool-port")!;
    expect(pool.severity).toBe("critical");
    expect(pool.details).toMatchObject({ namedInArgv: true });
    expect(pool.details!.confidence).toBeGreaterThan(0.99);
  });
});

describe("cryptominer: sustained CPU", () => {
  function cpuRun(
    points: [number, number][],
    extra: Parameters<typeof container>[2] = {},
    windowMs = 60_000,
  ) {
    const clock = fakeClock();
    const d = createCryptominerDetector({ cpu: { windowMs } });
    const c = container("busy", {}, extra);
    const start = clock.now;
    const out: { t: number; ds: Detection[] }[] = [];
    for (const [t, pct] of points) {
      clock.advance(start + t * 1000 - clock.now);
      out.push({ t, ds: d.onSample!(c, sample(clock.now, { cpuPercent: pct }), clock.ctx) });
    }
    return out.filter((o) => o.ds.length);
  }
  const every5s = (from: number, to: number, pct: number) =>
    Array.from({ length: (to - from) / 5 + 1 }, (_, i) => [from + i * 5, pct] as [number, number]);

  it("95% of one core for 30 s with a 60 s window is not sustained", () => {
    expect(cpuRun(every5s(0, 30, 95))).toEqual([]);
  });

  it("95% for 60 s (no limit, one core assumed) raises miner.cpu once, at medium alone", () => {
    const hits = cpuRun(every5s(0, 120, 95));
    expect(hits).toHaveLength(1);
    expect(hits[0]!.t).toBe(60);
    expect(hits[0]!.ds[0]).toMatchObject({ id: "miner.cpu", severity: "medium" });
    expect(hits[0]!.ds[0]!.details).toMatchObject({
      thresholdPercent: 90,
      windowMs: 60_000,
      cpuLimitCores: null,
    });
  });

  it("a dip below the threshold restarts the window", () => {
    expect(cpuRun([...every5s(0, 40, 95), [45, 50], ...every5s(50, 120, 95)]).map((h) => h.t)).toEqual([110]);
  });

  it("the threshold follows the container's CPU limit: 46% of a 0.5-core limit is near it, 40% is not", () => {
    expect(cpuRun(every5s(0, 60, 46), { cpuLimitCores: 0.5 })).toHaveLength(1);
    expect(cpuRun(every5s(0, 60, 40), { cpuLimitCores: 0.5 })).toEqual([]);
    // two cores of a four-core limit is far from it
    expect(cpuRun(every5s(0, 60, 200), { cpuLimitCores: 4 })).toEqual([]);
  });

  it("a sampling gap longer than the window starts over; the window is configurable", () => {
    expect(
      cpuRun([
        [0, 99],
        [100, 99],
        [130, 99],
      ]),
    ).toEqual([]);
    expect(cpuRun(every5s(0, 10, 99), {}, 10_000)).toHaveLength(1);
  });
});

describe("cryptominer: one detection per container per signal, combined confidence", () => {
  it("raises each kind once, again after forget(), and CPU next to a miner process is high", () => {
    const clock = fakeClock();
    const d = createCryptominerDetector({ cpu: { windowMs: 10_000 } });
    const c = container("m1");
    const procs = [proc(1, "xmrig", ["xmrig", "-o", "stratum+tcp://pool.example:3333"])];
    const first = d.onSample!(c, sample(clock.now, { processes: procs, cpuPercent: 99 }), clock.ctx);
    expect(ids(first)).toEqual(["miner.process", "miner.stratum"]);
    expect(first[0]!.details!.confidence).toBe(0.98);
    clock.advance(10_000);
    const second = d.onSample!(c, sample(clock.now, { processes: procs, cpuPercent: 99 }), clock.ctx);
    expect(ids(second)).toEqual(["miner.cpu"]);
    expect(second[0]!.severity).toBe("high");
    expect(second[0]!.details).toMatchObject({ signals: ["cpu", "process", "stratum"] });
    clock.advance(5000);
    expect(d.onSample!(c, sample(clock.now, { processes: procs, cpuPercent: 99 }), clock.ctx)).toEqual([]);
    // another container is judged on its own
    expect(ids(d.onSample!(container("m2"), sample(clock.now, { processes: procs }), clock.ctx))).toEqual([
      "miner.process",
      "miner.stratum",
    ]);
    d.forget!(c.ref.id);
    expect(ids(d.onSample!(c, sample(clock.now, { processes: procs }), clock.ctx))).toEqual([
      "miner.process",
      "miner.stratum",
    ]);
  });

  it("a kind is raised again only when its severity rises (port-only, then the pool argv names)", () => {
    const clock = fakeClock();
    const d = createCryptominerDetector();
    const c = container("m3");
    const conn = { connections: [tcp("203.0.113.9:3333")] };
    expect(d.onSample!(c, sample(clock.now, conn), clock.ctx).map((x) => [x.id, x.severity])).toEqual([
      ["miner.pool-port", "medium"],
    ]);
    expect(d.onSample!(c, sample(clock.now, conn), clock.ctx)).toEqual([]);
    const named = [proc(2, "app", ["app", "--url=203.0.113.9:3333"])];
    expect(
      d.onSample!(c, sample(clock.now, { ...conn, processes: named }), clock.ctx).map((x) => [
        x.id,
        x.severity,
      ]),
    ).toEqual([
      ["miner.process", "high"],
      ["miner.pool-port", "critical"],
    ]);
    expect(d.onSample!(c, sample(clock.now, { ...conn, processes: named }), clock.ctx)).toEqual([]);
  });
});

describe("cryptominer: hostile input", () => {
  it("never throws on arbitrary command lines and connections, and raises only its four ids", () => {
    const token = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "-o",
        "-a",
        "--coin",
        "--url=",
        "stratum+tcp://",
        "-p",
        "xmrig",
        ":3333",
        "@",
        "[::1]:3333",
      ),
    );
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 12 }),
        fc.string(),
        fc.integer({ min: 0, max: 70000 }),
        (argv, comm, port) => {
          const ds = run([proc(1, comm, argv)], { connections: [tcp(`203.0.113.1:${port}`)] });
          for (const d of ds)
            expect(["miner.process", "miner.stratum", "miner.pool-port", "miner.cpu"]).toContain(d.id);
        },
      ),
      { numRuns: 300 },
    );
  });
});
