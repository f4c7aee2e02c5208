import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/**
 * `airbag serve` as a real child process of the built CLI (dist/cli/main.js) on 127.0.0.1:0 with its
 * own state dir, every byte it prints kept, for the tests that check what the server writes and logs.
 */

export const CLI = join(import.meta.dirname, "../../dist/cli/main.js");

export interface ServeChild {
  base: string;
  /** the bootstrap admin token from its one "shown once" line */
  adminToken: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for the exit (the audit log is fsynced and closed then) */
  stop(): Promise<void>;
}

export async function startServe(state: string, extra: string[] = []): Promise<ServeChild> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--listen", "127.0.0.1:0", "--state", state, ...extra],
    {
      env: { ...process.env, XDG_STATE_HOME: state, XDG_CACHE_HOME: state },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    child.stderr?.on("data", (b: Buffer) => {
      err += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
  const adminToken = /admin token \(shown once\): (\S+)/.exec(err)?.[1] ?? "";
  return {
    base,
    adminToken,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** how many times `needle` occurs in `hay` */
export function occurrences(hay: string | Buffer, needle: string): number {
  const h = typeof hay === "string" ? Buffer.from(hay) : hay;
  let n = 0;
  for (let i = h.indexOf(needle); i >= 0; i = h.indexOf(needle, i + 1)) n++;
  return n;
}
