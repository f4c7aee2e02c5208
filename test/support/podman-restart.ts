import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { PodmanService } from "./podman.js";

/**
 * Restart the API service of a hermetic podman (test/support/podman.ts) the way an engine restart looks
 * to a client: the running `podman system service` is killed (its PID only), something may happen while
 * no API answers (containers started with the CLI still write to the event log), and a new service is
 * started on the same socket with the same storage flags. The caller stops the new service with
 * `stop()` before `PodmanService.stop()`, which only knows the first one.
 */

export interface RestartedService {
  pid: number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export async function restartPodmanService(
  podman: PodmanService,
  whileDown: () => Promise<void> = async () => {},
): Promise<RestartedService> {
  process.kill(podman.pid, "SIGKILL");
  if (!(await waitGone(podman.pid, 10_000))) throw new Error(`podman service ${podman.pid} did not exit`);
  await whileDown();
  await rm(podman.socket, { force: true });
  // the flags startPodman gives the service (podman.ts): same storage, same event log
  const globals = [
    "--root",
    podman.root,
    "--runroot",
    podman.runroot,
    "--tmpdir",
    join(podman.tmp, "libpod-tmp"),
  ];
  const child = spawn("podman", [...globals, "system", "service", "--time=0", `unix://${podman.socket}`], {
    env: podman.env,
    stdio: "ignore",
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot restart podman system service: spawn failed");
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    if (!(await waitGone(pid, 10_000))) child.kill("SIGKILL");
    await waitGone(pid, 5000);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`restarted podman service exited (${child.exitCode})`);
    const ok = await podman.api("/v1.41/version").then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error("restarted podman service did not answer");
    }
    await sleep(200);
  }
}
