import type { EngineEvent } from "./types.js";

/**
 * One `/events` object → EngineEvent, whatever engine wrote it. Docker (API ≥ 1.22) writes `Type`,
 * `Action`, `Actor{ID, Attributes}`, `time`, `timeNano`, and appends details to some actions
 * (`exec_start: sh -c …`, `health_status: healthy`); older Docker only `status`/`id`/`from`. Podman's
 * compat layer said `died` for `die`, `exec`/`exec_died` for exec start/exit, `remove` for `destroy`,
 * puts `containerExitCode` (a stale "0" on every event but the exit) into the attributes, and makes
 * the container the actor of network connect/disconnect events.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** podman (and old Docker) spellings → Docker's */
const ACTION_ALIASES: Record<string, string> = {
  died: "die",
  exec: "exec_start",
  exec_died: "exec_die",
  remove: "destroy",
};

/** the attribute that receives what Docker appends after `action: ` */
const DETAIL_ATTRIBUTE: Record<string, string> = {
  exec_create: "execCommand",
  exec_start: "execCommand",
  health_status: "healthStatus",
};

function attributesOf(raw: Obj, actor: Obj | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const attrs = obj(actor?.Attributes) ?? {};
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  // pre-1.22 Docker: the image is only in `from`
  const from = str(raw.from);
  if (from && out.image === undefined) out.image = from;
  return out;
}

/** Normalise one parsed `/events` object; undefined when it has no action at all. */
export function normaliseEvent(raw: unknown, now: () => number = Date.now): EngineEvent | undefined {
  const o = obj(raw);
  if (!o) return undefined;
  const actor = obj(o.Actor);
  const rawAction = str(o.Action) ?? str(o.status) ?? str(o.action);
  if (!rawAction) return undefined;
  const attributes = attributesOf(o, actor);

  let action = rawAction;
  const colon = rawAction.indexOf(": ");
  if (colon > 0) {
    action = rawAction.slice(0, colon);
    const detail = rawAction.slice(colon + 2);
    attributes[DETAIL_ATTRIBUTE[action] ?? "detail"] ??= detail;
  }
  action = ACTION_ALIASES[action] ?? action;

  const podmanExit = attributes.containerExitCode;
  delete attributes.containerExitCode;
  if (action === "die" && attributes.exitCode === undefined && podmanExit !== undefined)
    attributes.exitCode = podmanExit;

  const id = str(actor?.ID) ?? str(o.id) ?? "";
  // podman's network connect/disconnect names the container as the actor (and `name` is the
  // container's); Docker names the network and puts the container id in `container`
  if ((action === "connect" || action === "disconnect") && attributes.container === undefined && id) {
    attributes.container = id;
    if (attributes.name !== undefined) {
      attributes.containerName = attributes.name;
      delete attributes.name;
    }
  }
  // old Docker sent container events with only status/id/from and no Type
  const type = (str(o.Type) ?? str(o.type) ?? (str(o.id) ? "container" : "unknown")).toLowerCase();
  const timeNano = num(o.timeNano);
  const time =
    num(o.time) ?? (timeNano !== undefined ? Math.floor(timeNano / 1e9) : Math.floor(now() / 1000));
  return { type, action, id, attributes, time, ...(timeNano !== undefined ? { timeNano } : {}) };
}

/** Event time in (fractional) seconds, the finest the engine gave. */
export const eventSeconds = (e: EngineEvent): number =>
  e.timeNano !== undefined ? e.timeNano / 1e9 : e.time;

/**
 * Split `/events` filters into what the engine is asked to filter and what is checked here after
 * normalisation: `event` values are never sent, because podman rejects Docker names it does not know
 * and its `die` filter never matched (podman#16857).
 */
export function splitFilters(filters: Record<string, string[]> = {}): {
  engine: Record<string, string[]>;
  local: (e: EngineEvent) => boolean;
} {
  const { event, ...engine } = filters;
  const wanted = event && event.length > 0 ? new Set(event.map((a) => ACTION_ALIASES[a] ?? a)) : undefined;
  const types = filters.type && filters.type.length > 0 ? new Set(filters.type) : undefined;
  return {
    engine,
    local: (e) => (!wanted || wanted.has(e.action)) && (!types || types.has(e.type)),
  };
}
