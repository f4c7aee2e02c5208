import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { SYSTEMD_UNIT_DIRS } from "./dockerd-sources.js";
import type { EffectiveDaemonConfig, FileFact } from "./types.js";

/**
 * The host files CIS sections 1 (audit rules) and 3 (owner and mode) ask about, and their stat facts
 * read under a host root. Symlinks are resolved inside the root (an absolute target restarts at the
 * root), so `/var/run → /run` on a host mounted at /host does not escape to the scanner's own /run.
 */

/** where packages and admins put unit files (the runtime /run directory holds none of docker's) */
export const SYSTEMD_UNIT_FILE_DIRS = SYSTEMD_UNIT_DIRS.filter((d) => d !== "/run/systemd/system");

export const DOCKER_UNIT_PATHS = SYSTEMD_UNIT_FILE_DIRS.flatMap((dir) => [
  `${dir}/docker.service`,
  `${dir}/docker.socket`,
]);

export const DOCKER_SOCKET = "/var/run/docker.sock";
export const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
export const CERTS_DIR = "/etc/docker/certs.d";
export const DEFAULT_DAEMON_JSON = "/etc/docker/daemon.json";

/** Fixed paths (host paths) sections 1 and 3 name. */
export const HOST_FILE_PATHS: readonly string[] = [
  ...DOCKER_UNIT_PATHS,
  "/etc/docker",
  CERTS_DIR,
  DOCKER_SOCKET,
  DEFAULT_DAEMON_JSON,
  "/etc/default/docker",
  "/etc/sysconfig/docker",
  CONTAINERD_SOCKET,
  "/etc/containerd/config.toml",
  "/var/lib/docker",
  "/run/containerd",
  "/usr/bin/dockerd",
  "/usr/bin/containerd",
  "/usr/bin/containerd-shim",
  "/usr/bin/containerd-shim-runc-v1",
  "/usr/bin/containerd-shim-runc-v2",
  "/usr/bin/runc",
];

const stringSetting = (daemon: EffectiveDaemonConfig, key: string): string | undefined => {
  const v = daemon.settings[key]?.value;
  return typeof v === "string" && v !== "" ? v : undefined;
};

/** TLS file paths the daemon is configured with (3.9–3.14), by daemon.json key. */
export function tlsPaths(
  daemon: EffectiveDaemonConfig,
): Partial<Record<"tlscacert" | "tlscert" | "tlskey", string>> {
  const out: Partial<Record<"tlscacert" | "tlscert" | "tlskey", string>> = {};
  for (const key of ["tlscacert", "tlscert", "tlskey"] as const) {
    const path = stringSetting(daemon, key);
    if (path?.startsWith("/")) out[key] = path;
  }
  return out;
}

/** The daemon.json dockerd reads on this host: `--config-file` when given, else the default. */
export function daemonJsonHostPath(daemon: EffectiveDaemonConfig): string {
  const args = daemon.commandLine ?? [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("--config-file=")) return a.slice("--config-file=".length);
    if (a === "--config-file" && args[i + 1]) return args[i + 1]!;
  }
  return DEFAULT_DAEMON_JSON;
}

/** The dockerd binary for 1.1.3: the running/unit command's argv[0] when absolute, else /usr/bin/dockerd. */
export function dockerdBinaryPath(daemon: EffectiveDaemonConfig): string {
  const argv0 = daemon.commandLine?.[0];
  return argv0?.startsWith("/") ? argv0 : "/usr/bin/dockerd";
}

/** Every path to stat for this daemon: the fixed list plus config-dependent ones. */
export function hostFilePaths(daemon: EffectiveDaemonConfig): string[] {
  return [
    ...new Set([
      ...HOST_FILE_PATHS,
      ...Object.values(tlsPaths(daemon)),
      daemonJsonHostPath(daemon),
      dockerdBinaryPath(daemon),
    ]),
  ];
}

const MAX_LINKS = 40;

/** Resolve a host path to a real path under `root`, following symlinks as if `root` were `/`. */
export async function resolveInRoot(root: string, hostPath: string): Promise<string | undefined> {
  const pending = hostPath.split("/").filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    const real = join(root, ...done, part);
    const st = await lstat(real).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    const target = await readlink(real);
    if (target.startsWith("/")) done.length = 0;
    pending.unshift(...target.split("/").filter(Boolean));
  }
  return join(root, ...done);
}

/** Entries of /etc/docker/certs.d: each registry directory and the files in it (host paths). */
export async function certsDirEntries(root: string): Promise<string[]> {
  const dir = await resolveInRoot(root, CERTS_DIR);
  if (!dir) return [];
  const out: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const host = posix.join(CERTS_DIR, name);
    out.push(host);
    const inner = await resolveInRoot(root, host);
    const st = inner ? await stat(inner).catch(() => undefined) : undefined;
    if (!st?.isDirectory()) continue;
    for (const file of await readdir(inner!).catch(() => [] as string[])) out.push(posix.join(host, file));
  }
  return out.sort();
}

/** stat of one host path, owner and group named from the host's passwd/group. */
export async function fileFact(
  root: string,
  hostPath: string,
  names: { users: Map<number, string>; groups: Map<number, string> },
): Promise<FileFact> {
  const real = await resolveInRoot(root, hostPath);
  const st = real ? await lstat(real).catch(() => undefined) : undefined;
  if (!st) return { path: hostPath, exists: false };
  const type = st.isFile()
    ? "file"
    : st.isDirectory()
      ? "directory"
      : st.isSocket()
        ? "socket"
        : st.isSymbolicLink()
          ? "symlink"
          : "other";
  const owner = names.users.get(st.uid);
  const group = names.groups.get(st.gid);
  return {
    path: hostPath,
    exists: true,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    ...(owner !== undefined ? { owner } : {}),
    ...(group !== undefined ? { group } : {}),
  };
}
