import { describe, expect, it } from "vitest";
import type { ContainerSample } from "../types.js";
import { container, fakeClock, proc } from "./detectors.testutil.js";
import { createDriftDetector } from "./drift.js";

const at = (extra: Partial<ContainerSample>): ContainerSample => ({ at: 0, ...extra });

describe("drift", () => {
  it("a process whose exe the container added (/changes Kind 1) is drift.exec, critical, once", () => {
    const { ctx } = fakeClock();
    const d = createDriftDetector();
    const c = container("web");
    const s = at({
      processes: [proc(7, "payload", ["/usr/local/bin/payload"], { exe: "/usr/local/bin/payload" })],
      changes: [
        { path: "/usr/local/bin", kind: 0 },
        { path: "/usr/local/bin/payload", kind: 1 },
      ],
    });
    const ds = d.onSample!(c, s, ctx);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({
      detector: "drift",
      id: "drift.exec",
      severity: "critical",
      details: { path: "/usr/local/bin/payload", reasons: ["added"], pid: 7 },
    });
    expect(d.onSample!(c, s, ctx)).toEqual([]);
  });

  it("changes are remembered between samples that carry them; a modified binary (Kind 0) counts", () => {
    const { ctx } = fakeClock();
    const d = createDriftDetector();
    const c = container("web");
    expect(d.onSample!(c, at({ changes: [{ path: "/usr/bin/curl", kind: 0 }] }), ctx)).toEqual([]);
    const ds = d.onSample!(c, at({ processes: [proc(3, "curl", ["curl"], { exe: "/usr/bin/curl" })] }), ctx);
    expect(ds.map((x) => x.details?.reasons)).toEqual([["modified"]]);
  });

  it("a deleted exe and scratch directories (/tmp, /dev/shm, /var/tmp, /run) are drift", () => {
    const { ctx } = fakeClock();
    const d = createDriftDetector();
    const ds = d.onSample!(
      container("web"),
      at({
        processes: [
          proc(1, "x", ["./x"], { exe: "/opt/x", exeDeleted: true }),
          proc(2, "a", ["/tmp/a"], { exe: "/tmp/a" }),
          proc(3, "b", ["/dev/shm/b"], { exe: "/dev/shm/b" }),
          proc(4, "c", ["/var/tmp/c"], { exe: "/var/tmp/c" }),
          proc(5, "d", ["/run/d"], { exe: "/run/d" }),
        ],
      }),
      ctx,
    );
    expect(ds.map((x) => [x.details?.path, x.severity, x.details?.reasons])).toEqual([
      ["/opt/x", "critical", ["deleted"]],
      ["/tmp/a", "high", ["scratch-dir"]],
      ["/dev/shm/b", "high", ["scratch-dir"]],
      ["/var/tmp/c", "high", ["scratch-dir"]],
      ["/run/d", "high", ["scratch-dir"]],
    ]);
    expect(ds[0]!.evidence).toBe("pid 1 (x) runs /opt/x (deleted): deleted");
  });

  it("a #! script run directly is judged by the script path (comm is the script's name)", () => {
    const { ctx } = fakeClock();
    const ds = createDriftDetector().onSample!(
      container("m1"),
      at({
        processes: [proc(9, "xmrig", ["/bin/sh", "/tmp/xmrig", "-o", "x:1"], { exe: "/bin/busybox" })],
        changes: [
          { path: "/tmp", kind: 1 },
          { path: "/tmp/xmrig", kind: 1 },
        ],
      }),
      ctx,
    );
    expect(ds.map((x) => [x.details?.path, x.details?.script, x.details?.reasons])).toEqual([
      ["/tmp/xmrig", true, ["added", "scratch-dir"]],
    ]);
  });

  it("programs from the image are not drift: apt-get in /usr/bin unchanged, `sh /tmp/x.sh`, /tmpfoo", () => {
    const { ctx } = fakeClock();
    const ds = createDriftDetector().onSample!(
      container("web"),
      at({
        processes: [
          proc(1, "apt-get", ["apt-get", "update"], { exe: "/usr/bin/apt-get" }),
          proc(2, "sh", ["sh", "/tmp/x.sh"], { exe: "/bin/dash" }),
          proc(3, "tool", ["/tmpfoo/tool"], { exe: "/tmpfoo/tool" }),
          proc(4, "runner", ["/runner"], { exe: "/runner" }),
        ],
        changes: [
          { path: "/var/lib/apt/lists", kind: 0 },
          { path: "/usr/bin/apt-get.old", kind: 2 },
          { path: "/runner", kind: 2 },
        ],
      }),
      ctx,
    );
    expect(ds).toEqual([]);
  });

  it("forget() drops the remembered changes and what was raised", () => {
    const { ctx } = fakeClock();
    const d = createDriftDetector();
    const c = container("web");
    const s = at({
      processes: [proc(7, "p", ["/p"], { exe: "/p" })],
      changes: [{ path: "/p", kind: 1 }],
    });
    expect(d.onSample!(c, s, ctx)).toHaveLength(1);
    d.forget!(c.ref.id);
    expect(d.onSample!(c, at({ processes: s.processes }), ctx)).toEqual([]);
    expect(d.onSample!(c, s, ctx)).toHaveLength(1);
  });
});
