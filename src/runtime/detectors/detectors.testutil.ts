import type { ContainerInspect } from "../../engine/types.js";
import type { Connection, ContainerState, DetectorContext, ProcessInfo } from "../types.js";

/** Literal inputs for detector tests: containers, processes, connections and a fake clock. */

export function container(name: string, inspect: ContainerInspect = {}, extra: Partial<ContainerState> = {}) {
  const id = `${name.padEnd(12, "0")}${"ab".repeat(26)}`;
  const state: ContainerState = {
    ref: { id, name, image: "localhost/app:1", imageId: `sha256:${"1".repeat(64)}` },
    inspect: { Id: id, Name: `/${name}`, State: { Running: true, Pid: 4242 }, ...inspect },
    pid: 4242,
    ...extra,
  };
  return state;
}

export function proc(
  pid: number,
  comm: string,
  argv: string[],
  extra: Partial<ProcessInfo> = {},
): ProcessInfo {
  return { pid, ppid: 1, comm, argv, ...extra };
}

export function tcp(remote: string, state = "ESTABLISHED", local = "172.17.0.2:40000"): Connection {
  const ep = (s: string) => {
    const i = s.lastIndexOf(":");
    return { ip: s.slice(0, i), port: Number(s.slice(i + 1)) };
  };
  return { proto: "tcp", local: ep(local), remote: ep(remote), state };
}

/** A detector context whose clock the test moves. */
export function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  const ctx: DetectorContext = { now: () => t, host: "test-host" };
  return {
    ctx,
    get now() {
      return t;
    },
    advance(ms: number) {
      t += ms;
      return t;
    },
  };
}
