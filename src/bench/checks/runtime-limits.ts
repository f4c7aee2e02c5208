import type { ContainerInspect, PortBinding } from "../../engine/types.js";
import type { BenchCheck } from "../types.js";
import { check, definer, fail, manual, pass, perContainer, skip } from "./common.js";

/**
 * CIS Docker Benchmark 5.x, resources half: limits, ports, restart policy, health, cgroups, networks,
 * plus the checks that need the engine (5.1 swarm) or audit data (5.23/5.24 exec).
 */

const def = definer("runtime");

/** Published host ports: from NetworkSettings.Ports (running) or HostConfig.PortBindings (spec). */
function bindings(c: ContainerInspect): { port: string; b: PortBinding }[] {
  const ports = c.NetworkSettings?.Ports ?? c.HostConfig?.PortBindings ?? {};
  return Object.entries(ports).flatMap(([port, list]) => (list ?? []).map((b) => ({ port, b })));
}
const anyAddress = (ip: string | undefined) => !ip || ip === "0.0.0.0" || ip === "::" || ip === "[::]";

export const RUNTIME_LIMIT_CHECKS: BenchCheck[] = [
  check(
    def(
      "5.1",
      "Ensure swarm mode is not Enabled, if not needed",
      "low",
      "Leave swarm mode (`docker swarm leave`) on hosts that do not need it.",
    ),
    (ctx) => {
      const state = ctx.engine?.info?.Swarm?.LocalNodeState;
      if (state === undefined) return skip("no engine /info");
      return state === "active" || state === "pending"
        ? { result: "fail", evidence: `swarm mode is ${state}` }
        : { result: "pass", evidence: `swarm mode is ${state || "inactive"}` };
    },
  ),
  check(
    def(
      "5.8",
      "Ensure privileged ports are not mapped within containers",
      "low",
      "Publish container ports on host ports ≥ 1024.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const low = bindings(c).filter(({ b }) => Number(b.HostPort) > 0 && Number(b.HostPort) < 1024);
        return low.length
          ? fail(low.map(({ port, b }) => `host port ${b.HostPort} → ${port}`).join(", "))
          : pass("no host port below 1024");
      }),
  ),
  manual(
    def(
      "5.9",
      "Ensure that only needed ports are open on the container",
      "low",
      "Publish only the ports the service needs.",
      { scored: false },
    ),
    "review the published ports listed under 5.8 and 5.14",
  ),
  check(
    def(
      "5.11",
      "Ensure that the memory usage for containers is limited",
      "medium",
      "Start containers with --memory (and --memory-swap).",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const m = c.HostConfig?.Memory ?? 0;
        return m > 0 ? pass(`memory limit ${Math.round(m / 1048576)} MiB`) : fail("no memory limit");
      }),
  ),
  check(
    def(
      "5.12",
      "Ensure that CPU priority is set appropriately on containers",
      "low",
      "Start containers with --cpus or --cpu-shares.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const h = c.HostConfig ?? {};
        if ((h.NanoCpus ?? 0) > 0) return pass(`${(h.NanoCpus ?? 0) / 1e9} CPUs`);
        if ((h.CpuQuota ?? 0) > 0) return pass(`CPU quota ${h.CpuQuota}/${h.CpuPeriod || 100000}`);
        if (h.CpuShares && h.CpuShares !== 1024) return pass(`CPU shares ${h.CpuShares}`);
        return fail("no CPU limit or shares");
      }),
  ),
  check(
    def(
      "5.13",
      "Ensure that the container's root filesystem is mounted as read only",
      "low",
      "Start containers with --read-only and mount writable volumes only where needed.",
    ),
    (ctx) =>
      perContainer(ctx, (c) =>
        c.HostConfig?.ReadonlyRootfs
          ? pass("read-only root filesystem")
          : fail("root filesystem is writable"),
      ),
  ),
  check(
    def(
      "5.14",
      "Ensure that incoming container traffic is bound to a specific host interface",
      "low",
      "Publish ports as -p IP:HOSTPORT:PORT with a specific address.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const open = bindings(c).filter(({ b }) => anyAddress(b.HostIp));
        return open.length
          ? fail(
              open
                .map(({ port, b }) => `${port} on ${b.HostIp || "all interfaces"}:${b.HostPort}`)
                .join(", "),
            )
          : pass("every published port bound to an address");
      }),
  ),
  check(
    def(
      "5.15",
      "Ensure that the 'on-failure' container restart policy is set to '5'",
      "low",
      "Use --restart on-failure:5 rather than always or unlimited retries.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const p = c.HostConfig?.RestartPolicy ?? {};
        const name = p.Name ?? "";
        if (name === "always" || name === "unless-stopped") return fail(`restart policy ${name}`);
        if (name === "on-failure") {
          const n = p.MaximumRetryCount ?? 0;
          return n > 0 && n <= 5
            ? pass(`on-failure:${n}`)
            : fail(`on-failure with ${n === 0 ? "unlimited" : n} retries`);
        }
        return pass(`restart policy ${name || "no"}`);
      }),
  ),
  manual(
    def(
      "5.19",
      "Ensure that the default ulimit is overwritten at runtime if needed",
      "low",
      "Set --ulimit per container only where the daemon default does not fit.",
      { scored: false },
    ),
    "per-container ulimits are a deliberate choice; see HostConfig.Ulimits in the JSON items",
  ),
  {
    ...def(
      "5.23",
      "Ensure that docker exec commands are not used with the privileged option",
      "high",
      "Do not use `docker exec --privileged`.",
      { level: 2, scored: false },
    ),
    run: () => skip("needs an exec audit trail; `airbag monitor` records exec events live"),
  },
  {
    ...def(
      "5.24",
      "Ensure that docker exec commands are not used with the user=root option",
      "medium",
      "Do not use `docker exec --user=root`.",
      { level: 2, scored: false },
    ),
    run: () => skip("needs an exec audit trail; `airbag monitor` records exec events live"),
  },
  check(
    def(
      "5.25",
      "Ensure that cgroup usage is confirmed",
      "low",
      "Use the default cgroup parent unless a custom one is intended.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const parent = c.HostConfig?.CgroupParent ?? "";
        return parent
          ? { result: "warn", evidence: `custom cgroup parent ${parent}` }
          : pass("default cgroup parent");
      }),
  ),
  check(
    def(
      "5.27",
      "Ensure that container health is checked at runtime",
      "low",
      "Give images a HEALTHCHECK or start containers with --health-cmd.",
    ),
    (ctx) =>
      perContainer(ctx, (c) => {
        const s = c.State?.Health?.Status ?? "";
        return s ? pass(`health ${s}`) : fail("no health check");
      }),
  ),
  manual(
    def(
      "5.28",
      "Ensure that Docker commands always make use of the latest version of their image",
      "low",
      "Pull before run, or pin digests and rebuild on updates.",
      { scored: false },
    ),
    "compare running image ids with the registry; `airbag scan engine:IMAGE` shows what is outdated",
  ),
  check(
    def("5.29", "Ensure that the PIDs cgroup limit is used", "medium", "Start containers with --pids-limit."),
    (ctx) =>
      perContainer(ctx, (c) => {
        const n = c.HostConfig?.PidsLimit ?? 0;
        return n > 0 ? pass(`pids limit ${n}`) : fail("no pids limit");
      }),
  ),
  check(
    def(
      "5.30",
      "Ensure that Docker's default bridge 'docker0' is not used",
      "low",
      "Attach containers to user-defined networks.",
      { level: 2, scored: false },
    ),
    (ctx) => {
      if (ctx.engine?.product === "podman") return skip("podman has no docker0 bridge");
      return perContainer(ctx, (c) => {
        const nets = Object.keys(c.NetworkSettings?.Networks ?? {});
        return nets.includes("bridge")
          ? { result: "warn", evidence: "on the default bridge network" }
          : pass(`networks: ${nets.join(", ") || c.HostConfig?.NetworkMode || "none"}`);
      });
    },
  ),
];
