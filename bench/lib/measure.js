import { fork, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Measurement helpers shared by every bench file. Each measured run happens in a fresh child process so
 * that its peak RSS (`process.resourceUsage().maxRSS`) belongs to that run alone and no run warms the
 * JIT or the heap for the next one.
 */

const CHILD = fileURLToPath(new URL("./child.js", import.meta.url));
const TIME = "/usr/bin/time";

export function median(xs) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Run `task(args)` exported (in `tasks`) from the module at `moduleUrl` in a child process. The child
 * imports the module first, then times only the task. Resolves { ms, cpuMs, peakRssMB, result }.
 */
export function runTaskInChild(moduleUrl, task, args, { execArgv = [], timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let reply;
    // a hung run (deadlocked code under test) must fail the bench, not stall it forever
    const timer = setTimeout(() => {
      reply = { error: `no result after ${timeoutMs / 1000} s; killed` };
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("message", (m) => {
      reply = m;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (reply?.error) reject(new Error(`${task}: ${reply.error}`));
      else if (code !== 0 || !reply) reject(new Error(`${task}: child exited with ${signal ?? code}`));
      else resolve(reply);
    });
    child.send({ moduleUrl, task, args });
  });
}

/** Run an external command; resolves { ms, cpuMs, peakRssMB } (the last two via /usr/bin/time, if present). */
export function runCommand(cmd, args, { stdout = "ignore" } = {}) {
  const timed = existsSync(TIME);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(timed ? TIME : cmd, timed ? ["-f", "@@maxrss=%M cpu=%U+%S", cmd, ...args] : args, {
      stdio: ["ignore", stdout, "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - started;
      const m = /@@maxrss=(\d+) cpu=([\d.]+)\+([\d.]+)/.exec(err);
      if (code !== 0)
        reject(new Error(`${cmd} exited with ${code}: ${err.replace(/@@maxrss=.*/, "").trim()}`));
      else
        resolve({
          ms,
          cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : null,
          peakRssMB: m ? Number(m[1]) / 1024 : null,
        });
    });
  });
}

/**
 * Measure several named contenders `runs` times each, interleaved (a, b, c, a, b, c, …) so drift in
 * machine load or page cache hits them all alike. `contenders` maps name → () => Promise<{ms, peakRssMB}>.
 * Resolves name → { ms (median), samples, cpuMs (median), peakRssMB (max over runs), runs, result (of the
 * last run) }.
 */
export async function measureInterleaved(contenders, runs, log = () => {}) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(contenders)) {
      const r = await run();
      samples[name].push(r);
      log(
        `  ${name} run ${i + 1}/${runs}: ${r.ms.toFixed(0)} ms (cpu ${fmt(r.cpuMs)} ms), peak RSS ${fmt(r.peakRssMB)} MB`,
      );
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, rs]) => [
      name,
      {
        ms: median(rs.map((r) => r.ms)),
        samples: rs.map((r) => Math.round(r.ms)),
        cpuMs: rs.some((r) => r.cpuMs == null) ? null : median(rs.map((r) => r.cpuMs)),
        peakRssMB: rs.every((r) => r.peakRssMB == null) ? null : Math.max(...rs.map((r) => r.peakRssMB ?? 0)),
        runs: rs.length,
        result: rs.at(-1).result,
      },
    ]),
  );
}

const fmt = (v) => (v == null ? "?" : v.toFixed(0));

/** One results.json row (the contract in BRIEF.md "Benchmarks"). */
export function row(name, value, unit, baseline, baselineValue, runs, peakRssMB) {
  const round = (v) => (v == null ? null : Math.round(v * 100) / 100);
  return {
    name,
    value: round(value),
    unit,
    baseline,
    baselineValue: round(baselineValue),
    ratio: baselineValue ? Math.round((value / baselineValue) * 1000) / 1000 : null,
    runs,
    peakRssMB: round(peakRssMB),
  };
}
