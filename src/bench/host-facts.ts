import { execFile } from "node:child_process";
import { access, constants, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { certsDirEntries, fileFact, hostFilePaths } from "./host-files.js";
import type { EffectiveDaemonConfig, FileFact, HostFacts } from "./types.js";

export { HOST_FILE_PATHS, hostFilePaths } from "./host-files.js";

/**
 * Host facts for CIS sections 1 and 3, read from a host root (`/`, or a host mounted elsewhere):
 * docker group members, audit rules, mounts, and the owner/mode of the engine's files.
 */

export interface CollectHostFactsOptions {
  root?: string;
  daemon: EffectiveDaemonConfig;
  /**
   * auditctl binary, run (`-l`, 5 s timeout) only when root is "/"; false never runs it. Default: the
   * first of /usr/sbin/auditctl, /sbin/auditctl that exists.
   */
  auditctl?: string | false;
  /** environment bench runs in (DOCKER_CONTENT_TRUST) */
  env?: NodeJS.ProcessEnv;
}

const AUDITCTL_TIMEOUT_MS = 5000;

export async function collectHostFacts(options: CollectHostFactsOptions): Promise<HostFacts> {
  const root = options.root ?? "/";
  const env = options.env ?? process.env;
  const passwd = await readText(root, "/etc/passwd");
  const group = await readText(root, "/etc/group");
  const users = parseIds(passwd);
  const groups = parseIds(group);

  const paths = [...hostFilePaths(options.daemon), ...(await certsDirEntries(root))];
  const files: Record<string, FileFact> = {};
  for (const path of paths) files[path] = await fileFact(root, path, { users, groups });

  const dockerGroup = group === undefined ? undefined : dockerGroupMembers(group, passwd ?? "");
  const auditRules = await readAuditRules(root, options.auditctl);
  const mountsText = await readText(root, "/proc/mounts");
  const contentTrust = env.DOCKER_CONTENT_TRUST;
  return {
    root,
    ...(dockerGroup ? { dockerGroup } : {}),
    ...(auditRules ? { auditRules } : {}),
    ...(mountsText !== undefined ? { mounts: parseMounts(mountsText) } : {}),
    files,
    ...(contentTrust !== undefined ? { contentTrust } : {}),
  };
}

async function readText(root: string, hostPath: string): Promise<string | undefined> {
  return readFile(join(root, hostPath), "utf8").catch(() => undefined);
}

/** id → name from passwd or group lines (`name:x:id:…`) */
function parseIds(text: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of (text ?? "").split("\n")) {
    const [name, , id] = line.split(":");
    const n = Number(id);
    if (name && id !== undefined && id !== "" && Number.isInteger(n) && !out.has(n)) out.set(n, name);
  }
  return out;
}

/**
 * Members of the docker group: listed in /etc/group, plus users whose primary group it is (they can
 * use the socket too but never appear in the group line). undefined when there is no docker group.
 */
export function dockerGroupMembers(group: string, passwd: string): string[] | undefined {
  const line = group.split("\n").find((l) => l.startsWith("docker:"));
  if (!line) return undefined;
  const [, , gid, list] = line.split(":");
  const members = new Set(
    (list ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean),
  );
  for (const entry of passwd.split("\n")) {
    const [name, , , primary] = entry.split(":");
    if (name && gid !== undefined && gid !== "" && primary === gid) members.add(name);
  }
  return [...members].sort();
}

/** `device mountpoint fstype …` lines; octal escapes (\040 for a space) decoded */
export function parseMounts(text: string): { device: string; mountPoint: string; fsType: string }[] {
  const decodeOctal = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3)
    .map(([device, mountPoint, fsType]) => ({
      device: decodeOctal(device!),
      mountPoint: decodeOctal(mountPoint!),
      fsType: fsType!,
    }));
}

/**
 * Rule lines from audit.rules, rules.d/*.rules and (live host only) `auditctl -l`. A host without
 * /etc/audit and without auditctl has no audit rules: [] (the 1.1.x checks fail, which is right).
 * undefined only when the rules exist but cannot be read.
 */
async function readAuditRules(
  root: string,
  auditctl: string | false | undefined,
): Promise<string[] | undefined> {
  const lines: string[] = [];
  let unreadable = false;
  const addText = (text: string) => {
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line && !line.startsWith("#") && line !== "No rules") lines.push(line);
    }
  };
  const readRules = async (hostPath: string) => {
    try {
      addText(await readFile(join(root, hostPath), "utf8"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") unreadable = true;
    }
  };
  await readRules("/etc/audit/audit.rules");
  try {
    const names = (await readdir(join(root, "/etc/audit/rules.d")))
      .filter((n) => n.endsWith(".rules"))
      .sort();
    for (const name of names) await readRules(`/etc/audit/rules.d/${name}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") unreadable = true;
  }
  if (root === "/" && auditctl !== false) {
    const binary = auditctl ?? (await firstExecutable(["/usr/sbin/auditctl", "/sbin/auditctl"]));
    if (binary) {
      const out = await runAuditctl(binary);
      if (out !== undefined) addText(out);
    }
  }
  return unreadable && lines.length === 0 ? undefined : lines;
}

async function firstExecutable(candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) {
    if (
      await access(c, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return c;
  }
  return undefined;
}

/** `auditctl -l` stdout, or undefined when it fails (no CAP_AUDIT_CONTROL, no auditd) or times out */
function runAuditctl(binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ["-l"], { timeout: AUDITCTL_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}
