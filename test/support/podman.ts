import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A hermetic podman with a Docker-compatible API, as /work/shared/RECIPES.md describes: its own temp dir,
 * a containers.conf selecting runc + cgroupfs + file events + low ulimits (the machine lacks
 * CAP_SYS_RESOURCE and has hybrid cgroups), its own `--root/--runroot/--tmpdir`, and a unix socket.
 * `stop()` ends only the service PID this module started, then removes the containers and the temp dir.
 */

export interface PodmanResult {
  stdout: string;
  stderr: string;
}

export interface PodmanService {
  /** path of the Docker-API unix socket (`unix://${socket}` for clients) */
  socket: string;
  root: string;
  runroot: string;
  /** the temp dir holding everything (free for the caller's files too) */
  tmp: string;
  /** storage driver podman picked (overlay, vfs); skopeo needs it in `containers-storage:` */
  driver: string;
  /** environment with CONTAINERS_CONF pointing at the hermetic config */
  env: NodeJS.ProcessEnv;
  /** pid of the `podman system service` process */
  pid: number;
  /** the podman CLI against the same storage as the service */
  podman(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<PodmanResult>;
  /** skopeo transport for an image in this storage: `containers-storage:[driver@root+runroot]IMAGE` */
  storageRef(image: string): string;
  /** GET a Docker API path over the socket (e.g. `/v1.41/version`) */
  api(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** the static busybox tests copy into tiny images (Debian busybox-static) */
export const BUSYBOX = "/bin/busybox";

/** Why a hermetic podman with a busybox image cannot run here, or undefined when it can. */
export function podmanBusyboxSkipReason(): string | undefined {
  const p = podmanSkipReason();
  if (p) return p;
  try {
    execFileSync("sh", ["-c", `test -x ${BUSYBOX}`]);
  } catch {
    return "busybox-static is not installed (apt-get install busybox-static)";
  }
  return undefined;
}

/** Why a hermetic podman cannot run here, or undefined when it can. */
export function podmanSkipReason(extra: string[] = []): string | undefined {
  for (const tool of ["podman", "runc", ...extra])
    if (!onPath(tool)) return `${tool} is not installed (apt-get install ${tool})`;
  if (process.platform !== "linux") return "podman tests need Linux";
  return undefined;
}

function exec(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<PodmanResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env, maxBuffer: 256 << 20, timeout: opts.timeoutMs ?? 300_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${file} ${args.join(" ")} failed: ${err.message}\n${stderr}`.trim()));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function apiGet(socket: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: "GET", host: "d" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.end();
  });
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

/** Mount points at or below `dir`, deepest first (overlay mounts podman may leave behind). */
function mountsUnder(dir: string): string[] {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4]?.replace(/\\040/g, " "))
      .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
      .sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

export async function startPodman(opts: { startTimeoutMs?: number } = {}): Promise<PodmanService> {
  const reason = podmanSkipReason();
  if (reason) throw new Error(`cannot start podman: ${reason}`);
  const tmp = await mkdtemp(join(tmpdir(), "airbag-podman-"));
  const root = join(tmp, "root");
  const runroot = join(tmp, "runroot");
  const libpodTmp = join(tmp, "libpod-tmp");
  const socket = join(tmp, "podman.sock");
  const conf = join(tmp, "containers.conf");
  await writeFile(conf, CONTAINERS_CONF);
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf };
  const globals = ["--root", root, "--runroot", runroot, "--tmpdir", libpodTmp];

  const child = spawn("podman", [...globals, "system", "service", "--time=0", `unix://${socket}`], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8000);
  });
  const pid = child.pid;
  const cleanup = async () => {
    if (!(await exited(child, 0))) {
      child.kill("SIGTERM");
      if (!(await exited(child, 10_000))) child.kill("SIGKILL");
      await exited(child, 5000);
    }
    for (const m of mountsUnder(tmp)) {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        /* not ours to fix; rm below reports what is left */
      }
    }
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  };
  if (pid === undefined) {
    await cleanup();
    throw new Error("cannot start podman system service: spawn failed");
  }

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new Error(`podman system service exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const ok = await apiGet(socket, "/v1.41/version").then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`podman system service did not answer on ${socket}: ${stderr}`);
    }
    await sleep(200);
  }

  const podman = (args: string[], o?: { input?: string | Buffer; timeoutMs?: number }) =>
    exec("podman", [...globals, ...args], env, o);
  const driver =
    (
      await podman(["info", "--format", "{{.Store.GraphDriverName}}"]).catch(() => ({ stdout: "" }))
    ).stdout.trim() || "overlay";
  let stopped = false;
  return {
    socket,
    root,
    runroot,
    tmp,
    driver,
    env,
    pid,
    podman,
    storageRef: (image) => `containers-storage:[${driver}@${root}+${runroot}]${image}`,
    api: (path) => apiGet(socket, path),
    async stop() {
      if (stopped) return;
      stopped = true;
      // containers first (their conmon processes belong to this storage), then the service we started
      await podman(["rm", "--all", "--force"], { timeoutMs: 60_000 }).catch(() => {});
      await cleanup();
    },
  };
}

/** Import `localhost/bb:1`: static busybox as /bin/busybox with `applets` linked beside it. */
export async function importBusyboxImage(
  podman: PodmanService,
  tmp: string,
  applets: readonly string[],
): Promise<void> {
  const rootfs = join(tmp, "rootfs");
  await mkdir(join(rootfs, "bin"), { recursive: true });
  execFileSync("cp", [BUSYBOX, join(rootfs, "bin/busybox")]);
  for (const c of applets) await symlink("busybox", join(rootfs, "bin", c));
  execFileSync("tar", ["-C", rootfs, "-cf", join(tmp, "bb.tar"), "."]);
  await podman.podman(["import", join(tmp, "bb.tar"), "localhost/bb:1"]);
}
