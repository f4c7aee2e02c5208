import type { Severity } from "../../model/index.js";
import type { BenchCheck } from "../types.js";
import { check, definer, skip } from "./common.js";
import { imageName } from "./images.js";

/**
 * CIS Docker Benchmark 6.x (image and container sprawl) and 7.x (swarm, only when swarm is active).
 * Sprawl is Manual in CIS: the counts are listed, and a warning is raised past a threshold.
 */

/** above this many unused images or stopped containers, sprawl is worth a warning */
export const SPRAWL_THRESHOLD = 25;

const sectionDef = definer("operations");
/** sprawl is Manual in CIS: listed for review, not scored */
const def = (id: string, title: string, severity: Severity, remediation: string) =>
  sectionDef(id, title, severity, remediation, { scored: false });

export const OPERATIONS_CHECKS: BenchCheck[] = [
  check(
    def(
      "6.1",
      "Ensure that image sprawl is avoided",
      "low",
      "Remove unused images (`docker image prune -a`) and keep only tagged, used ones.",
    ),
    (ctx) => {
      if (!ctx.images) return skip("no image data (no engine)");
      const used = new Set((ctx.allContainers ?? []).map((c) => c.ImageID));
      const unused = ctx.images.filter((i) => !used.has(i.id));
      return {
        result: unused.length > SPRAWL_THRESHOLD ? "warn" : "info",
        evidence: `${ctx.images.length} images, ${ctx.images.length - unused.length} in use, ${unused.length} unused`,
        items: unused.map((i) => ({
          subject: imageName(i),
          result: "info" as const,
          evidence: "not used by any container",
        })),
      };
    },
  ),
  check(
    def(
      "6.2",
      "Ensure that container sprawl is avoided",
      "low",
      "Remove stopped containers (`docker container prune`).",
    ),
    (ctx) => {
      if (!ctx.allContainers) return skip("no container list (no engine)");
      const stopped = ctx.allContainers.filter((c) => c.State !== "running" && c.State !== "paused");
      return {
        result: stopped.length > SPRAWL_THRESHOLD ? "warn" : "info",
        evidence: `${ctx.allContainers.length} containers, ${stopped.length} not running`,
        items: stopped.map((c) => ({
          subject: (c.Names?.[0] ?? c.Id ?? "?").replace(/^\//, ""),
          result: "info" as const,
          evidence: c.Status ?? c.State ?? "stopped",
        })),
      };
    },
  ),
];

const swarm = (id: string, title: string, scored: boolean, remediation: string): BenchCheck =>
  check({ id, title, section: "swarm", level: 1, scored, severity: "medium", remediation }, (ctx) => {
    const state = ctx.engine?.info?.Swarm?.LocalNodeState;
    if (state !== "active") return skip(state ? `swarm mode is ${state || "inactive"}` : "no engine /info");
    if (id === "7.1") {
      const managers = ctx.engine?.info?.Swarm?.Managers ?? 0;
      return managers > 0 && managers % 2 === 1
        ? { result: "pass", evidence: `${managers} managers` }
        : {
            result: "warn",
            evidence: `${managers} managers (use an odd number, 3 or 5 for fault tolerance)`,
          };
    }
    return {
      result: "info",
      evidence: "swarm is active: review this recommendation against `docker swarm`/`docker node` output",
    };
  });

export const SWARM_CHECKS: BenchCheck[] = [
  swarm(
    "7.1",
    "Ensure that the minimum number of manager nodes have been created in a swarm",
    true,
    "Keep an odd, minimal number of managers.",
  ),
  swarm(
    "7.2",
    "Ensure that swarm services are bound to a specific host interface",
    true,
    "Initialise swarm with --listen-addr on a specific interface.",
  ),
  swarm(
    "7.3",
    "Ensure that all Docker swarm overlay networks are encrypted",
    true,
    "Create overlay networks with --opt encrypted.",
  ),
  swarm(
    "7.4",
    "Ensure that Docker's secret management commands are used for managing secrets in a swarm cluster",
    false,
    "Use `docker secret`.",
  ),
  swarm(
    "7.5",
    "Ensure that swarm manager is run in auto-lock mode",
    true,
    "`docker swarm update --autolock`.",
  ),
  swarm(
    "7.6",
    "Ensure that the swarm manager auto-lock key is rotated periodically",
    false,
    "`docker swarm unlock-key --rotate`.",
  ),
  swarm(
    "7.7",
    "Ensure that node certificates are rotated as appropriate",
    false,
    "`docker swarm update --cert-expiry`.",
  ),
  swarm(
    "7.8",
    "Ensure that CA certificates are rotated as appropriate",
    false,
    "`docker swarm ca --rotate`.",
  ),
  swarm(
    "7.9",
    "Ensure that management plane traffic is separated from data plane traffic",
    false,
    "Use --advertise-addr and --data-path-addr on separate interfaces.",
  ),
];
