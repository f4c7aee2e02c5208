import type { ContainerInspect, MountPoint, PortBinding } from "../engine/types.js";

/**
 * Container inspect data comes from engines of every age and from users' files (`--inspect`): fields
 * the checks read are coerced to the types they expect, and anything else is dropped, so a check never
 * throws on a string where a list belongs.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;

function pick<T extends object>(entries: [string, unknown][]): T {
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as T;
}

function ports(v: unknown): Record<string, PortBinding[] | null> | undefined {
  const o = obj(v);
  if (!o) return undefined;
  return Object.fromEntries(
    Object.entries(o).map(([k, list]) => [
      k,
      Array.isArray(list)
        ? list
            .map(obj)
            .filter((b): b is Obj => !!b)
            .map((b) =>
              pick<PortBinding>([
                ["HostIp", str(b.HostIp)],
                ["HostPort", str(b.HostPort)],
              ]),
            )
        : null,
    ]),
  );
}

function mounts(v: unknown): MountPoint[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v
    .map(obj)
    .filter((m): m is Obj => !!m)
    .map((m) =>
      pick<MountPoint>(
        ["Type", "Name", "Source", "Destination", "Mode", "Propagation"]
          .map((k) => [k, str(m[k])] as [string, unknown])
          .concat([["RW", bool(m.RW)]]),
      ),
    );
}

export function normalizeInspect(raw: unknown): ContainerInspect {
  const o = obj(raw) ?? {};
  const h = obj(o.HostConfig) ?? {};
  const state = obj(o.State) ?? {};
  const health = obj(state.Health);
  const cfg = obj(o.Config) ?? {};
  const net = obj(o.NetworkSettings) ?? {};
  const restart = obj(h.RestartPolicy);
  return pick<ContainerInspect>([
    ["Id", str(o.Id)],
    ["Name", str(o.Name)],
    ["Image", str(o.Image)],
    ["Created", str(o.Created)],
    ["AppArmorProfile", str(o.AppArmorProfile)],
    ["ProcessLabel", str(o.ProcessLabel)],
    [
      "State",
      pick([
        ["Status", str(state.Status)],
        ["Running", bool(state.Running)],
        ["Paused", bool(state.Paused)],
        ["Pid", num(state.Pid)],
        ["Health", health ? pick([["Status", str(health.Status)]]) : undefined],
      ]),
    ],
    [
      "HostConfig",
      pick([
        ...(["Privileged", "ReadonlyRootfs", "AutoRemove"] as const).map(
          (k) => [k, bool(h[k])] as [string, unknown],
        ),
        ...(["NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupParent"] as const).map(
          (k) => [k, str(h[k])] as [string, unknown],
        ),
        ...(
          ["Memory", "MemorySwap", "CpuShares", "NanoCpus", "CpuQuota", "CpuPeriod", "PidsLimit"] as const
        ).map((k) => [k, num(h[k])] as [string, unknown]),
        ...(["CapAdd", "CapDrop", "SecurityOpt", "Binds"] as const).map(
          (k) => [k, strings(h[k])] as [string, unknown],
        ),
        [
          "RestartPolicy",
          restart
            ? pick([
                ["Name", str(restart.Name)],
                ["MaximumRetryCount", num(restart.MaximumRetryCount)],
              ])
            : undefined,
        ],
        [
          "Devices",
          Array.isArray(h.Devices)
            ? h.Devices.map(obj)
                .filter((d): d is Obj => !!d)
                .map((d) =>
                  pick([
                    ["PathOnHost", str(d.PathOnHost)],
                    ["PathInContainer", str(d.PathInContainer)],
                    ["CgroupPermissions", str(d.CgroupPermissions)],
                  ]),
                )
            : undefined,
        ],
        [
          "Ulimits",
          Array.isArray(h.Ulimits)
            ? h.Ulimits.map(obj)
                .filter((d): d is Obj => !!d)
                .map((d) =>
                  pick([
                    ["Name", str(d.Name)],
                    ["Soft", num(d.Soft)],
                    ["Hard", num(d.Hard)],
                  ]),
                )
            : undefined,
        ],
        ["PortBindings", ports(h.PortBindings)],
      ]),
    ],
    ["Mounts", mounts(o.Mounts)],
    [
      "Config",
      pick([
        ["Image", str(cfg.Image)],
        ["User", str(cfg.User)],
        ["Env", strings(cfg.Env)],
        ["Cmd", strings(cfg.Cmd)],
      ]),
    ],
    [
      "NetworkSettings",
      pick([
        ["Ports", ports(net.Ports)],
        ["Networks", obj(net.Networks)],
      ]),
    ],
  ]);
}
