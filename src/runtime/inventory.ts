import { normalizeInspect } from "../bench/inspect-shape.js";
import type { ContainerInspect, EngineClient } from "../engine/index.js";
import { inspectContainer, listContainers, mapLimit } from "../engine/index.js";
import type { ContainerRef } from "../model/index.js";
import type { ContainerState, EngineEvent } from "./types.js";

/**
 * The running containers the monitor watches: filled from `/containers/json` + inspect, then kept up
 * to date by engine events (start → inspect and add; die/destroy → remove; pause, unpause, rename,
 * update and network connect/disconnect → inspect again). Inspects run concurrently with later events,
 * so each container carries a sequence number: an inspect answer that an event about the same
 * container overtook is dropped instead of resurrecting a dead container.
 */

export type InventoryChange =
  | { kind: "added"; state: ContainerState }
  | { kind: "updated"; state: ContainerState }
  | { kind: "removed"; state: ContainerState };

/** container actions after which the inspect data is stale */
const REINSPECT = new Set(["pause", "unpause", "rename", "update", "health_status", "restart"]);
/** container actions after which it no longer runs */
const GONE = new Set(["die", "destroy"]);

/** CPU limit in cores from NanoCpus, else CpuQuota / CpuPeriod; undefined when unlimited. */
export function cpuLimitCores(inspect: ContainerInspect): number | undefined {
  const h = inspect.HostConfig ?? {};
  if (h.NanoCpus && h.NanoCpus > 0) return h.NanoCpus / 1e9;
  // the kernel's default CFS period is 100 ms when only a quota is set
  if (h.CpuQuota && h.CpuQuota > 0)
    return h.CpuQuota / (h.CpuPeriod && h.CpuPeriod > 0 ? h.CpuPeriod : 100_000);
  return undefined;
}

function labelsOf(raw: unknown): Record<string, string> | undefined {
  const cfg = (raw as { Config?: { Labels?: unknown } } | undefined)?.Config;
  const labels = cfg?.Labels;
  if (!labels || typeof labels !== "object" || Array.isArray(labels)) return undefined;
  const out = Object.fromEntries(
    Object.entries(labels as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === "string",
    ),
  );
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Build the state of a container from its raw inspect answer (labels are read before normalising). */
export function containerStateFrom(raw: unknown): ContainerState | undefined {
  const inspect = normalizeInspect(raw);
  if (!inspect.Id) return undefined;
  const imageName = (raw as { ImageName?: unknown }).ImageName;
  const ref: ContainerRef = {
    id: inspect.Id,
    name: (inspect.Name ?? "").replace(/^\//, "") || inspect.Id.slice(0, 12),
    // Config.Image is what the user asked for (nginx:1); Image is the ID (podman adds ImageName)
    image:
      inspect.Config?.Image ?? (typeof imageName === "string" ? imageName : undefined) ?? inspect.Image ?? "",
  };
  if (inspect.Image?.startsWith("sha256:") || /^[0-9a-f]{64}$/.test(inspect.Image ?? ""))
    ref.imageId = inspect.Image;
  const labels = labelsOf(raw);
  if (labels) ref.labels = labels;
  const state: ContainerState = { ref, inspect };
  const pid = inspect.State?.Pid;
  if (pid && pid > 0) state.pid = pid;
  const cores = cpuLimitCores(inspect);
  if (cores !== undefined) state.cpuLimitCores = cores;
  return state;
}

export class ContainerInventory {
  private readonly byId = new Map<string, ContainerState>();
  /** bumped by every event about a container; an inspect started before a bump is stale */
  private readonly seq = new Map<string, number>();

  constructor(private readonly client: EngineClient) {}

  list(): ContainerState[] {
    return [...this.byId.values()];
  }

  /** By full id, unique id prefix, or name. */
  get(idOrName: string): ContainerState | undefined {
    const exact = this.byId.get(idOrName);
    if (exact) return exact;
    const name = idOrName.replace(/^\//, "");
    let found: ContainerState | undefined;
    for (const c of this.byId.values()) {
      if (c.ref.name === name) return c;
      if (idOrName.length >= 4 && c.ref.id.startsWith(idOrName)) {
        if (found) return undefined; // ambiguous prefix
        found = c;
      }
    }
    return found;
  }

  /** Re-read every running container (at start, and after the event stream was lost). */
  async refresh(): Promise<InventoryChange[]> {
    const stamp = new Map(this.seq);
    const summaries = await listContainers(this.client);
    const ids = summaries.map((s) => s.Id).filter((id): id is string => !!id);
    const running = new Set(ids);
    const changes: InventoryChange[] = [];
    for (const [id, state] of this.byId) {
      if (!running.has(id) && (this.seq.get(id) ?? 0) === (stamp.get(id) ?? 0)) {
        this.byId.delete(id);
        changes.push({ kind: "removed", state });
      }
    }
    const results = await mapLimit(ids, 4, (id) => this.inspect(id, stamp.get(id) ?? 0));
    for (const change of results) if (change) changes.push(change);
    return changes;
  }

  /** Apply one engine event; returns what changed, if anything. */
  async apply(e: EngineEvent): Promise<InventoryChange | undefined> {
    let id: string | undefined;
    let gone = false;
    if (e.type === "container") {
      id = e.id;
      if (GONE.has(e.action)) gone = true;
      else if (e.action !== "start" && !REINSPECT.has(e.action)) return undefined;
    } else if (e.type === "network" && (e.action === "connect" || e.action === "disconnect")) {
      id = e.attributes.container;
    }
    if (!id) return undefined;
    const full = this.get(id)?.ref.id ?? id;
    const seq = (this.seq.get(full) ?? 0) + 1;
    this.seq.set(full, seq);
    if (gone) {
      // a destroyed container never comes back: its in-flight inspects get a 404 anyway
      if (e.action === "destroy") this.seq.delete(full);
      const state = this.byId.get(full);
      if (!state) return undefined;
      this.byId.delete(full);
      return { kind: "removed", state };
    }
    return this.inspect(full, seq);
  }

  /** Inspect and store one container, unless an event overtook this inspect. */
  private async inspect(id: string, seq: number): Promise<InventoryChange | undefined> {
    const raw = await inspectContainer(this.client, id);
    if ((this.seq.get(id) ?? 0) !== seq) return undefined;
    const state = raw ? containerStateFrom(raw) : undefined;
    const before = this.byId.get(id);
    if (state?.inspect.State?.Running !== true) {
      if (!before) return undefined;
      this.byId.delete(id);
      return { kind: "removed", state: before };
    }
    this.byId.set(state.ref.id, state);
    return { kind: before ? "updated" : "added", state };
  }
}
