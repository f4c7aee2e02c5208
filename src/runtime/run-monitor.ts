import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { EngineClient, resolveEngineEndpoint } from "../engine/index.js";
import type { ActionOutcome, AlertMessage, Detection, Policy } from "../model/index.js";
import { ApprovalStore } from "../policy/approvals.js";
import { AuditLog } from "../policy/audit.js";
import {
  type Channel,
  type ChannelOptions,
  closeChannels,
  createChannels,
} from "../policy/channels/index.js";
import { deadLetterPath, sendOrDeadLetter } from "../policy/dead-letter.js";
import { intervene } from "../policy/interventions.js";
import { defaultStateDir } from "../policy/state-dir.js";
import { resolveDbPath } from "../vulndb/index.js";
import { AgentLink } from "./agent-link.js";
import { createRuntimeDetectors, type RuntimeDetectorName } from "./detectors/index.js";
import { ImageFacts } from "./image-facts.js";
import { MonitorLoop } from "./monitor.js";
import { PolicyResponder } from "./respond.js";
import type { RuntimeDetector } from "./types.js";

/**
 * `airbag monitor` as a library call: connect to the engine, open the audit log, approvals store and
 * channels, build the detectors (image-trust and new-cve only with a vulnerability DB), and run the
 * monitor loop with the policy responder until the signal aborts; then flush and close everything.
 */

export interface MonitorOptions {
  policy: Policy;
  engine?: string;
  signal: AbortSignal;
  /** hash-chained audit log (default <state>/audit.jsonl) */
  auditLog?: string;
  /** approvals, isolation records (default $XDG_STATE_HOME/airbag) */
  stateDir?: string;
  /** undeliverable alerts (default policy.deadLetter, else <state>/dead-letter.jsonl) */
  deadLetter?: string;
  /** vulnerability DB for image-trust and new-cve (used when it exists) */
  db?: string;
  only?: RuntimeDetectorName[];
  detectors?: RuntimeDetector[];
  sampleIntervalMs?: number;
  /** full /proc read of quiet containers at least every N rounds (MonitorLoopOptions.fullReadEvery) */
  fullReadEvery?: number;
  procRoot?: string;
  /** test knobs for channel retries */
  channelOptions?: ChannelOptions;
  onWarning?(message: string): void;
  /** every alert as it is sent (tests, `--verbose`) */
  onAlert?(channel: string, message: AlertMessage): void;
  onRound?(n: number): void;
  /** approval polling period (default 1 s) */
  approvalPollMs?: number;
  /** report to `airbag serve` (`--server URL --token T`); events wait in a spool while it is down */
  server?: MonitorServerOptions;
  /** host name reported in detections and to the server (default os.hostname()) */
  hostName?: string;
}

export interface MonitorServerOptions {
  url: string;
  token: string;
  /** PEM CA bundle for an https server with a private CA */
  caFile?: string;
  /** default <state>/agent-spool.jsonl */
  spool?: string;
  /** test knobs: idle poll, retry delays, inventory period, shutdown flush */
  idlePollMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  inventoryEveryMs?: number;
  flushTimeoutMs?: number;
}

export async function runMonitor(o: MonitorOptions): Promise<void> {
  const warn = o.onWarning ?? (() => {});
  const state = o.stateDir ?? defaultStateDir();
  // the policy's deadLetter outranks the state dir: `airbag alerts replay --policy` reads it from there
  const deadLetter = deadLetterPath(o.policy, o.deadLetter, process.env, state);
  const host = o.hostName ?? hostname();
  const endpoint = resolveEngineEndpoint(o.engine ? { engine: o.engine } : {});
  const client = await EngineClient.connect(endpoint);
  const audit = await AuditLog.open(o.auditLog ?? join(state, "audit.jsonl"));
  const approvals = new ApprovalStore(state);
  const link = o.server
    ? await AgentLink.open({
        server: o.server.url,
        token: o.server.token,
        caFile: o.server.caFile,
        idlePollMs: o.server.idlePollMs,
        backoffMs: o.server.backoffMs,
        maxBackoffMs: o.server.maxBackoffMs,
        inventoryEveryMs: o.server.inventoryEveryMs,
        flushTimeoutMs: o.server.flushTimeoutMs,
        spoolFile: o.server.spool ?? join(state, "agent-spool.jsonl"),
        host,
        approvals,
        signal: o.signal,
        warn,
      })
    : undefined;
  const channels: Map<string, Channel> = createChannels(o.policy.channels, o.channelOptions);
  const dbPath = resolveDbPath(o.db);
  const facts = existsSync(dbPath)
    ? new ImageFacts({ ...(o.engine ? { engine: o.engine } : {}), dbPath, warn })
    : undefined;
  const detectors =
    o.detectors ??
    createRuntimeDetectors({
      ...(o.only ? { only: o.only } : {}),
      ...(facts
        ? {
            imageTrust: { verdicts: facts },
            newCve: { inventory: (id) => facts.inventory(id), lookup: () => facts.lookup() },
          }
        : {}),
    });
  const responder = new PolicyResponder(
    o.policy,
    {
      intervene: (id, a) => intervene(client, id, a, { stateDir: state }),
      // to the server once per alert id, whatever the rule's channels are and whatever happens to them
      ...(link ? { published: (msg: AlertMessage) => link.alert(msg) } : {}),
      alert: async (name, msg) => {
        const ch = channels.get(name);
        if (!ch) return warn(`alert: no channel "${name}"`);
        o.onAlert?.(name, msg);
        const r = await sendOrDeadLetter(ch, msg, deadLetter).catch((e: Error) => ({
          delivered: false as const,
          error: `${e.message} (and the dead-letter file ${deadLetter} could not be written)`,
        }));
        // nothing lost: `airbag alerts replay` sends dead letters again later
        if (!r.delivered) warn(`${r.error}; kept in ${deadLetter}`);
      },
      audit: async (type, data) => {
        await audit.append(type, data);
        if (type === "detection") link?.detection(data as Detection);
        else if (type === "action") {
          const { container, ...outcome } = data as ActionOutcome & { container: string };
          link?.action(container, outcome);
        }
      },
      requestApproval: async (dec, actions) => {
        const id = await approvals.request({
          rule: dec.rule,
          detection: dec.detection,
          actions: actions.map((a) => ({ type: a.type, params: { ...a.params } })),
          timeoutMs: dec.approval.timeoutMs,
          onTimeout: dec.approval.onTimeout === "approve" ? "approve" : "deny",
        });
        const wait = approvals.waitFor(id, { signal: o.signal, pollMs: o.approvalPollMs ?? 1000 });
        if (link) {
          await link.approvalRequested(id).catch((e: Error) => warn(`approval ${id}: ${e.message}`));
          wait.then(
            () => link.approvalSettled(id).catch((e: Error) => warn(`approval ${id}: ${e.message}`)),
            () => {},
          );
        }
        return { id, wait };
      },
      warn,
    },
    Date.now,
    host,
  );
  await audit.append("start", {
    engine: endpoint.url,
    host,
    detectors: detectors.map((d) => d.name),
    mode: o.policy.mode,
  });
  try {
    const loop = new MonitorLoop({
      client,
      detectors,
      responder,
      signal: o.signal,
      ...(o.sampleIntervalMs ? { sampleIntervalMs: o.sampleIntervalMs } : {}),
      ...(o.fullReadEvery ? { fullReadEvery: o.fullReadEvery } : {}),
      proc: { ...(o.procRoot ? { procRoot: o.procRoot } : {}) },
      ...(facts ? { watchDb: () => facts.dbVersion() } : {}),
      ctx: { now: Date.now, host },
      warn,
      ...(o.onRound ? { onRound: o.onRound } : {}),
      ...(link ? { onInventory: () => link.inventoryChanged() } : {}),
    });
    link?.start(() => loop.inventory.list());
    await loop.run();
  } finally {
    // approvals still waiting end with the signal; their outcome is in the audit log
    await Promise.allSettled([...responder.pending]);
    await audit.append("stop", { reason: o.signal.aborted ? "signal" : "error" }).catch(() => {});
    await audit.close();
    await link?.close().catch((e: Error) => warn(`server: ${e.message}`));
    await closeChannels(channels.values());
    facts?.close();
    client.close();
  }
}
