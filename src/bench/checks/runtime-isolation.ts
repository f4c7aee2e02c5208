import type { ContainerInspect } from "../../engine/types.js";
import type { Severity } from "../../model/index.js";
import type { BenchCheck } from "../types.js";
import { check, definer, fail, pass, perContainer, skip } from "./common.js";

/**
 * CIS Docker Benchmark 5.x, isolation half: privileges, capabilities, namespaces, mounts and security
 * profiles, judged from container inspect data. The same judges serve `airbag monitor`'s "risky
 * container started" detector, so each one only reads the inspect object.
 */

const def = definer("runtime");

/** Docker's default capability set; anything added beyond it widens the attack surface. */
export const DEFAULT_CAPS = new Set([
  "CHOWN",
  "DAC_OVERRIDE",
  "FSETID",
  "FOWNER",
  "MKNOD",
  "NET_RAW",
  "SETGID",
  "SETUID",
  "SETFCAP",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "KILL",
  "AUDIT_WRITE",
]);
/** capabilities that amount to host root or container escape on their own */
export const ESCAPE_CAPS = new Set([
  "ALL",
  "SYS_ADMIN",
  "SYS_MODULE",
  "SYS_PTRACE",
  "DAC_READ_SEARCH",
  "SYS_RAWIO",
  "BPF",
]);

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");
const secOpts = (c: ContainerInspect) => c.HostConfig?.SecurityOpt ?? [];
/** `seccomp=unconfined` (Docker), `seccomp:unconfined` (old syntax) */
const secOpt = (c: ContainerInspect, key: string) =>
  secOpts(c)
    .map((o) => o.split(/[=:]/))
    .find(([k]) => k === key)
    ?.slice(1)
    .join("=");

export const SENSITIVE_DIRS = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"];
const ENGINE_SOCKETS = /(?:^|\/)(?:docker|podman|containerd|crio)\.sock$/;

function hostNamespace(
  id: string,
  what: string,
  field: "NetworkMode" | "PidMode" | "IpcMode" | "UTSMode" | "UsernsMode",
  severity: Severity,
  flag: string,
): BenchCheck {
  return check(
    def(
      id,
      `Ensure that the host's ${what} namespace is not shared`,
      severity,
      `Do not start containers with ${flag}=host.`,
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const mode = c.HostConfig?.[field] ?? "";
        return mode === "host"
          ? fail(`HostConfig.${field} is "host"`)
          : pass(`HostConfig.${field} is "${mode || "default"}"`);
      }),
  );
}

const hostSecurity = (ctx: Parameters<BenchCheck["run"]>[0], name: string) =>
  ctx.engine?.info?.SecurityOptions?.some((o) => o.split(",").includes(`name=${name}`));

export const RUNTIME_ISOLATION_CHECKS: BenchCheck[] = [
  check(
    def(
      "5.2",
      "Ensure that, if applicable, an AppArmor Profile is enabled",
      "medium",
      "Start containers with --security-opt apparmor=PROFILE (the default docker-default profile is fine).",
    ),
    (ctx) => {
      if (ctx.engine?.info && !hostSecurity(ctx, "apparmor"))
        return skip("AppArmor is not enabled on this host (not applicable; see 5.3 for SELinux)");
      return perContainer(ctx, (c) => {
        const p = c.AppArmorProfile ?? "";
        if (p === "unconfined" || secOpt(c, "apparmor") === "unconfined")
          return fail("AppArmor profile is unconfined");
        if (p === "")
          return c.HostConfig?.Privileged
            ? fail("privileged: no AppArmor profile")
            : { result: "warn", evidence: "no AppArmor profile recorded" };
        return pass(`AppArmor profile ${p}`);
      });
    },
  ),
  check(
    def(
      "5.3",
      "Ensure that, if applicable, SELinux security options are set",
      "medium",
      "Run the daemon with --selinux-enabled and containers with --security-opt label=…",
      { level: 2 },
    ),
    (ctx) => {
      // without /info the host's SELinux state is unknown: judge only when some container shows labels
      const labelled = ctx.containers?.some(
        (f) => f.inspect.ProcessLabel || secOpts(f.inspect).some((o) => o.startsWith("label")),
      );
      if (!ctx.engine?.info && !labelled)
        return skip("SELinux state of the host unknown (no engine /info) and no container is labelled");
      if (ctx.engine?.info && !hostSecurity(ctx, "selinux"))
        return skip("SELinux is not enabled in the engine (not applicable)");
      return perContainer(ctx, (c) => {
        if (secOpt(c, "label") === "disable") return fail("SELinux labelling disabled (label=disable)");
        return c.ProcessLabel || secOpts(c).some((o) => o.startsWith("label"))
          ? pass(`process label ${c.ProcessLabel || "set"}`)
          : fail("no SELinux label");
      });
    },
  ),
  check(
    def(
      "5.4",
      "Ensure that Linux kernel capabilities are restricted within containers",
      "high",
      "Drop what the workload does not need (--cap-drop ALL, then --cap-add only the required capabilities); never add SYS_ADMIN.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const added = (c.HostConfig?.CapAdd ?? []).map(capName).filter((n) => !DEFAULT_CAPS.has(n));
        if (added.length === 0)
          return pass(
            `no capability beyond the default set added${(c.HostConfig?.CapDrop ?? []).length ? `; drops ${(c.HostConfig?.CapDrop ?? []).length}` : ""}`,
          );
        const escaping = added.filter((n) => ESCAPE_CAPS.has(n));
        return fail(
          `adds ${added.join(", ")}${escaping.length ? ` (${escaping.join(", ")} allow escaping to the host)` : ""}`,
        );
      }),
  ),
  check(
    def(
      "5.5",
      "Ensure that privileged containers are not used",
      "critical",
      "Do not run containers with --privileged; grant the specific capabilities or devices needed instead.",
    ),
    (ctx) =>
      perContainer(ctx, (c) =>
        c.HostConfig?.Privileged ? fail("HostConfig.Privileged is true") : pass("not privileged"),
      ),
  ),
  check(
    def(
      "5.6",
      "Ensure sensitive host system directories are not mounted on containers",
      "high",
      "Do not bind-mount /, /boot, /dev, /etc, /lib, /proc, /sys or /usr (or paths below them) read-write.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const bad = (c.Mounts ?? []).filter((m) => {
          if (m.Type && m.Type !== "bind") return false;
          const src = (m.Source ?? "").replace(/\/+$/, "") || "/";
          const sensitive = SENSITIVE_DIRS.some((d) => src === d || (d !== "/" && src.startsWith(`${d}/`)));
          return sensitive && (m.RW !== false || src === "/");
        });
        return bad.length
          ? fail(bad.map((m) => `${m.Source}:${m.Destination}${m.RW === false ? ":ro" : ":rw"}`).join(", "))
          : pass("no sensitive host directory mounted read-write");
      }),
  ),
  check(
    def(
      "5.7",
      "Ensure sshd is not run within containers",
      "medium",
      "Remove the SSH daemon from the image; use `docker exec` for debugging.",
    ),
    (ctx) =>
      perContainer(ctx, (_c, f) => {
        if (!f.processes) return { result: "skip", evidence: "process list unavailable" };
        const sshd = f.processes.find((p) => /(?:^|\/|\s)sshd(?:\s|:|$)/.test(p));
        return sshd ? fail(`runs ${sshd.slice(0, 80)}`) : pass(`${f.processes.length} processes, no sshd`);
      }),
  ),
  hostNamespace("5.10", "network", "NetworkMode", "high", "--network"),
  hostNamespace("5.16", "process", "PidMode", "high", "--pid"),
  hostNamespace("5.17", "IPC", "IpcMode", "medium", "--ipc"),
  check(
    def(
      "5.18",
      "Ensure that host devices are not directly exposed to containers",
      "medium",
      "Do not pass host devices with --device unless required, and then with the least permissions (r, not rwm).",
      { scored: false },
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const devs = c.HostConfig?.Devices ?? [];
        return devs.length
          ? {
              result: "warn",
              evidence: `devices ${devs.map((d) => `${d.PathOnHost}:${d.CgroupPermissions ?? ""}`).join(", ")}`,
            }
          : pass("no host devices");
      }),
  ),
  check(
    def(
      "5.20",
      "Ensure mount propagation mode is not set to shared",
      "medium",
      "Do not mount volumes with shared or rshared propagation.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const shared = (c.Mounts ?? []).filter((m) => /^r?shared$/.test(m.Propagation ?? ""));
        return shared.length
          ? fail(shared.map((m) => `${m.Destination} is ${m.Propagation}`).join(", "))
          : pass("no shared mount propagation");
      }),
  ),
  hostNamespace("5.21", "UTS", "UTSMode", "medium", "--uts"),
  check(
    def(
      "5.22",
      "Ensure the default seccomp profile is not Disabled",
      "high",
      "Do not pass --security-opt seccomp=unconfined; use the default or a custom profile.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        if (secOpt(c, "seccomp") === "unconfined") return fail("seccomp=unconfined");
        if (c.HostConfig?.Privileged) return fail("privileged containers run without seccomp");
        return pass(
          secOpt(c, "seccomp") ? `seccomp profile ${secOpt(c, "seccomp")}` : "default seccomp profile",
        );
      }),
  ),
  check(
    def(
      "5.26",
      "Ensure that the container is restricted from acquiring additional privileges",
      "medium",
      'Start containers with --security-opt no-new-privileges (or set "no-new-privileges": true in daemon.json).',
      { otherIds: { "1.2.0": "5.25" } },
    ),
    (ctx) => {
      const daemonWide = ctx.daemon.settings["no-new-privileges"]?.value === true;
      return perContainer(ctx, (c) => {
        const v = secOpt(c, "no-new-privileges");
        if (v === "" || v === "true" || (v === undefined && secOpts(c).includes("no-new-privileges")))
          return pass("no-new-privileges set");
        if (v === "false") return fail("no-new-privileges explicitly false");
        return daemonWide ? pass("no-new-privileges set daemon-wide") : fail("no-new-privileges not set");
      });
    },
  ),
  hostNamespace("5.31", "user", "UsernsMode", "medium", "--userns"),
  check(
    def(
      "5.32",
      "Ensure that the Docker socket is not mounted inside any containers",
      "critical",
      "Never mount docker.sock (or podman/containerd sockets) into a container; it gives root on the host.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const socks = (c.Mounts ?? []).filter(
          (m) => ENGINE_SOCKETS.test(m.Source ?? "") || ENGINE_SOCKETS.test(m.Destination ?? ""),
        );
        return socks.length
          ? fail(socks.map((m) => `${m.Source} → ${m.Destination}`).join(", "))
          : pass("no engine socket mounted");
      }),
  ),
];
