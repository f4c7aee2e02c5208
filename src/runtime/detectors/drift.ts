import type { Detection, Severity } from "../../model/index.js";
import { type ContainerSample, detection, type ProcessInfo, type RuntimeDetector } from "../types.js";
import { baseName, loadRuntimeIndicators, type RuntimeIndicators } from "./indicators.js";

/**
 * Container drift: a running program that is not part of the image. Its executable (or, for a `#!`
 * script run directly, the script) was added or modified in the container's writable layer (the
 * engine's `/changes`, Kind 1 / 0 — Falco's "Drop and execute new binary in container" reads the same
 * fact as `proc.is_exe_upper_layer`), its executable was deleted after start, or it runs from a scratch
 * directory (/tmp, /dev/shm, /var/tmp, /run). Changes come only every few samples: the last list seen
 * is kept per container. One detection per container and program path.
 */

export interface DriftOptions {
  indicators?: RuntimeIndicators;
}

type Reason = "added" | "modified" | "deleted" | "scratch-dir";

const MAX_REMEMBERED = 512;
const KIND: Record<number, Reason | undefined> = { 0: "modified", 1: "added" };
const SEVERITY: Record<Reason, Severity> = {
  added: "critical",
  modified: "critical",
  deleted: "critical",
  "scratch-dir": "high",
};
const TITLE: Record<Reason, string> = {
  added: "Program added after the container started is running (drift)",
  modified: "Program modified after the container started is running (drift)",
  deleted: "Running program was deleted from disk after it started (drift)",
  "scratch-dir": "Program runs from a scratch directory (drift)",
};

/**
 * The program a process runs as the container sees it: its exe, or the script when the kernel ran a
 * `#!` file (comm is then the script's name, argv[0] the interpreter, argv[1] the script path).
 */
function programsOf(p: ProcessInfo): { path: string; deleted: boolean; script: boolean }[] {
  const out: { path: string; deleted: boolean; script: boolean }[] = [];
  if (p.exe) out.push({ path: p.exe, deleted: !!p.exeDeleted, script: false });
  const script = p.argv[1];
  if (
    script?.startsWith("/") &&
    baseName(script).slice(0, 15) === p.comm &&
    baseName(p.argv[0] ?? "") !== p.comm &&
    script !== p.exe
  )
    out.push({ path: script, deleted: false, script: true });
  return out;
}

export function createDriftDetector(opts: DriftOptions = {}): RuntimeDetector {
  const ind = opts.indicators ?? loadRuntimeIndicators();
  const scratch = ind.drift.scratchDirs.map((d) => d.replace(/\/+$/, ""));
  const changes = new Map<string, Map<string, Reason>>();
  const raised = new Map<string, Set<string>>();

  const inScratch = (path: string) => scratch.some((d) => path === d || path.startsWith(`${d}/`));

  function rememberChanges(id: string, s: ContainerSample) {
    if (!s.changes) return;
    const m = new Map<string, Reason>();
    for (const ch of s.changes) {
      const r = KIND[ch.kind];
      if (r) m.set(ch.path, r);
    }
    changes.set(id, m);
  }

  return {
    name: "drift",
    onSample(c, s, ctx) {
      const id = c.ref.id;
      rememberChanges(id, s);
      const changed = changes.get(id);
      let done = raised.get(id);
      const out: Detection[] = [];
      for (const p of s.processes ?? []) {
        for (const prog of programsOf(p)) {
          const reasons: Reason[] = [];
          const layer = changed?.get(prog.path);
          if (layer) reasons.push(layer);
          if (prog.deleted) reasons.push("deleted");
          if (inScratch(prog.path)) reasons.push("scratch-dir");
          if (reasons.length === 0) continue;
          done ??= raised.set(id, new Set()).get(id)!;
          if (done.has(prog.path)) continue;
          if (done.size >= MAX_REMEMBERED) continue;
          done.add(prog.path);
          const main = reasons[0]!;
          const cmd = p.argv.join(" ").slice(0, 200) || p.comm;
          out.push(
            detection(
              "drift",
              "drift.exec",
              SEVERITY[main],
              TITLE[main],
              c,
              `pid ${p.pid} (${p.comm}) runs ${prog.script ? "script " : ""}${prog.path}${prog.deleted ? " (deleted)" : ""}: ${reasons.join(", ")}`,
              ctx,
              {
                pid: p.pid,
                comm: p.comm,
                path: prog.path,
                script: prog.script,
                reasons,
                cmdline: cmd,
              },
            ),
          );
        }
      }
      return out;
    },
    forget(id) {
      changes.delete(id);
      raised.delete(id);
    },
  };
}
