import { join } from "node:path";
import type { EngineInfo } from "../engine/types.js";
import { type DaemonJson, readDaemonJson } from "./daemon-json.js";
import { flagFileConflicts, parseDockerdArgs } from "./dockerd-args.js";
import type { DaemonConfigProblem, DaemonSetting, EffectiveDaemonConfig } from "./types.js";

export { findDockerdCommandLine, readDockerUnitCommandLine } from "./dockerd-sources.js";

/**
 * The daemon's effective configuration, built the way dockerd builds it: documented defaults, then
 * daemon.json, then command-line flags, then — authoritative for what it reports — the running
 * engine's `/info`. Every value records its source, so a check can say "icc true (default)".
 */

/** dockerd defaults for the settings the benchmark reads (dockerd reference, "Daemon configuration file") */
export const DAEMON_DEFAULTS: Readonly<Record<string, unknown>> = {
  icc: true,
  iptables: true,
  "ip-forward": true,
  "ip-masq": true,
  "userland-proxy": true,
  "live-restore": false,
  "no-new-privileges": false,
  "log-level": "info",
  debug: false,
  "log-driver": "json-file",
  experimental: false,
  "selinux-enabled": false,
  tls: false,
  tlsverify: false,
  hosts: ["unix:///var/run/docker.sock"],
  "userns-remap": "",
  "authorization-plugins": [],
  "insecure-registries": [],
  "seccomp-profile": "builtin",
  "data-root": "/var/lib/docker",
  "storage-opts": [],
};

/** always in /info's InsecureRegistryCIDRs, not configured by anyone (docker-bench false positive #529) */
const BUILT_IN_INSECURE = new Set(["127.0.0.0/8", "::1/128"]);

export interface EffectiveDaemonConfigInput {
  /** daemon.json: a path to read, or one already read */
  file?: string | DaemonJson;
  /** true when `file` is only the usual location (missing = no daemon.json); false/absent: the user named it, and a missing file is an input error */
  fileOptional?: boolean;
  /** dockerd argv (from /proc or the systemd unit) */
  commandLine?: string[];
  /**
   * host root: when no `file` is given but a command line is, daemon.json is looked for under it at
   * `--config-file` or /etc/docker/daemon.json
   */
  root?: string;
  info?: EngineInfo;
}

export async function effectiveDaemonConfig(
  input: EffectiveDaemonConfigInput,
): Promise<EffectiveDaemonConfig> {
  const args = input.commandLine ? parseDockerdArgs(input.commandLine) : undefined;
  let json: DaemonJson | undefined;
  if (typeof input.file === "string") {
    json = await readDaemonJson(input.file, { explicit: !input.fileOptional });
  } else if (input.file) {
    json = input.file;
  } else if (args && input.root !== undefined) {
    json = await readDaemonJson(join(input.root, args.configFile ?? "/etc/docker/daemon.json"));
  }

  const settings: Record<string, DaemonSetting> = {};
  for (const [key, value] of Object.entries(DAEMON_DEFAULTS)) settings[key] = { value, source: "default" };
  Object.assign(settings, json?.settings);
  Object.assign(settings, args?.settings);
  if (input.info) {
    const fromInfo = settingsFromInfo(input.info);
    // /info only says user namespaces are on; a configured remap user ("default", "dockremap") says more
    const remap = settings["userns-remap"]?.value;
    if (fromInfo["userns-remap"] && typeof remap === "string" && remap !== "")
      delete fromInfo["userns-remap"];
    Object.assign(settings, fromInfo);
  }

  const problems: DaemonConfigProblem[] = [...(json?.problems ?? []), ...(args?.problems ?? [])];
  if (json && args) problems.push(...flagFileConflicts(args.settings, json.settings, json.file));

  return {
    ...(json ? { file: json.file } : {}),
    ...(input.commandLine ? { commandLine: input.commandLine } : {}),
    settings,
    problems,
    known: json !== undefined || args !== undefined || input.info !== undefined,
  };
}

/** `name=seccomp,profile=builtin` → { name: "seccomp", profile: "builtin" } */
function parseSecurityOption(option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of option.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
    else out.name = part; // pre-1.13 engines listed bare names ("seccomp", "apparmor")
  }
  return out;
}

/**
 * What `/info` says about the settings the benchmark reads. Security options only assert what is
 * present: podman's compatible API omits no-new-privileges and userns even when in effect, so their
 * absence must not override the configuration. `rootless` is not a daemon.json key; it records
 * `name=rootless` for check 2.1.
 */
export function settingsFromInfo(info: EngineInfo): Record<string, DaemonSetting> {
  const out: Record<string, DaemonSetting> = {};
  const set = (key: string, value: unknown) => {
    out[key] = { value, source: "info" };
  };
  if (typeof info.LiveRestoreEnabled === "boolean") set("live-restore", info.LiveRestoreEnabled);
  if (info.LoggingDriver) set("log-driver", info.LoggingDriver);
  if (info.Driver) set("storage-driver", info.Driver);
  if (info.DockerRootDir) set("data-root", info.DockerRootDir);
  if (typeof info.ExperimentalBuild === "boolean") set("experimental", info.ExperimentalBuild);
  if (info.Plugins) set("authorization-plugins", info.Plugins.Authorization ?? []);
  if (info.RegistryConfig) {
    const cidrs = (info.RegistryConfig.InsecureRegistryCIDRs ?? []).filter((c) => !BUILT_IN_INSECURE.has(c));
    const names = Object.entries(info.RegistryConfig.IndexConfigs ?? {})
      .filter(([, index]) => index.Secure === false)
      .map(([name, index]) => index.Name ?? name);
    set("insecure-registries", [...new Set([...cidrs, ...names])]);
  }
  if (Array.isArray(info.SecurityOptions)) {
    const options = info.SecurityOptions.map(parseSecurityOption);
    set(
      "rootless",
      options.some((o) => o.name === "rootless"),
    );
    if (options.some((o) => o.name === "userns")) set("userns-remap", "(enabled; reported by /info)");
    if (options.some((o) => o.name === "no-new-privileges")) set("no-new-privileges", true);
    const seccomp = options.find((o) => o.name === "seccomp");
    if (seccomp?.profile) set("seccomp-profile", seccomp.profile === "default" ? "builtin" : seccomp.profile);
  }
  return out;
}
