import { join } from "node:path";
import type { AlertMessage, Detection, Policy } from "../model/index.js";
import { type Channel, closeChannels, createChannels } from "../policy/channels/index.js";
import { sendOrDeadLetter } from "../policy/dead-letter.js";
import { PolicyEngine } from "../policy/engine.js";
import { parsePolicy } from "../policy/policy-file.js";
import { defaultStateDir } from "../policy/state-dir.js";
import { alertMessage } from "../runtime/respond.js";
import type { ServerContext } from "./context.js";

/**
 * The fleet policy: the same YAML as `airbag monitor --policy`, stored on the server (admins PUT it),
 * evaluated against every detection agents report and every new CVE the re-evaluation finds. The server
 * only alerts — interventions belong to the agent on the container's host, under its own policy — so
 * rule actions other than alerts are reported as "skipped" in the alert body.
 */
export class FleetPolicy {
  private current?: { version: number; engine: PolicyEngine; channels: Map<string, Channel> };

  constructor(private readonly ctx: ServerContext) {}

  /** the stored policy, re-read when its version changed */
  private async load(): Promise<FleetPolicy["current"]> {
    const stored = await this.ctx.store.getPolicy();
    if (!stored) return undefined;
    if (this.current?.version === stored.version) return this.current;
    let policy: Policy;
    try {
      policy = parsePolicy(stored.yaml, `fleet policy v${stored.version}`);
    } catch (e) {
      this.ctx.warn((e as Error).message);
      return this.current;
    }
    if (this.current) await closeChannels(this.current.channels.values());
    this.current = {
      version: stored.version,
      engine: new PolicyEngine(policy),
      channels: createChannels(policy.channels),
    };
    return this.current;
  }

  /** Decide and alert; resolves with the alerts sent (for tests and the audit log). */
  async evaluate(detection: Detection): Promise<AlertMessage[]> {
    const p = await this.load();
    if (!p) return [];
    const sent: AlertMessage[] = [];
    const deadLetter = join(this.ctx.options.stateDir ?? defaultStateDir(), "server-dead-letter.jsonl");
    for (const dec of p.engine.decide(detection, Date.now())) {
      if (!dec.deliver) continue;
      const skipped = dec.interventions.map((i) => ({
        type: i.type,
        status: "skipped" as const,
        detail: "fleet policy alerts only; the host's agent acts under its own policy",
      }));
      const msg = alertMessage(dec, "detection", skipped, Date.now(), detection.host);
      await this.ctx.audit.append("alert", {
        id: msg.id,
        rule: msg.rule,
        channels: dec.channels,
        fleet: true,
      });
      for (const name of dec.channels) {
        const ch = p.channels.get(name);
        if (!ch) {
          this.ctx.warn(`fleet policy: no channel "${name}"`);
          continue;
        }
        const r = await sendOrDeadLetter(ch, msg, deadLetter).catch((e: Error) => ({
          delivered: false as const,
          error: e.message,
        }));
        if (!r.delivered) this.ctx.warn(`fleet alert via ${name}: ${r.error}; kept in ${deadLetter}`);
      }
      sent.push(msg);
    }
    return sent;
  }

  async close(): Promise<void> {
    if (this.current) await closeChannels(this.current.channels.values());
  }
}
