import type { Detection, Severity } from "../../model/index.js";
import {
  type ContainerState,
  type DetectorContext,
  detection,
  type EngineEvent,
  type RuntimeDetector,
} from "../types.js";
import { baseName, loadRuntimeIndicators, type RuntimeIndicators } from "./indicators.js";

/**
 * Shells in containers, two ways:
 *  - shell.exec: an exec into a container whose command is a shell (Docker's `exec_create`/`exec_start`
 *    events append the command; `execID`, and `tty`/`user` when the monitor adds them from
 *    `/exec/{id}/json`). Health-check execs are the container's own and are ignored. Podman's compat
 *    events name no command, so there the sample path below is what sees the shell.
 *  - shell.interactive: a shell process with a terminal whose parent is the container runtime (or
 *    outside the container): Falco's "Terminal shell in container" (shell_procs, tty, container_entrypoint).
 * Severity: a terminal as root is high; a terminal or root alone medium; a `sh -c CMD` as non-root low.
 */

export interface ShellOptions {
  indicators?: RuntimeIndicators;
}

const EXEC_ACTIONS = new Set(["exec_create", "exec_start"]);
/** remembered exec ids / shell pids per container (exec_create and exec_start name the same exec) */
const MAX_REMEMBERED = 512;

const truthy = (v: string | undefined) => v === "true" || v === "1";
const isRoot = (user: string) => user === "" || user === "0" || user === "root" || /^(0|root):/.test(user);
const clip = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function severityOf(tty: boolean, root: boolean, scripted: boolean): Severity {
  if (tty && root) return "high";
  if (tty || (root && !scripted)) return "medium";
  return "low";
}

/** remember a key in a bounded set; false when it was already there */
function firstTime(set: Set<string>, key: string): boolean {
  if (set.has(key)) return false;
  if (set.size >= MAX_REMEMBERED) set.delete(set.values().next().value as string);
  set.add(key);
  return true;
}

export function createShellDetector(opts: ShellOptions = {}): RuntimeDetector {
  const ind = opts.indicators ?? loadRuntimeIndicators();
  const shells = new Set(ind.shell.binaries);
  const runtimeParents = new Set(ind.shell.runtimeParents);
  const seen = new Map<string, Set<string>>();
  const seenOf = (id: string) => {
    let s = seen.get(id);
    if (!s) {
      s = new Set();
      seen.set(id, s);
    }
    return s;
  };
  /** `/bin/bash`, `-sh` (a login shell's argv[0]) */
  const isShell = (word: string | undefined) => !!word && shells.has(baseName(word).replace(/^-/, ""));

  /** the health check's command, as the engine would run it (CMD-SHELL → sh -c) */
  function healthCommand(c: ContainerState): string | undefined {
    const [kind, ...rest] = c.inspect.Config?.Healthcheck?.Test ?? [];
    if (kind === "CMD-SHELL") return ["/bin/sh", "-c", ...rest].join(" ");
    if (kind === "CMD") return rest.join(" ");
    return undefined;
  }

  function onExec(e: EngineEvent, c: ContainerState, ctx: DetectorContext): Detection[] {
    const a = e.attributes;
    const command = (a.execCommand ?? a.command ?? a.detail ?? "").trim();
    const words = command.split(/\s+/).filter(Boolean);
    if (!isShell(words[0])) return [];
    if (command === healthCommand(c)) return [];
    const key = a.execID ? `exec:${a.execID}` : `exec:${e.action}:${e.timeNano ?? e.time}:${command}`;
    if (!firstTime(seenOf(c.ref.id), key)) return [];
    const tty = truthy(a.tty);
    const user = a.user ?? c.inspect.Config?.User ?? "";
    const root = isRoot(user);
    const scripted = words.includes("-c");
    const how = [
      tty ? "with a terminal" : a.tty === undefined ? "terminal unknown" : "without a terminal",
      `as ${user || "root (image default)"}`,
      ...(truthy(a.privileged) ? ["privileged"] : []),
    ].join(", ");
    return [
      detection(
        "shell",
        "shell.exec",
        truthy(a.privileged) ? "high" : severityOf(tty, root, scripted),
        tty ? "Interactive shell exec'd into a container" : "Shell exec'd into a container",
        c,
        `${e.action} ${clip(command)} (${how})`,
        ctx,
        {
          ...(a.execID ? { execId: a.execID } : {}),
          command: clip(command),
          tty: a.tty === undefined ? null : tty,
          user: user || "root",
          ...(a.privileged !== undefined ? { privileged: truthy(a.privileged) } : {}),
        },
      ),
    ];
  }

  return {
    name: "shell",
    onEvent(e, c, ctx) {
      if (!c || e.type !== "container" || !EXEC_ACTIONS.has(e.action)) return [];
      return onExec(e, c, ctx);
    },
    onSample(c, s, ctx) {
      const procs = s.processes ?? [];
      const pids = new Map(procs.map((p) => [p.pid, p]));
      const out: Detection[] = [];
      for (const p of procs) {
        if (!p.tty || !(shells.has(p.comm) || isShell(p.argv[0]))) continue;
        const parent = p.ppid !== undefined ? pids.get(p.ppid) : undefined;
        // parent outside the container (conmon, containerd-shim, runc) or a runtime process inside it
        const fromRuntime = !parent || runtimeParents.has(parent.comm);
        if (!fromRuntime) continue;
        if (!firstTime(seenOf(c.ref.id), `pid:${p.pid}:${p.argv.join(" ")}`)) continue;
        const root = p.uid === undefined || p.uid === 0;
        const cmd = clip(p.argv.join(" ") || p.comm);
        out.push(
          detection(
            "shell",
            "shell.interactive",
            root ? "high" : "medium",
            "Terminal shell in container",
            c,
            `pid ${p.pid} ${cmd} has a terminal, parent ${parent ? parent.comm : "outside the container (runtime)"}, uid ${p.uid ?? "unknown"}`,
            ctx,
            { pid: p.pid, ppid: p.ppid ?? null, comm: p.comm, cmdline: cmd, uid: p.uid ?? null },
          ),
        );
      }
      return out;
    },
    forget(id) {
      seen.delete(id);
    },
  };
}
