import {
  CONTAINERD_SOCKET,
  DEFAULT_DAEMON_JSON,
  daemonJsonHostPath,
  dockerdBinaryPath,
  SYSTEMD_UNIT_FILE_DIRS,
} from "../host-files.js";
import type { BenchCheck, BenchContext, CheckItem, CheckOutcome, HostFacts } from "../types.js";
import { aggregate, check, leveledDefiner, manual, skip } from "./common.js";

/**
 * CIS Docker Benchmark 1.x (host configuration) from host facts: the data-root partition, docker group
 * members and audit rules. 1.2.2 (engine version) lives with the runtime-version checks.
 */

const def = leveledDefiner("host");

/**
 * The rule that audits `path`, if any: `-w P` (a watch on a directory covers everything below it),
 * `-F dir=P` (recursive) or `-F path=P` (exact), as written in audit.rules or printed by `auditctl -l`.
 */
export function auditRuleFor(rules: readonly string[], path: string): string | undefined {
  const under = (dir: string) => {
    const d = dir.replace(/\/+$/, "") || "/";
    return path === d || path.startsWith(d === "/" ? "/" : `${d}/`);
  };
  return rules.find((rule) => {
    const words = rule.split(/\s+/);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const next = words[i + 1];
      if (w === "-w" && next && under(next)) return true;
      if (w === "-F" && next) {
        if (next === `path=${path}`) return true;
        if (next.startsWith("dir=") && under(next.slice(4))) return true;
      }
      if (w.startsWith("-F") && w.length > 2) {
        const f = w.slice(2);
        if (f === `path=${path}` || (f.startsWith("dir=") && under(f.slice(4)))) return true;
      }
    }
    return false;
  });
}

/** Judge audit coverage of host paths; absent paths are "not applicable" (CIS: "if applicable"). */
function audited(host: HostFacts | undefined, paths: readonly string[]): CheckOutcome {
  if (!host) return skip("no host facts (run on the host or give --host-root)");
  if (!host.auditRules) return skip("audit rules unreadable");
  const present = paths.filter((p) => host.files[p]?.exists !== false);
  if (present.length === 0)
    return { result: "pass", evidence: `${paths.join(", ")} not present on this host; nothing to audit` };
  const items: CheckItem[] = present.map((p) => {
    const rule = auditRuleFor(host.auditRules!, p);
    return rule
      ? { subject: p, result: "pass", evidence: `audited by "${rule}"` }
      : { subject: p, result: "fail", evidence: "no audit rule" };
  });
  return aggregate(items, "paths");
}

const auditRemediation = (path: string) =>
  `Add \`-w ${path} -k docker\` to /etc/audit/rules.d/docker.rules and reload the rules (\`augenrules --load\`).`;

const auditCheck = (
  id: string,
  target: string,
  level: 1 | 2,
  paths: (ctx: BenchContext) => readonly string[],
  example: string,
): BenchCheck =>
  check(
    def(
      id,
      `Ensure auditing is configured for Docker files and directories - ${target}`,
      level,
      true,
      "low",
      auditRemediation(example),
    ),
    (ctx) => audited(ctx.host, paths(ctx)),
  );

const fixed = (path: string) => () => [path];
const units = (name: string) => () => SYSTEMD_UNIT_FILE_DIRS.map((d) => `${d}/${name}`);
const dataRoot = (ctx: BenchContext): string => {
  const v = ctx.daemon.settings["data-root"]?.value;
  return typeof v === "string" && v.startsWith("/") ? v.replace(/\/+$/, "") : "/var/lib/docker";
};

export const HOST_CHECKS: BenchCheck[] = [
  check(
    def(
      "1.1.1",
      "Ensure a separate partition for containers has been created",
      1,
      true,
      "low",
      "Mount the Docker data root (/var/lib/docker, or the configured data-root) on its own partition or logical volume, so that filling it cannot fill the root filesystem.",
    ),
    (ctx) => {
      const host = ctx.host;
      if (!host) return skip("no host facts (run on the host or give --host-root)");
      if (!host.mounts) return skip("/proc/mounts unreadable");
      const root = dataRoot(ctx);
      if (host.files[root]?.exists === false) return skip(`${root} not present on this host`);
      const mount = [...host.mounts].reverse().find((m) => m.mountPoint.replace(/\/+$/, "") === root);
      return mount
        ? { result: "pass", evidence: `${root} is a mount point (${mount.device}, ${mount.fsType})` }
        : { result: "fail", evidence: `${root} is not a separate mount point` };
    },
  ),
  check(
    def(
      "1.1.2",
      "Ensure only trusted users are allowed to control Docker daemon",
      1,
      true,
      "high",
      "Remove users who should not have root-equivalent access from the docker group (`gpasswd -d USER docker`).",
    ),
    (ctx) => {
      // membership is root-equivalent; whether a member is trusted is for a person to decide, so members
      // other than root are raised for review (warn), never failed
      const host = ctx.host;
      if (!host) return skip("no host facts (run on the host or give --host-root)");
      if (!host.dockerGroup) return skip("no docker group (or /etc/group unreadable)");
      const others = host.dockerGroup.filter((u) => u !== "root");
      if (others.length === 0)
        return { result: "pass", evidence: "the docker group has no members besides root" };
      return {
        result: "warn",
        evidence: `docker group members (root-equivalent access; confirm each is trusted): ${others.join(", ")}`,
        items: others.map((u) => ({
          subject: u,
          result: "warn" as const,
          evidence: "member of the docker group",
        })),
      };
    },
  ),
  check(
    def(
      "1.1.3",
      "Ensure auditing is configured for the Docker daemon",
      1,
      true,
      "low",
      auditRemediation("/usr/bin/dockerd"),
    ),
    (ctx) => audited(ctx.host, [dockerdBinaryPath(ctx.daemon)]),
  ),
  auditCheck("1.1.4", "/run/containerd", 1, fixed("/run/containerd"), "/run/containerd"),
  auditCheck("1.1.5", "/var/lib/docker", 1, (ctx) => [dataRoot(ctx)], "/var/lib/docker"),
  auditCheck("1.1.6", "/etc/docker", 1, fixed("/etc/docker"), "/etc/docker"),
  auditCheck("1.1.7", "docker.service", 1, units("docker.service"), "/lib/systemd/system/docker.service"),
  auditCheck("1.1.8", "containerd.sock", 2, fixed(CONTAINERD_SOCKET), CONTAINERD_SOCKET),
  auditCheck("1.1.9", "docker.socket", 2, units("docker.socket"), "/lib/systemd/system/docker.socket"),
  auditCheck("1.1.10", "/etc/default/docker", 2, fixed("/etc/default/docker"), "/etc/default/docker"),
  auditCheck(
    "1.1.11",
    "/etc/docker/daemon.json",
    2,
    (ctx) => [daemonJsonHostPath(ctx.daemon)],
    DEFAULT_DAEMON_JSON,
  ),
  auditCheck(
    "1.1.12",
    "/etc/containerd/config.toml",
    2,
    fixed("/etc/containerd/config.toml"),
    "/etc/containerd/config.toml",
  ),
  auditCheck("1.1.13", "/etc/sysconfig/docker", 2, fixed("/etc/sysconfig/docker"), "/etc/sysconfig/docker"),
  auditCheck("1.1.14", "/usr/bin/containerd", 2, fixed("/usr/bin/containerd"), "/usr/bin/containerd"),
  auditCheck(
    "1.1.15",
    "/usr/bin/containerd-shim",
    2,
    fixed("/usr/bin/containerd-shim"),
    "/usr/bin/containerd-shim",
  ),
  auditCheck(
    "1.1.16",
    "/usr/bin/containerd-shim-runc-v1",
    2,
    fixed("/usr/bin/containerd-shim-runc-v1"),
    "/usr/bin/containerd-shim-runc-v1",
  ),
  auditCheck(
    "1.1.17",
    "/usr/bin/containerd-shim-runc-v2",
    2,
    fixed("/usr/bin/containerd-shim-runc-v2"),
    "/usr/bin/containerd-shim-runc-v2",
  ),
  auditCheck("1.1.18", "/usr/bin/runc", 2, fixed("/usr/bin/runc"), "/usr/bin/runc"),
  manual(
    def(
      "1.2.1",
      "Ensure the container host has been Hardened",
      1,
      false,
      "medium",
      "Harden the host OS following its own CIS benchmark (or a comparable baseline): minimal packages, patched kernel, restricted SSH, enforced MAC (AppArmor/SELinux).",
    ),
    "host hardening cannot be decided by a tool; review it against the OS's CIS benchmark",
  ),
];
