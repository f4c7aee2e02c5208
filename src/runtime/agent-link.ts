import type { ApprovalDecisionWire, FleetContainer } from "../model/fleet.js";
import type { ActionOutcome, AlertMessage, Detection } from "../model/index.js";
import type { ApprovalStore } from "../policy/approvals.js";
import { AgentClient } from "./agent-client.js";
import { AgentSpool, type NewAgentEvent } from "./agent-spool.js";
import type { ContainerState } from "./types.js";

/**
 * The monitor's side of `--server`: what the responder and the monitor loop see becomes spooled
 * events (detections, alerts once per alert id, actions, approval requests and outcomes, inventory
 * snapshots on start, on every container change and at least every minute), and the server's
 * decisions on approvals are applied to the local approval store — which stays the truth for the
 * code waiting on them, so an approval decided on the server runs its actions exactly like one
 * decided with `airbag approvals approve`.
 */

export interface AgentLinkOptions {
  server: string;
  token: string;
  caFile?: string;
  spoolFile: string;
  host: string;
  approvals: ApprovalStore;
  signal: AbortSignal;
  warn(message: string): void;
  /** snapshot period when nothing changes (default 60 s) */
  inventoryEveryMs?: number;
  /** shutdown: how long to try delivering what is left (default 3 s) */
  flushTimeoutMs?: number;
  /** delivery knobs (tests) */
  idlePollMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  spoolMaxBytes?: number;
}

/** What the server keeps about a running container. */
export function fleetContainer(c: ContainerState): FleetContainer {
  const out: FleetContainer = {
    ...c.ref,
    state: c.inspect.State?.Status ?? (c.inspect.State?.Running ? "running" : "unknown"),
  };
  if (c.ref.imageId) out.imageDigest = c.ref.imageId;
  if (c.inspect.HostConfig?.Privileged !== undefined) out.privileged = c.inspect.HostConfig.Privileged;
  return out;
}

export class AgentLink {
  readonly client: AgentClient;
  private running?: Promise<void>;
  private readonly seenAlerts = new Set<string>();
  private list?: () => ContainerState[];
  private snapshotTimer?: NodeJS.Timeout;
  private periodic?: NodeJS.Timeout;
  /** close() ends delivery even when the monitor's signal has not fired */
  private readonly closing = new AbortController();

  private constructor(
    readonly spool: AgentSpool,
    private readonly o: AgentLinkOptions,
  ) {
    this.client = new AgentClient({
      server: o.server,
      token: o.token,
      host: o.host,
      spool,
      ...(o.caFile ? { caFile: o.caFile } : {}),
      ...(o.idlePollMs ? { idlePollMs: o.idlePollMs } : {}),
      ...(o.backoffMs ? { backoffMs: o.backoffMs } : {}),
      ...(o.maxBackoffMs ? { maxBackoffMs: o.maxBackoffMs } : {}),
      onDecisions: (d) => this.apply(d),
      warn: o.warn,
    });
  }

  static async open(o: AgentLinkOptions): Promise<AgentLink> {
    const spool = await AgentSpool.open(o.spoolFile, {
      warn: o.warn,
      ...(o.spoolMaxBytes ? { maxBytes: o.spoolMaxBytes } : {}),
    });
    try {
      return new AgentLink(spool, o);
    } catch (err) {
      await spool.close();
      throw err;
    }
  }

  /** Start delivering; `list` gives the running containers for periodic snapshots. */
  start(list: () => ContainerState[]): void {
    this.list = list;
    this.running = this.client.run(AbortSignal.any([this.o.signal, this.closing.signal]));
    this.periodic = setInterval(() => this.snapshot(), this.o.inventoryEveryMs ?? 60_000);
  }

  private emit(event: NewAgentEvent): void {
    this.spool.append(event).then(
      () => this.client.notify(),
      (err: Error) => this.o.warn(`agent spool ${this.spool.file}: ${err.message}`),
    );
  }

  detection(d: Detection): void {
    this.emit({ type: "detection", detection: d });
  }

  action(container: string, outcome: ActionOutcome): void {
    this.emit({ type: "action", container, outcome });
  }

  /** One alert goes to several channels; the server gets it once. */
  alert(msg: AlertMessage): void {
    if (this.seenAlerts.has(msg.id)) return;
    if (this.seenAlerts.size >= 1000) this.seenAlerts.clear();
    this.seenAlerts.add(msg.id);
    this.emit({ type: "alert", alert: msg });
  }

  async approvalRequested(id: string): Promise<void> {
    const r = await this.o.approvals.get(id);
    this.emit({
      type: "approval-request",
      approval: {
        id: r.id,
        rule: r.rule,
        detection: r.detection,
        actions: r.actions,
        requestedAt: r.requestedAt,
        expiresAt: r.expiresAt,
        onTimeout: r.onTimeout,
      },
    });
  }

  async approvalSettled(id: string): Promise<void> {
    const r = await this.o.approvals.get(id);
    if (r.state === "pending") return;
    this.emit({
      type: "approval-settled",
      id,
      state: r.state,
      ...(r.decision?.by ? { by: r.decision.by } : {}),
    });
  }

  /** A container changed: one snapshot for a burst of changes. */
  inventoryChanged(): void {
    if (this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      this.snapshot();
    }, 200);
  }

  private snapshot(): void {
    if (!this.list) return;
    this.emit({ type: "inventory", containers: this.list().map(fleetContainer) });
  }

  /** Decisions taken on the server: settle them locally; the waiting responder does the rest. */
  private async apply(decisions: ApprovalDecisionWire[]): Promise<void> {
    for (const d of decisions) {
      try {
        await this.o.approvals.decide(d.id, d.verdict, d.by, d.reason);
      } catch (err) {
        // decided here already (CLI, timeout) or not ours: the settled event tells the server
        this.o.warn(`server decision on approval ${d.id}: ${(err as Error).message}`);
        await this.approvalSettled(d.id).catch(() => {});
      }
    }
  }

  /** Stop, then try once, briefly, to deliver what is left; the rest waits in the spool. */
  async close(): Promise<void> {
    this.closing.abort();
    clearInterval(this.periodic);
    if (this.snapshotTimer) {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = undefined;
      this.snapshot();
    }
    await this.running?.catch(() => {});
    await this.client.flush(this.o.flushTimeoutMs ?? 3000);
    await this.client.close();
    await this.spool.close();
  }
}
