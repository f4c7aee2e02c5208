import { inspectContainer } from "../engine/api.js";
import { type EngineClient, readAll } from "../engine/client.js";
import type { ContainerInspect } from "../engine/types.js";
import type { ActionOutcome, ContainerRef, InterventionType } from "../model/index.js";
import {
  clearIsolation,
  type NetworkAttachment,
  QUARANTINE_LABEL,
  readIsolation,
  readLabels,
  recordIsolation,
  recordLabels,
  removeLabels,
} from "./quarantine-records.js";
import { defaultStateDir } from "./state-dir.js";

export { QUARANTINE_LABEL } from "./quarantine-records.js";

/**
 * Interventions on a running container through the Engine API (Docker or podman's compat API). Each
 * one is checked afterwards by inspecting the container — an API call that "succeeded" but left the
 * container running is reported as failed, with what inspect showed. Each is idempotent: asking for
 * the state a container is already in is "done". A container that vanished is "failed: container
 * gone". Nothing here throws: the monitor always gets an outcome to alert and audit.
 *
 * - pause / unpause: the freezer cgroup; verified by State.Paused.
 * - stop: SIGTERM, SIGKILL after `timeoutSeconds`; a paused container is unpaused first (podman refuses
 *   to stop a paused one). Verified by State.Running false.
 * - kill: `signal` (default SIGKILL), meant to end the container: verified by State.Running false.
 * - isolate: disconnect (Force) from every network in NetworkSettings.Networks, keeping a record in
 *   `<state>/isolated/<id>.json` for `release`, then the quarantine label. The container keeps running
 *   (kept for forensics). Verified by NetworkSettings.Networks being empty. "host" networking cannot be
 *   taken away without stopping the container: that is a failure that says so.
 * - label: recorded in `<state>/labels/<id>.json` — engines cannot relabel an existing container
 *   (quarantine-records.ts); the outcome detail says where the label went.
 */

export interface InterventionAction {
  type: InterventionType | "unpause";
  /** stop: seconds between SIGTERM and SIGKILL (default 10) */
  timeoutSeconds?: number;
  /** kill: signal name or number (default SIGKILL) */
  signal?: string;
  /** label: labels to record (default QUARANTINE_LABEL) */
  labels?: Record<string, string>;
  /** the policy engine's PlannedIntervention shape: params are merged in */
  params?: { timeoutSeconds?: number; labels?: Record<string, string>; signal?: string };
}

export interface InterventionOptions {
  /** where isolation and label records go (default: $XDG_STATE_HOME/airbag) */
  stateDir?: string;
  /** how long to wait for inspect to show the new state (default 5 s, plus the stop timeout) */
  verifyTimeoutMs?: number;
  now?: () => Date;
}

type NetworkEntry = NonNullable<NonNullable<ContainerInspect["NetworkSettings"]>["Networks"]>[string] & {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
};

class Gone extends Error {}
class Failed extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Networks that count as a connection ("none" is no network at all). */
function attachedNetworks(c: ContainerInspect): [string, NetworkEntry][] {
  return Object.entries((c.NetworkSettings?.Networks ?? {}) as Record<string, NetworkEntry>).filter(
    ([name]) => name !== "none",
  );
}

export function containerRef(c: ContainerInspect): ContainerRef {
  return {
    id: c.Id ?? "",
    name: (c.Name ?? "").replace(/^\//, ""),
    image: c.Config?.Image ?? c.Image ?? "",
    ...(c.Image ? { imageId: c.Image } : {}),
    ...(c.Config?.Labels ? { labels: c.Config.Labels } : {}),
  };
}

class Intervention {
  readonly stateDir: string;
  private readonly now: () => Date;
  constructor(
    readonly client: EngineClient,
    readonly ref: string,
    private readonly opts: InterventionOptions,
  ) {
    this.stateDir = opts.stateDir ?? defaultStateDir();
    this.now = opts.now ?? (() => new Date());
  }

  at = () => this.now().toISOString();

  async inspect(): Promise<ContainerInspect> {
    const c = await inspectContainer(this.client, this.ref);
    if (!c?.Id) throw new Gone();
    return c;
  }

  /**
   * POST to the engine, ignoring the answer's body (podman answers network calls with plain "OK");
   * `ok` statuses besides 2xx (304 "already stopped") are not errors.
   */
  async post(path: string, body?: unknown, ok: number[] = []): Promise<void> {
    const res = await this.client.request("POST", path, { body });
    const text = (await readAll(res, 1 << 20)).toString("utf8");
    const status = res.statusCode ?? 0;
    if ((status >= 200 && status < 300) || ok.includes(status)) return;
    if (status === 404 && !(await inspectContainer(this.client, this.ref))) throw new Gone();
    throw this.client.errorFor(status, path, text);
  }

  /** Inspect until `done` holds or the verification time is up; the last inspect either way. */
  async until(done: (c: ContainerInspect) => boolean, extraMs = 0): Promise<ContainerInspect> {
    const deadline = Date.now() + (this.opts.verifyTimeoutMs ?? 5000) + extraMs;
    for (;;) {
      const c = await this.inspect();
      if (done(c) || Date.now() >= deadline) return c;
      await sleep(100);
    }
  }

  path(c: ContainerInspect, action: string, query = "") {
    return `/containers/${encodeURIComponent(c.Id as string)}/${action}${query}`;
  }

  async pause(c: ContainerInspect): Promise<string> {
    if (c.State?.Paused) return "already paused";
    if (!c.State?.Running)
      throw new Failed(`not running (${c.State?.Status ?? "unknown"}): nothing to pause`);
    await this.post(this.path(c, "pause"));
    const after = await this.until((x) => x.State?.Paused === true);
    if (!after.State?.Paused) throw new Failed(`pause answered ok but inspect shows ${after.State?.Status}`);
    return "paused (freezer cgroup)";
  }

  async unpause(c: ContainerInspect): Promise<string> {
    if (!c.State?.Paused) return "not paused";
    await this.post(this.path(c, "unpause"));
    const after = await this.until((x) => x.State?.Paused === false);
    if (after.State?.Paused) throw new Failed("unpause answered ok but inspect still shows paused");
    return "unpaused";
  }

  async stop(c: ContainerInspect, timeoutSeconds = 10): Promise<string> {
    if (!c.State?.Running) return `already stopped (${c.State?.Status ?? "unknown"})`;
    if (c.State.Paused) await this.post(this.path(c, "unpause"), undefined, [304]);
    const t = Math.max(0, Math.round(timeoutSeconds));
    await this.post(this.path(c, "stop", `?t=${t}`), undefined, [304]);
    const after = await this.until((x) => !x.State?.Running, t * 1000);
    if (after.State?.Running) throw new Failed(`stop answered ok but inspect shows ${after.State?.Status}`);
    return `stopped (${after.State?.Status ?? "exited"}, timeout ${t}s)`;
  }

  async kill(c: ContainerInspect, signal = "SIGKILL"): Promise<string> {
    if (!/^(SIG)?[A-Z][A-Z0-9+-]*$|^\d{1,2}$/i.test(signal)) throw new Failed(`invalid signal "${signal}"`);
    if (!c.State?.Running) return `already not running (${c.State?.Status ?? "unknown"})`;
    await this.post(this.path(c, "kill", `?signal=${encodeURIComponent(signal)}`));
    // a paused process only sees signals other than KILL once thawed
    if (c.State.Paused && !/^(SIG)?KILL$|^9$/i.test(signal))
      await this.post(this.path(c, "unpause"), undefined, [304, 409, 500]);
    const after = await this.until((x) => !x.State?.Running);
    if (after.State?.Running) throw new Failed(`${signal} delivered but the container is still running`);
    return `killed with ${signal} (${after.State?.Status ?? "exited"})`;
  }

  async label(c: ContainerInspect, labels: Record<string, string> = QUARANTINE_LABEL): Promise<string> {
    const record = await recordLabels(this.stateDir, containerRef(c), labels, this.at());
    const back = await readLabels(this.stateDir, c.Id as string);
    const missing = Object.entries(labels).filter(([k, v]) => back?.labels[k] !== v);
    if (missing.length) throw new Failed(`label record did not keep ${missing.map(([k]) => k).join(", ")}`);
    const shown = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    return (
      `label ${shown} recorded in ${this.stateDir}/labels/${record.container.id}.json ` +
      "(engines cannot relabel an existing container)"
    );
  }

  async isolate(c: ContainerInspect): Promise<string> {
    const attached = attachedNetworks(c);
    if (attached.some(([name]) => name === "host") || c.HostConfig?.NetworkMode === "host")
      throw new Failed("uses the host network, which cannot be disconnected: pause or stop it instead");
    const taken: NetworkAttachment[] = attached.map(([name, n]) => ({
      name,
      ...(n.NetworkID ? { networkId: n.NetworkID } : {}),
      ...(n.IPAddress ? { ipAddress: n.IPAddress } : {}),
      ...(n.Aliases?.length ? { aliases: n.Aliases } : {}),
      ...(n.IPAMConfig?.IPv4Address || n.IPAMConfig?.IPv6Address ? { ipamConfig: n.IPAMConfig } : {}),
    }));
    // record first: a crash after disconnecting must not lose where the container was
    const record = await recordIsolation(this.stateDir, containerRef(c), taken, this.at());
    for (const n of taken) {
      try {
        await this.post(`/networks/${encodeURIComponent(n.name)}/disconnect`, {
          Container: c.Id,
          Force: true,
        });
      } catch (err) {
        // raced with someone else's disconnect: fine if the network is gone from the container
        const now = await this.inspect();
        if (attachedNetworks(now).some(([name]) => name === n.name)) throw err;
      }
    }
    const after = await this.until((x) => attachedNetworks(x).length === 0);
    const left = attachedNetworks(after).map(([name]) => name);
    if (left.length) throw new Failed(`still connected to ${left.join(", ")} after disconnecting`);
    await this.label(after);
    const was = record.networks.map((n) => (n.ipAddress ? `${n.name} (${n.ipAddress})` : n.name)).join(", ");
    const state = after.State?.Running ? "still running" : (after.State?.Status ?? "not running");
    return taken.length === 0
      ? `already isolated (no networks; ${state}); record ${this.stateDir}/isolated/${c.Id}.json`
      : `disconnected from ${was}; ${state}; record ${this.stateDir}/isolated/${c.Id}.json; labelled ${Object.keys(QUARANTINE_LABEL).join(",")}`;
  }

  async release(c: ContainerInspect): Promise<string> {
    const done: string[] = [];
    const record = await readIsolation(this.stateDir, c.Id as string);
    // podman cannot connect a paused container: thaw it first
    if (c.State?.Paused) done.push(await this.unpause(c));
    const connected = new Set(attachedNetworks(c).map(([name]) => name));
    for (const n of record?.networks ?? []) {
      if (connected.has(n.name)) continue;
      const short = (c.Id as string).slice(0, 12);
      const aliases = (n.aliases ?? []).filter((a) => a !== short);
      const endpoint = {
        ...(aliases.length ? { Aliases: aliases } : {}),
        ...(n.ipamConfig ? { IPAMConfig: n.ipamConfig } : {}),
      };
      await this.post(`/networks/${encodeURIComponent(n.name)}/connect`, {
        Container: c.Id,
        ...(Object.keys(endpoint).length ? { EndpointConfig: endpoint } : {}),
      });
      done.push(`reconnected to ${n.name}`);
    }
    const wanted = (record?.networks ?? []).map((n) => n.name);
    const after = await this.until(
      (x) => !x.State?.Paused && wanted.every((w) => attachedNetworks(x).some(([name]) => name === w)),
    );
    const missing = wanted.filter((w) => !attachedNetworks(after).some(([name]) => name === w));
    if (missing.length) throw new Failed(`not reconnected to ${missing.join(", ")}`);
    if (after.State?.Paused) throw new Failed("still paused after unpause");
    await clearIsolation(this.stateDir, c.Id as string);
    await removeLabels(this.stateDir, c.Id as string, Object.keys(QUARANTINE_LABEL), this.at());
    return done.length ? done.join("; ") : "nothing to release (not isolated, not paused)";
  }
}

function outcome(type: string, run: () => Promise<string>): Promise<ActionOutcome> {
  return run().then(
    (detail) => ({ type, status: "done" as const, detail }),
    (err: unknown) => ({
      type,
      status: "failed" as const,
      detail: err instanceof Gone ? "container gone" : err instanceof Error ? err.message : String(err),
    }),
  );
}

/** Run one intervention on a container (id or name) and verify it; never throws. */
export function intervene(
  client: EngineClient,
  containerId: string,
  action: InterventionAction,
  opts: InterventionOptions = {},
): Promise<ActionOutcome> {
  const a = { ...action.params, ...action };
  const it = new Intervention(client, containerId, opts);
  return outcome(a.type, async () => {
    const c = await it.inspect();
    switch (a.type) {
      case "pause":
        return it.pause(c);
      case "unpause":
        return it.unpause(c);
      case "stop":
        return it.stop(c, a.timeoutSeconds);
      case "kill":
        return it.kill(c, a.signal);
      case "isolate":
        return it.isolate(c);
      case "label":
        return it.label(c, a.labels);
      default:
        throw new Failed(`unknown intervention "${String((a as { type: unknown }).type)}"`);
    }
  });
}

/** For humans: reconnect an isolated container to its recorded networks and unpause it. */
export function release(
  client: EngineClient,
  containerId: string,
  opts: InterventionOptions = {},
): Promise<ActionOutcome> {
  const it = new Intervention(client, containerId, opts);
  return outcome("release", async () => it.release(await it.inspect()));
}
