import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throwaway PostgreSQL 15 cluster for tests: `initdb` into a temp dir (owned by the `postgres` user
 * when running as root, since the server refuses to run as root), `postgres` listening on 127.0.0.1 at a
 * free port with its socket in the same dir, trust auth for user `airbag`. `stop()` ends only the
 * postmaster this module started (by PID) and removes the dir.
 */

export const PG_BIN = process.env.AIRBAG_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface RunningPostgres {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresSkipReason(): string | undefined {
  for (const tool of ["initdb", "postgres", "pg_isready"])
    if (!existsSync(join(PG_BIN, tool))) return `${PG_BIN}/${tool} missing (apt-get install postgresql)`;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** postgres refuses to run as root: then run it as the `postgres` user (spawned directly, so the PID is the postmaster's) */
function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

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

/**
 * One that can also be stopped and started again on the same port and data dir (fault tests restart
 * it under a running server).
 */
export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "airbag-pg-"));
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
  try {
    await start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
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

export async function startPostgres(): Promise<RunningPostgres> {
  const pg = await startRestartablePostgres();
  return { url: pg.url, port: pg.port, pid: pg.pid(), stop: () => pg.destroy() };
}
