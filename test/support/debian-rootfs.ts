import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A real Debian 12 root filesystem made by `debootstrap --variant=minbase bookworm` (≈40 s, ≈200 MB),
 * built once into a cache directory and reused by every later run and every test file.
 *
 * Cache: `$AIRBAG_TEST_CACHE/deb12`, else `<os.tmpdir()>/airbag-test-cache/deb12`. A rootfs counts as
 * complete only when `deb12.complete` exists next to it (written after debootstrap succeeded and the
 * build directory was renamed into place). Concurrent builders serialise on `deb12.lock` (an atomic
 * mkdir holding the builder's PID; a lock whose PID is gone is taken over).
 */

const run = promisify(execFile);

export const CACHE_DIR = process.env.AIRBAG_TEST_CACHE ?? join(tmpdir(), "airbag-test-cache");
export const DEB12_ROOTFS = join(CACHE_DIR, "deb12");
const COMPLETE = join(CACHE_DIR, "deb12.complete");
const LOCK = join(CACHE_DIR, "deb12.lock");

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why the Debian rootfs cannot be had here, or undefined when it can (cached, or buildable). */
export function debianRootfsSkipReason(): string | undefined {
  if (existsSync(COMPLETE) && existsSync(join(DEB12_ROOTFS, "var/lib/dpkg/status"))) return undefined;
  if (!onPath("debootstrap")) return "debootstrap is not installed (apt-get install debootstrap)";
  if (process.getuid?.() !== 0) return "debootstrap needs root to build the Debian 12 rootfs";
  return undefined;
}

/** The Debian mirror apt uses on this machine (deb822 sources first, then sources.list). */
export function debianMirror(): string {
  try {
    const deb822 = readFileSync("/etc/apt/sources.list.d/debian.sources", "utf8");
    const uri = /^URIs:\s*(\S+)/m.exec(deb822)?.[1];
    if (uri) return uri;
  } catch {
    /* fall through */
  }
  try {
    const list = readFileSync("/etc/apt/sources.list", "utf8");
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(?:bookworm|stable)\s/m.exec(list);
    if (m?.[1]) return m[1];
  } catch {
    /* fall through */
  }
  return "http://deb.debian.org/debian";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isComplete(): Promise<boolean> {
  return stat(COMPLETE).then(
    () => existsSync(join(DEB12_ROOTFS, "var/lib/dpkg/status")),
    () => false,
  );
}

async function tryLock(): Promise<boolean> {
  try {
    await mkdir(LOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const owner = Number((await readFile(join(LOCK, "pid"), "utf8").catch(() => "")).trim());
    // no pid yet: the owner is between mkdir and writeFile, unless the lock is old (crashed there)
    const age =
      Date.now() -
      (await stat(LOCK)
        .then((s) => s.mtimeMs)
        .catch(() => Date.now()));
    if ((owner && !alive(owner)) || (!owner && age > 60_000)) {
      await rm(LOCK, { recursive: true, force: true });
      return tryLock();
    }
    return false;
  }
  await writeFile(join(LOCK, "pid"), String(process.pid));
  return true;
}

/**
 * Path to a complete Debian 12 minbase rootfs, building it if needed (waits while another process
 * builds it). Throws when debootstrap fails: that is a real failure, not a reason to skip.
 */
export async function debianRootfs(
  opts: { timeoutMs?: number; log?: (m: string) => void } = {},
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  const log = opts.log ?? ((m: string) => process.stderr.write(`[debian-rootfs] ${m}\n`));
  await mkdir(CACHE_DIR, { recursive: true });
  let waited = false;
  while (!(await isComplete())) {
    if (await tryLock()) {
      try {
        if (await isComplete()) break;
        await build(log);
      } finally {
        await rm(LOCK, { recursive: true, force: true });
      }
      break;
    }
    if (!waited) log(`waiting for another process building ${DEB12_ROOTFS}`);
    waited = true;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${LOCK}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  return DEB12_ROOTFS;
}

async function build(log: (m: string) => void): Promise<void> {
  const work = `${DEB12_ROOTFS}.build-${process.pid}`;
  const mirror = debianMirror();
  await rm(work, { recursive: true, force: true });
  await rm(DEB12_ROOTFS, { recursive: true, force: true });
  log(`debootstrap --variant=minbase bookworm ${work} ${mirror} (first run only, ≈1 min)`);
  const started = Date.now();
  try {
    await run("debootstrap", ["--variant=minbase", "bookworm", work, mirror], {
      maxBuffer: 64 << 20,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const logTail = await readFile(join(work, "debootstrap/debootstrap.log"), "utf8").catch(() => "");
    await rm(work, { recursive: true, force: true });
    throw new Error(
      `debootstrap failed: ${err.message}\n${(err.stdout ?? "").slice(-2000)}\n${logTail.slice(-2000)}`,
    );
  }
  await rename(work, DEB12_ROOTFS);
  await writeFile(COMPLETE, `${new Date().toISOString()} ${mirror}\n`);
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** dpkg-query -f format: status, name, version, arch, source name, source version */
export const DPKG_QUERY_FORMAT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query field syntax, not a template
  "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n";

export interface DpkgEntry {
  name: string;
  version: string;
  arch: string;
  sourceName: string;
  sourceVersion: string;
}

/** Installed packages (status `ii`) as the host's dpkg-query reads them from `<rootfs>/var/lib/dpkg`. */
export async function dpkgQuery(rootfs: string): Promise<DpkgEntry[]> {
  const { stdout } = await run(
    "dpkg-query",
    [`--admindir=${join(rootfs, "var/lib/dpkg")}`, "-W", "-f", DPKG_QUERY_FORMAT],
    { maxBuffer: 64 << 20 },
  );
  return parseDpkgQuery(stdout);
}

/** Parses the output of the format used by {@link dpkgQuery} (also when run inside a container). */
export function parseDpkgQuery(stdout: string): DpkgEntry[] {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"))
    .filter((f) => f[0]?.trim() === "ii")
    .map(([, name = "", version = "", arch = "", sourceName = "", sourceVersion = ""]) => ({
      name,
      version,
      arch,
      sourceName,
      sourceVersion,
    }));
}
