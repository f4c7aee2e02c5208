import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PG_BIN, postgresSkipReason } from "../helpers/postgres.js";
import { freePort } from "../support/registry.js";

/**
 * A throwaway PostgreSQL whose postmaster can be stopped and started again on the same port and data
 * dir (test/helpers/postgres.ts has no restart). Runs as the `postgres` user when we are root, because
 * the server refuses to run as root. Only the postmaster PIDs spawned here are ever signalled.
 */

export { postgresSkipReason };

export interface RestartablePostgres {
  url: string;
  port: number;
  /** PID of the current postmaster, 0 while stopped */
  pid(): number;
  /** "immediate" = SIGQUIT (crash-like, no checkpoint), "fast" = SIGINT (ends sessions cleanly) */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** stop and remove the data dir */
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "airbag-pg-fault-"));
  const ids = postgresIds();
  if (ids) await chown(dir, ids.uid, ids.gid);
  const data = join(dir, "data");
  execFileSync(
    join(PG_BIN, "initdb"),
    ["-D", data, "-A", "trust", "-U", "airbag", "--no-sync", "-E", "UTF8"],
    { stdio: "ignore", cwd: dir, ...ids },
  );
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = "";

  const start = async () => {
    const args = ["-D", data, "-k", dir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"];
    args.push("-c", "fsync=off");
    const c = spawn(join(PG_BIN, "postgres"), args, {
      stdio: ["ignore", "ignore", "pipe"],
      cwd: dir,
      ...ids,
    });
    child = c;
    c.stderr?.on("data", (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    for (let i = 0; ; i++) {
      try {
        execFileSync(join(PG_BIN, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-U", "airbag"], {
          stdio: "ignore",
        });
        return;
      } catch {
        if (i > 200 || c.exitCode !== null) throw new Error(`postgres did not start on ${port}: ${log}`);
        await sleep(100);
      }
    }
  };
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(mode === "immediate" ? "SIGQUIT" : "SIGINT");
    if (!(await exited(c, 10_000))) c.kill("SIGKILL");
    await exited(c, 5000);
  };
  await start();
  return {
    url: `postgres://airbag@127.0.0.1:${port}/postgres`,
    port,
    pid: () => child?.pid ?? 0,
    stop,
    start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
