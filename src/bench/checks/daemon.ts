import type { BenchCheck, BenchContext, CheckOutcome } from "../types.js";
import { check, fail, leveledDefiner, pass, skip, warn } from "./common.js";
import {
  describe,
  isTcpHost,
  lookup,
  type SettingValue,
  stringList,
  unconfirmedAbsence,
} from "./daemon-settings.js";

/**
 * CIS Docker Benchmark 2.x (daemon configuration), judged from the effective daemon configuration
 * (daemon.json + dockerd flags + /info + defaults; see daemon-config.ts), plus Airbag's 2.0: a
 * daemon.json dockerd would refuse. Levels and Automated/Manual follow CIS v1.6.0.
 */

const def = leveledDefiner("daemon");

/** A check over one setting: skipped when the value is unknown, else judged. */
const onSetting =
  (key: string, judge: (s: SettingValue, ctx: BenchContext) => CheckOutcome) =>
  (ctx: BenchContext): CheckOutcome => {
    const found = lookup(ctx, key);
    return found.ok ? judge(found.setting, ctx) : found.outcome;
  };

const boolCheck = (key: string, want: boolean) =>
  onSetting(key, (s) => (s.value === want ? pass(describe(s)) : fail(describe(s))));

const configSummary = (ctx: BenchContext) =>
  [ctx.daemon.file, ctx.daemon.commandLine ? "dockerd command line" : undefined]
    .filter(Boolean)
    .join(" and ");

export const DAEMON_CHECKS: BenchCheck[] = [
  check(
    def(
      "2.0",
      "Ensure the daemon configuration file is valid",
      1,
      false,
      "high",
      "Fix each reported problem in daemon.json (syntax, duplicate or unknown keys, wrong value types, keys also given as dockerd flags); dockerd refuses to start with any of them, and `dockerd --validate --config-file FILE` confirms the fix. This check is an Airbag addition, not part of the CIS Docker Benchmark, and does not count in the score.",
    ),
    (ctx) => {
      const problems = ctx.daemon.problems;
      if (problems.length === 0) {
        if (!ctx.daemon.file && !ctx.daemon.commandLine)
          return skip("no daemon.json or dockerd command line was read");
        return pass(`${configSummary(ctx)}: no problems`);
      }
      const items = problems.map((p) => ({
        subject: `${p.file}${p.line !== undefined ? `:${p.line}:${p.column}` : ""}${p.path ? ` ${p.path}` : ""}`,
        result: "fail" as const,
        evidence: p.message,
      }));
      const first = items[0]!;
      return {
        result: "fail",
        evidence: `${problems.length} problem${problems.length > 1 ? "s" : ""}: ${first.subject}: ${first.evidence}${problems.length > 1 ? "; …" : ""}`,
        items,
      };
    },
  ),
  check(
    def(
      "2.1",
      "Run the Docker daemon as a non-root user, if possible",
      2,
      false,
      "medium",
      "Consider rootless mode (`dockerd-rootless-setuptool.sh install`) where its limitations are acceptable.",
    ),
    (ctx) => {
      const rootless = ctx.daemon.settings.rootless;
      if (rootless?.source !== "info") return skip("no engine /info security options");
      return rootless.value === true
        ? pass("daemon runs rootless (/info name=rootless)")
        : warn("daemon runs as root; review whether rootless mode fits this host");
    },
  ),
  check(
    def(
      "2.2",
      "Ensure network traffic is restricted between containers on the default bridge",
      1,
      true,
      "medium",
      'Set "icc": false in daemon.json (or --icc=false) and connect containers that must talk through user-defined networks.',
    ),
    boolCheck("icc", false),
  ),
  check(
    def(
      "2.3",
      "Ensure the logging level is set to 'info'",
      1,
      true,
      "low",
      'Set "log-level": "info" in daemon.json (or remove the setting, info is the default) and do not enable "debug".',
    ),
    onSetting("log-level", (s, ctx) => {
      const debug = ctx.daemon.settings.debug;
      if (debug?.value === true) return fail(`debug=true (${debug.source}) overrides the log level`);
      return s.value === "info" ? pass(describe(s)) : fail(describe(s));
    }),
  ),
  check(
    def(
      "2.4",
      "Ensure Docker is allowed to make changes to iptables",
      1,
      true,
      "medium",
      'Remove "iptables": false from daemon.json (and --iptables=false from the dockerd command line).',
    ),
    boolCheck("iptables", true),
  ),
  check(
    def(
      "2.5",
      "Ensure insecure registries are not used",
      1,
      true,
      "high",
      'Remove "insecure-registries" entries (and --insecure-registry flags); give registries TLS certificates under /etc/docker/certs.d/ instead.',
    ),
    onSetting("insecure-registries", (s) => {
      const registries = stringList(s.value);
      if (registries.length === 0)
        return pass(
          `no insecure registries (${s.source === "default" ? "dockerd default" : s.source}; the built-in 127.0.0.0/8 is not counted)`,
        );
      return {
        result: "fail",
        evidence: `${registries.length} insecure: ${registries.join(", ")} (${s.source})`,
        items: registries.map((r) => ({
          subject: r,
          result: "fail" as const,
          evidence: "registry traffic without TLS verification",
        })),
      };
    }),
  ),
  check(
    def(
      "2.6",
      "Ensure aufs storage driver is not used",
      1,
      true,
      "medium",
      'Use overlay2 (`"storage-driver": "overlay2"`); aufs is deprecated and removed from Docker 24.',
    ),
    (ctx) => {
      const s = ctx.daemon.settings["storage-driver"];
      if (!s) return skip("storage driver unknown (no /info and not configured)");
      const v = { key: "storage-driver", ...s };
      return s.value === "aufs" ? fail(describe(v)) : pass(describe(v));
    },
  ),
  check(
    def(
      "2.7",
      "Ensure TLS authentication for Docker daemon is configured",
      1,
      true,
      "critical",
      'When the daemon listens on TCP, set "tlsverify": true with "tlscacert", "tlscert" and "tlskey" (port 2376); otherwise listen only on the unix socket.',
    ),
    onSetting("hosts", (s, ctx) => {
      const tcp = stringList(s.value).filter(isTcpHost);
      if (tcp.length === 0) return pass(`daemon listens on no TCP socket: ${describe(s)}`);
      const settings = ctx.daemon.settings;
      if (settings.tlsverify?.value === true) {
        const missing = ["tlscacert", "tlscert", "tlskey"].filter(
          (k) => typeof settings[k]?.value !== "string",
        );
        return pass(
          `${tcp.join(", ")} with tlsverify${missing.length ? ` (${missing.join(", ")} from dockerd's default ~/.docker/*.pem)` : ""}`,
        );
      }
      if (settings.tls?.value === true)
        return fail(`${tcp.join(", ")}: tls without tlsverify (any client may connect)`);
      return fail(`${tcp.join(", ")}: no TLS (${describe(s)})`);
    }),
  ),
  check(
    def(
      "2.8",
      "Ensure the default ulimit is configured appropriately",
      1,
      false,
      "low",
      'Set "default-ulimits" in daemon.json (e.g. {"nofile": {"Name": "nofile", "Soft": 64000, "Hard": 64000}}) as fits this environment.',
    ),
    (ctx) => {
      const s = ctx.daemon.settings["default-ulimits"];
      const limits =
        s && typeof s.value === "object" && s.value !== null && !Array.isArray(s.value)
          ? Object.entries(s.value)
          : [];
      if (limits.length === 0) {
        return (
          unconfirmedAbsence(ctx, "default-ulimits") ??
          warn("no default-ulimits configured; containers inherit dockerd's limits")
        );
      }
      const text = limits.map(([name, l]) => {
        const { Soft, Hard } = (l ?? {}) as { Soft?: number; Hard?: number };
        return `${name}=${Soft ?? "?"}:${Hard ?? "?"}`;
      });
      return { result: "pass", evidence: `default-ulimits ${text.join(", ")} (${s!.source})` };
    },
  ),
  check(
    def(
      "2.9",
      "Enable user namespace support",
      2,
      true,
      "medium",
      'Set "userns-remap": "default" in daemon.json (or --userns-remap=default) and restart dockerd.',
    ),
    onSetting("userns-remap", (s) =>
      typeof s.value === "string" && s.value !== "" ? pass(describe(s)) : fail(describe(s)),
    ),
  ),
  check(
    def(
      "2.10",
      "Ensure the default cgroup usage has been confirmed",
      2,
      true,
      "low",
      'Leave "cgroup-parent" unset unless a specific cgroup is required, and confirm it when set.',
    ),
    (ctx) => {
      const s = ctx.daemon.settings["cgroup-parent"];
      if (!s || s.value === "") {
        return unconfirmedAbsence(ctx, "cgroup-parent") ?? pass("cgroup-parent not set (default cgroup)");
      }
      return warn(`${describe({ key: "cgroup-parent", ...s })}: confirm this cgroup is intended`);
    },
  ),
  check(
    def(
      "2.11",
      "Ensure base device size is not changed until needed",
      2,
      true,
      "low",
      'Remove "dm.basesize" from "storage-opts" unless containers need a larger base device.',
    ),
    onSetting("storage-opts", (s) => {
      const base = stringList(s.value).find((o) => /^dm\.basesize=/i.test(o));
      return base ? warn(`${base} (${s.source}): confirm it is needed`) : pass("dm.basesize not set");
    }),
  ),
  check(
    def(
      "2.12",
      "Ensure that authorization for Docker client commands is enabled",
      2,
      true,
      "medium",
      'Install an authorization plugin and list it in "authorization-plugins" (or --authorization-plugin).',
    ),
    onSetting("authorization-plugins", (s) =>
      stringList(s.value).length > 0 ? pass(describe(s)) : fail(`no authorization plugin (${describe(s)})`),
    ),
  ),
  check(
    def(
      "2.13",
      "Ensure centralized and remote logging is configured",
      2,
      true,
      "low",
      'Set "log-driver" to a remote driver (syslog, journald, gelf, fluentd, splunk, awslogs, …) with its "log-opts".',
    ),
    onSetting("log-driver", (s) =>
      ["json-file", "local", "none", ""].includes(String(s.value))
        ? fail(`${describe(s)} keeps logs on this host only`)
        : pass(describe(s)),
    ),
  ),
  check(
    def(
      "2.14",
      "Ensure containers are restricted from acquiring new privileges",
      1,
      true,
      "high",
      'Set "no-new-privileges": true in daemon.json (or --no-new-privileges).',
    ),
    boolCheck("no-new-privileges", true),
  ),
  check(
    def(
      "2.15",
      "Ensure live restore is enabled",
      1,
      true,
      "low",
      'Set "live-restore": true in daemon.json (or --live-restore); not available in swarm mode.',
    ),
    onSetting("live-restore", (s, ctx) => {
      if (s.value === true) return pass(describe(s));
      if (ctx.engine?.info?.Swarm?.LocalNodeState === "active")
        return pass(`${describe(s)}: live restore is incompatible with swarm mode, which is active`);
      return fail(describe(s));
    }),
  ),
  check(
    def(
      "2.16",
      "Ensure Userland Proxy is Disabled",
      1,
      true,
      "low",
      'Set "userland-proxy": false in daemon.json (or --userland-proxy=false) where hairpin NAT is available.',
    ),
    boolCheck("userland-proxy", false),
  ),
  check(
    def(
      "2.17",
      "Ensure that a daemon-wide custom seccomp profile is applied if appropriate",
      2,
      false,
      "medium",
      'Keep seccomp enabled; set "seccomp-profile" to a custom profile file only where the default does not fit. Never set it to "unconfined".',
    ),
    onSetting("seccomp-profile", (s) => {
      if (s.value === "unconfined") return warn(`${describe(s)}: seccomp is disabled for every container`);
      if (s.value === "builtin" || s.value === "")
        return { result: "info", evidence: `default seccomp profile (${describe(s)})` };
      return pass(`custom profile ${describe(s)}`);
    }),
  ),
  check(
    def(
      "2.18",
      "Ensure that experimental features are not implemented in production",
      1,
      true,
      "medium",
      'Remove "experimental": true from daemon.json (and --experimental).',
    ),
    boolCheck("experimental", false),
  ),
];
