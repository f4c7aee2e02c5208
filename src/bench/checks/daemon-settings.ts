import type { BenchContext, CheckOutcome, DaemonSetting } from "../types.js";
import { skip } from "./common.js";

/**
 * Reading the effective daemon configuration for the 2.x checks: one place decides whether a value can
 * be trusted. A default is only a fact when the configuration sources were actually looked at (a
 * daemon.json or dockerd command line was read, or the host's files were); with nothing but a remote
 * `/info`, "icc is on by default" would be a guess, and a guess is a skip, not a fail.
 */

export interface SettingValue extends DaemonSetting {
  key: string;
}

export type SettingLookup = { ok: true; setting: SettingValue } | { ok: false; outcome: CheckOutcome };

/** Why an absent setting cannot be taken as "not configured", or undefined when it can. */
export function unconfirmedAbsence(ctx: BenchContext, key: string): CheckOutcome | undefined {
  const d = ctx.daemon;
  if (!d.known) return skip("no daemon configuration (no daemon.json, dockerd command line or engine /info)");
  if (d.file !== undefined || d.commandLine !== undefined || ctx.host !== undefined) return undefined;
  return skip(
    `${key} is not reported by /info and neither daemon.json nor the dockerd command line was read`,
  );
}

export function lookup(ctx: BenchContext, key: string): SettingLookup {
  const d = ctx.daemon;
  if (!d.known) return { ok: false, outcome: unconfirmedAbsence(ctx, key)! };
  const setting = d.settings[key];
  if (!setting || setting.source === "default") {
    const why = unconfirmedAbsence(ctx, key);
    if (why) return { ok: false, outcome: why };
  }
  if (!setting) return { ok: false, outcome: skip(`${key} is not configured and has no known default`) };
  return { ok: true, setting: { key, ...setting } };
}

/** `icc=false (daemon.json)` */
export function describe(s: SettingValue): string {
  const v = typeof s.value === "string" ? s.value || '""' : JSON.stringify(s.value);
  return `${s.key}=${v} (${s.source === "default" ? "dockerd default" : s.source})`;
}

export const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/**
 * A daemon socket address that listens on TCP: tcp://, or a bare host:port (dockerd reads it as TCP).
 * unix://, fd:// and npipe:// are local.
 */
export function isTcpHost(host: string): boolean {
  if (/^(unix|fd|npipe|ssh):\/\//i.test(host)) return false;
  if (/^tcp:\/\//i.test(host)) return true;
  return /^[^/]*:\d*$/.test(host) || /^\[[^\]]*\](:\d*)?$/.test(host);
}
