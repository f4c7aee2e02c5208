import { describe, expect, it } from "vitest";
import { normaliseEvent, splitFilters } from "./engine-event.js";

/** Event objects as the engines write them (podman 4.3.1 captured here; Docker 27 from its API docs). */
// the wire text: timeNano has more digits than a double holds, as it does on the wire
const PODMAN_DIE = JSON.parse(
  '{"status":"die","id":"2e5ade21f79c","from":"localhost/bb:1","Type":"container","Action":"die","Actor":{"ID":"2e5ade21f79c","Attributes":{"containerExitCode":"3","exitCode":"3","image":"localhost/bb:1","name":"quick","podId":""}},"scope":"local","time":1795937587,"timeNano":1795937587526884725}',
);

describe("normaliseEvent", () => {
  it("reads podman's compat event: exit code, name, image, times; drops the stale containerExitCode", () => {
    const e = normaliseEvent(PODMAN_DIE);
    expect(e).toMatchObject({ type: "container", action: "die", id: "2e5ade21f79c", time: 1795937587 });
    expect(e?.attributes).toMatchObject({ exitCode: "3", name: "quick", image: "localhost/bb:1" });
    expect(e?.attributes.containerExitCode).toBeUndefined();
    expect(Math.abs((e?.timeNano ?? 0) / 1e9 - 1795937587.526884)).toBeLessThan(1e-5);
    const start = normaliseEvent({
      ...PODMAN_DIE,
      status: "start",
      Action: "start",
      Actor: { ID: "x", Attributes: { containerExitCode: "0" } },
    });
    expect(start?.attributes).toEqual({ image: "localhost/bb:1" });
  });

  it("maps podman's older spellings to Docker's", () => {
    const a = (Action: string, Attributes: Record<string, string> = {}) =>
      normaliseEvent({ Type: "container", Action, Actor: { ID: "c1", Attributes }, time: 5 });
    expect(a("died", { containerExitCode: "137" })).toMatchObject({
      action: "die",
      attributes: { exitCode: "137" },
    });
    expect(a("exec")?.action).toBe("exec_start");
    expect(a("exec_died")?.action).toBe("exec_die");
    expect(a("remove")?.action).toBe("destroy");
  });

  it("splits Docker's action details into attributes", () => {
    const e = normaliseEvent({
      Type: "container",
      Action: "exec_start: /bin/sh -c id",
      Actor: { ID: "c1", Attributes: { execID: "e1", name: "web", image: "nginx:1" } },
      time: 1700000000,
      timeNano: 1700000000123456000,
    });
    expect(e).toMatchObject({
      action: "exec_start",
      attributes: { execCommand: "/bin/sh -c id", execID: "e1" },
    });
    const h = normaliseEvent({
      Type: "container",
      Action: "health_status: unhealthy",
      Actor: { ID: "c1" },
      time: 1,
    });
    expect(h).toMatchObject({ action: "health_status", attributes: { healthStatus: "unhealthy" } });
  });

  it("reads pre-1.22 Docker events (status/id/from only) and time from timeNano alone", () => {
    expect(normaliseEvent({ status: "start", id: "abc", from: "busybox", time: 10 })).toEqual({
      type: "container",
      action: "start",
      id: "abc",
      attributes: { image: "busybox" },
      time: 10,
    });
    expect(
      normaliseEvent({
        Type: "network",
        Action: "connect",
        Actor: { ID: "n1", Attributes: { container: "c1" } },
        timeNano: 2_500_000_000,
      }),
    ).toMatchObject({ type: "network", time: 2, timeNano: 2_500_000_000, attributes: { container: "c1" } });
  });

  it("names the container of network events for both engines", () => {
    // podman 4.3.1 (captured): the container is the actor and `name` is the container's
    const podman = normaliseEvent({
      status: "disconnect",
      id: "3253a30ac2e5",
      Type: "network",
      Action: "disconnect",
      Actor: {
        ID: "3253a30ac2e5",
        Attributes: { containerExitCode: "0", image: "", name: "idle", podId: "" },
      },
      time: 1795938343,
    });
    expect(podman?.attributes).toMatchObject({ container: "3253a30ac2e5", containerName: "idle" });
    expect(podman?.attributes.name).toBeUndefined();
    // Docker: the network is the actor, the container id an attribute
    const docker = normaliseEvent({
      Type: "network",
      Action: "disconnect",
      Actor: { ID: "net1", Attributes: { container: "c1", name: "bridge", type: "bridge" } },
      time: 1,
    });
    expect(docker).toMatchObject({ id: "net1", attributes: { container: "c1", name: "bridge" } });
  });

  it("rejects objects that are not events", () => {
    for (const bad of [null, 3, "die", [], {}, { Type: "container" }])
      expect(normaliseEvent(bad)).toBeUndefined();
  });
});

describe("splitFilters", () => {
  it("never sends event names to the engine and matches them after normalising", () => {
    const { engine, local } = splitFilters({
      type: ["container"],
      event: ["die", "exec_start"],
      label: ["a=b"],
    });
    expect(engine).toEqual({ type: ["container"], label: ["a=b"] });
    const ev = (type: string, action: string) => ({ type, action, id: "x", attributes: {}, time: 1 });
    expect(local(ev("container", "die"))).toBe(true);
    expect(local(ev("container", "exec_start"))).toBe(true);
    expect(local(ev("container", "start"))).toBe(false);
    expect(local(ev("image", "die"))).toBe(false);
    expect(splitFilters().local(ev("volume", "prune"))).toBe(true);
  });
});
