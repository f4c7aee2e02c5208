import type { ContentConsumer, ContentHit, ContentScanner } from "../detector.js";
import { ACCOUNT_FILES, checkAccountFile } from "./accounts.js";
import { CHECKS, type MisconfigCheck, sample } from "./checks.js";

/**
 * Misconfiguration checks over the files of the final image. Most need only path and mode bits
 * (setuid, world-writable, caches, sudo, sshd, `.git`…); the account databases are read (they are small).
 *
 * Per-file facts are summarised: "89 .deb files in var/cache/apt/archives" is one finding with a
 * sample of paths, not 89 findings. That needs state across files and a last call, so the scanner is
 * made per scan by {@link createMisconfigFileScanner} and the pipeline calls `finish()` after the walk
 * (the account-file hits come back per file, through `end()`, like any content scanner's).
 */

/** A finding that summarises many files; `path` is the directory or first file it is about. */
export interface FileCheckFinding extends ContentHit {
  path: string;
}

export interface MisconfigFileScanner extends ContentScanner {
  /** summary findings; call once, after the last file */
  finish(): FileCheckFinding[];
}

type Group =
  | "setuid"
  | "setuid-unusual"
  | "world-writable"
  | "apt"
  | "apk"
  | "pip"
  | "npm"
  | "yarn"
  | "rpm"
  | "sudo"
  | "sshd"
  | "git"
  | "aws"
  | "ssh"
  | "docker";

const SETID = 0o6000;
const WORLD_WRITE = 0o002;
const STICKY = 0o1000;

// where distro packages put their (few) setuid programs
const SYSTEM_BIN = /^(?:usr\/(?:local\/)?)?(?:s?bin|lib(?:32|64|x32|exec)?)\//;
const SYSTEM_DIR = /^(?:bin|sbin|etc|usr|lib|lib32|lib64|libx32)\//;
const HOME = "(?:root|home/[^/]+)";

/** cache location → package manager; what each leaves behind when nobody cleans up */
const CACHES: [RegExp, Group][] = [
  [/^var\/lib\/apt\/lists\/(?!lock$|partial\/|auxfiles\/)[^/]+$/, "apt"],
  [/^var\/cache\/apt\/(?:archives\/[^/]+\.deb|[^/]+\.bin)$/, "apt"],
  [/^(?:var\/cache\/apk|etc\/apk\/cache)\/[^/]+$/, "apk"],
  [new RegExp(`^${HOME}/\\.cache/pip/`), "pip"],
  [new RegExp(`^${HOME}/\\.npm/_cacache/`), "npm"],
  [new RegExp(`^(?:${HOME}/\\.cache/yarn|usr/local/share/\\.cache/yarn)/`), "yarn"],
  [/^var\/cache\/(?:dnf|yum)\/.+\.(?:rpm|solv|solvx|xml\.gz|xml\.zst|sqlite(?:\.bz2)?)$/, "rpm"],
];
const CACHE_DIR: Record<string, string> = {
  apt: "var/lib/apt/lists, var/cache/apt",
  apk: "var/cache/apk",
  pip: "~/.cache/pip",
  npm: "~/.npm/_cacache",
  yarn: "yarn cache",
  rpm: "var/cache/dnf, var/cache/yum",
};

const SUDO = new Set(["usr/bin/sudo", "bin/sudo", "usr/local/bin/sudo"]);
const SSHD = new Set(["usr/sbin/sshd", "sbin/sshd", "usr/local/sbin/sshd"]);
// a directory that should not ship, recognised by any file inside it
const LEFTOVER: Record<string, Group> = { ".git": "git", ".aws": "aws", ".ssh": "ssh", ".docker": "docker" };
// vendored dependencies carry their own dotfiles; dockle skips them for the same reason
const VENDORED = /(?:^|\/)(?:node_modules|vendor)\//;

const ACCOUNT_CAP = 4 << 20;

const normalise = (p: string): string => p.replace(/^(?:\.\/|\/)+/, "");

/** The groups a file belongs to (cheap string and bit tests: this runs for every file). */
function groupsOf(path: string, mode: number): Group[] {
  const out: Group[] = [];
  if (mode & SETID) out.push(SYSTEM_BIN.test(path) ? "setuid" : "setuid-unusual");
  if (mode & WORLD_WRITE && !(mode & STICKY) && SYSTEM_DIR.test(path)) out.push("world-writable");
  if (
    path.startsWith("var/") ||
    path.startsWith("etc/apk") ||
    path.includes(".cache") ||
    path.includes(".npm")
  )
    for (const [re, group] of CACHES) if (re.test(path)) out.push(group);
  if (SUDO.has(path)) out.push("sudo");
  if (SSHD.has(path)) out.push("sshd");
  if (path.includes("/.") || path.startsWith(".")) {
    const segments = path.split("/");
    const at = segments.findIndex((s, i) => i < segments.length - 1 && LEFTOVER[s] !== undefined);
    if (at >= 0 && !VENDORED.test(path)) out.push(LEFTOVER[segments[at] as string] as Group);
  }
  return out;
}

const leftoverDir = (path: string): string => {
  const segments = path.split("/");
  const at = segments.findIndex((s) => LEFTOVER[s] !== undefined);
  return segments.slice(0, at + 1).join("/");
};

const done: ContentConsumer = { write: () => false, end: () => [] };

export function createMisconfigFileScanner(): MisconfigFileScanner {
  const seen = new Map<Group, Set<string>>();
  const record = (group: Group, path: string): void => {
    const set = seen.get(group) ?? new Set<string>();
    seen.set(group, set);
    set.add(path);
  };

  return {
    name: "misconfig-files",
    version: 1,
    scope: "final",
    wants(path, _size, mode) {
      const p = normalise(path);
      return ACCOUNT_FILES.has(p) || groupsOf(p, mode).length > 0;
    },
    consume(path, _size, mode) {
      const p = normalise(path);
      // recorded here, not in wants: only files the walker actually delivers are in the final image
      for (const g of groupsOf(p, mode)) record(g, p);
      if (!ACCOUNT_FILES.has(p)) return done;
      const chunks: Buffer[] = [];
      let size = 0;
      return {
        write(chunk) {
          chunks.push(chunk);
          size += chunk.length;
          return size < ACCOUNT_CAP;
        },
        end: () => checkAccountFile(p, Buffer.concat(chunks).subarray(0, ACCOUNT_CAP).toString("utf8")),
      };
    },
    finish: () => summarise(seen),
  };
}

function summarise(seen: Map<Group, Set<string>>): FileCheckFinding[] {
  const out: FileCheckFinding[] = [];
  const paths = (g: Group): string[] => [...(seen.get(g) ?? [])].sort();
  const add = (check: MisconfigCheck, path: string, evidence: string, severity = check.severity): void => {
    out.push({ kind: "misconfig", id: check.id, severity, title: check.title, path, evidence });
  };
  const files = (list: string[]): string => `${list.length} file(s): ${sample(list)}`;

  for (const [group, check] of [
    ["setuid", CHECKS.setuid],
    ["setuid-unusual", CHECKS.setuidUnusual],
    ["world-writable", CHECKS.worldWritable],
  ] as const) {
    const list = paths(group);
    if (list.length) add(check, list[0] as string, files(list));
  }
  const apt = paths("apt");
  if (apt.length) add(CHECKS.aptCache, apt[0] as string, `${CACHE_DIR.apt}: ${files(apt)}`);
  const apk = paths("apk");
  if (apk.length) add(CHECKS.apkCache, apk[0] as string, `${CACHE_DIR.apk}: ${files(apk)}`);
  for (const group of ["pip", "npm", "yarn", "rpm"] as const) {
    const list = paths(group);
    if (list.length)
      add(CHECKS.packageCache, list[0] as string, `${group} cache (${CACHE_DIR[group]}): ${files(list)}`);
  }
  const sudo = paths("sudo");
  if (sudo.length) add(CHECKS.sudoInstalled, sudo[0] as string, `${sudo.join(", ")} is installed`);
  const sshd = paths("sshd");
  if (sshd.length) add(CHECKS.sshServer, sshd[0] as string, `SSH server ${sshd.join(", ")} is installed`);
  for (const group of ["git", "aws", "ssh", "docker"] as const) {
    const list = paths(group);
    if (!list.length) continue;
    const dirs = [...new Set(list.map(leftoverDir))].sort();
    // .git leaks source and history; the others hold credentials
    const severity = group === "git" ? CHECKS.leftoverDirs.severity : "medium";
    add(
      CHECKS.leftoverDirs,
      dirs[0] as string,
      `${dirs.length} director(y/ies): ${sample(dirs)}; ${files(list)}`,
      severity,
    );
  }
  return out;
}
