import type { ContainerInspect } from "../engine/types.js";
import type { ContainerRef, Detection, Severity } from "../model/index.js";

/**
 * Shapes of `airbag monitor`: engine events (normalised across Docker and podman), what is known about
 * each running container, periodic samples (stats, processes, connections, filesystem changes), and
 * the runtime detector interface. Detectors are pure over these inputs; the monitor does all I/O.
 */

/** An Engine API event, with podman's spellings normalised (`died` → `die`, exit code attribute). */
export interface EngineEvent {
  /** container | image | network | volume | daemon | … */
  type: string;
  /** start, die, exec_create, exec_start, exec_die, pause, unpause, destroy, … */
  action: string;
  /** container / image / network id */
  id: string;
  attributes: Record<string, string>;
  /** seconds since the epoch */
  time: number;
  /** nanoseconds since the epoch when the engine gives them (resume point for `since`) */
  timeNano?: number;
}

/** What the monitor knows about one running container. */
export interface ContainerState {
  ref: ContainerRef;
  /** normalised inspect data (bench/inspect-shape.ts) */
  inspect: ContainerInspect;
  /** host PID of the container's init process (readable /proc/<pid> when the monitor runs on the host) */
  pid?: number;
  /** CPU limit in cores (NanoCpus or quota/period); undefined = unlimited */
  cpuLimitCores?: number;
}

export interface ProcessInfo {
  /** host PID */
  pid: number;
  ppid?: number;
  /** short name (/proc/<pid>/comm) */
  comm: string;
  argv: string[];
  /** executable path as the container sees it (/proc/<pid>/exe, container root stripped) */
  exe?: string;
  /** the exe was deleted after start (classic dropper behaviour) */
  exeDeleted?: boolean;
  /** user id */
  uid?: number;
  /** has a controlling terminal (interactive shell) */
  tty?: boolean;
}

export interface Endpoint {
  ip: string;
  port: number;
}

export interface Connection {
  proto: "tcp" | "tcp6" | "udp" | "udp6";
  local: Endpoint;
  remote: Endpoint;
  /** ESTABLISHED, SYN_SENT, LISTEN, … */
  state: string;
}

export interface ContainerSample {
  /** ms since the epoch */
  at: number;
  /** CPU use in percent of one core (100 = one full core), from two stats readings */
  cpuPercent?: number;
  memoryBytes?: number;
  processes?: ProcessInfo[];
  connections?: Connection[];
  /** `/containers/{id}/changes`: Kind 0 modified, 1 added, 2 deleted */
  changes?: { path: string; kind: 0 | 1 | 2 }[];
}

export interface DetectorContext {
  /** ms since the epoch (a fake clock in tests) */
  now(): number;
  host?: string;
}

/**
 * A runtime detector: one file each under runtime/detectors/. Each hook returns the detections it
 * raises now; detectors keep their own per-container state (forget() drops it when a container goes).
 */
export interface RuntimeDetector {
  name: string;
  /** a container started, or was found running when the monitor started */
  onContainer?(c: ContainerState, ctx: DetectorContext): Detection[] | Promise<Detection[]>;
  /** an engine event (exec_create, exec_start, …) about a known container or none */
  onEvent?(e: EngineEvent, c: ContainerState | undefined, ctx: DetectorContext): Detection[];
  /** a periodic sample of a running container */
  onSample?(c: ContainerState, s: ContainerSample, ctx: DetectorContext): Detection[];
  /** the vulnerability database changed: look at every running container again */
  onDatabaseChange?(containers: ContainerState[], ctx: DetectorContext): Detection[] | Promise<Detection[]>;
  forget?(containerId: string): void;
}

/** Helper for detectors: a Detection with the fields every one fills the same way. */
export function detection(
  detector: string,
  id: string,
  severity: Severity,
  title: string,
  c: ContainerState,
  evidence: string,
  ctx: DetectorContext,
  details?: Record<string, unknown>,
): Detection {
  return {
    detector,
    id,
    kind: "runtime",
    severity,
    title,
    container: c.ref,
    evidence,
    ...(details ? { details } : {}),
    at: new Date(ctx.now()).toISOString(),
    ...(ctx.host ? { host: ctx.host } : {}),
  };
}
