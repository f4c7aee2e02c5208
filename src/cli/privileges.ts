import { readFileSync } from "node:fs";

/**
 * What the long-running commands (`serve`, `worker`, `monitor`) do about their own privileges before
 * they touch any file: a private umask (state dir 0700, SQLite, WAL, audit log, spool 0600 — they hold
 * token hashes, findings, channel credentials), and a loud warning when `serve` / `worker` run as the
 * host's real root, which neither needs (see SECURITY.md).
 */

/** Files and directories created from now on are readable by this user only. */
export function restrictUmask(): void {
  process.umask(0o077);
}

/** uid 0 mapped to host uid 0 (not a rootless / user-namespace root, which is unprivileged on the host). */
function isHostRoot(): boolean {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return false;
  try {
    const map = readFileSync("/proc/self/uid_map", "utf8").trim().split(/\s+/);
    return map[0] === "0" && map[1] === "0";
  } catch {
    return true;
  }
}

/** One stderr line when running as root without `--allow-root`; `true` when the warning was shown. */
export function warnIfRoot(command: string, allowRoot: boolean | undefined): boolean {
  if (allowRoot || !isHostRoot()) return false;
  console.error(
    `airbag ${command}: WARNING: running as root — it needs no privileges: run it as an unprivileged user ` +
      "(the image's uid 10001), or pass --allow-root to acknowledge",
  );
  return true;
}
