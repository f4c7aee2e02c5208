import { readFileSync } from "node:fs";
import { Agent, type Dispatcher, request } from "undici";
import type { AgentReport, AgentReportResponse, ApprovalDecisionWire } from "../model/fleet.js";
import { inputError } from "../model/index.js";
import { VERSION } from "../version.js";
import type { AgentSpool } from "./agent-spool.js";
import { sleep } from "./events.js";

/**
 * Delivers the spool to `POST {server}/api/v1/agents/report` in batches (≤ 500 events, ≤ 4 MB: half
 * the server's body limit), acknowledging what the server says it stored. While the
 * server is down or refuses, it backs off exponentially with jitter and the events stay in the spool;
 * when idle it still polls every few seconds so decisions on approvals arrive without new events.
 * The token goes in the Authorization header only and never into a message.
 */

export interface AgentClientOptions {
  /** base URL of `airbag serve` (http or https) */
  server: string;
  token: string;
  host: string;
  spool: AgentSpool;
  /** PEM CA bundle for an https server with a private CA (default: Node's CAs) */
  caFile?: string;
  /** decisions a human took on the server for this host's approvals */
  onDecisions?(decisions: ApprovalDecisionWire[]): Promise<void>;
  warn?(message: string): void;
  batchSize?: number;
  maxBatchBytes?: number;
  /** poll period when nothing is pending (default 3 s) */
  idlePollMs?: number;
  /** first retry delay (default 500 ms), doubling up to maxBackoffMs (default 30 s) */
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  random?: () => number;
}

/** One failed attempt: why, and how long the server asked us to wait. */
class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export function agentReportUrl(server: string): URL {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw inputError(`--server: "${server}" is not a URL (e.g. https://airbag.example:8443)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw inputError(`--server: "${server}" must be an http:// or https:// URL`);
  if (u.username || u.password) throw inputError("--server: put the credentials in --token, not in the URL");
  return new URL(`${u.pathname.replace(/\/+$/, "")}/api/v1/agents/report`, u);
}

export class AgentClient {
  private readonly url: URL;
  private readonly dispatcher?: Dispatcher;
  private wake?: () => void;
  /** events arrived since the last batch was read (a notify between read and idle is not lost) */
  private dirty = false;
  private failures = 0;
  /** decisions already handed over (the server may repeat one until it sees it settled) */
  private readonly seenDecisions = new Set<string>();
  /** events delivered since start */
  delivered = 0;
  /** successful reports (including empty polls) */
  reports = 0;

  constructor(private readonly o: AgentClientOptions) {
    this.url = agentReportUrl(o.server);
    if (o.caFile) {
      let ca: string;
      try {
        ca = readFileSync(o.caFile, "utf8");
      } catch (err) {
        throw inputError(
          `--server-ca: cannot read ${o.caFile} (${(err as NodeJS.ErrnoException).code})`,
          err,
        );
      }
      this.dispatcher = new Agent({ connect: { ca } });
    }
  }

  /** New events are in the spool: deliver now instead of at the next poll. */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Deliver and poll until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let more = false;
      try {
        more = await this.deliverOnce();
        if (this.failures > 0)
          this.o.warn?.(
            `server ${this.url.origin}: reachable again; ${this.o.spool.backlog} event(s) left to send`,
          );
        this.failures = 0;
      } catch (err) {
        this.failures++;
        if (this.failures === 1)
          this.o.warn?.(`${(err as Error).message}; events are kept in ${this.o.spool.file} and retried`);
        await sleep(this.backoff((err as DeliveryError).retryAfterMs), signal);
        continue;
      }
      if (!more) await this.idle(signal);
    }
  }

  /** Try to empty the spool within `timeoutMs` (shutdown); true when nothing is left. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline) if (!(await this.deliverOnce(deadline - Date.now()))) return true;
    } catch (err) {
      this.o.warn?.(
        `${(err as Error).message}; ${this.o.spool.backlog} event(s) stay in ${this.o.spool.file}`,
      );
    }
    return this.o.spool.backlog === 0;
  }

  close(): Promise<void> {
    return this.dispatcher?.close() ?? Promise.resolve();
  }

  private backoff(retryAfterMs?: number): number {
    const base = this.o.backoffMs ?? 500;
    const max = this.o.maxBackoffMs ?? 30_000;
    const exp = Math.min(max, base * 2 ** Math.min(this.failures - 1, 30));
    // jitter: a fleet that lost its server together must not come back in lockstep
    const jittered = exp / 2 + ((this.o.random ?? Math.random)() * exp) / 2;
    return Math.max(jittered, Math.min(retryAfterMs ?? 0, max));
  }

  private idle(signal: AbortSignal): Promise<void> {
    if (this.dirty) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.o.idlePollMs ?? 3000);
      const onAbort = () => done();
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** One report: the next batch (maybe empty: a poll); true when more events wait. */
  private async deliverOnce(timeoutMs?: number): Promise<boolean> {
    const spool = this.o.spool;
    this.dirty = false;
    const events = await spool.pending(this.o.batchSize ?? 500, this.o.maxBatchBytes ?? 4_000_000);
    const report: AgentReport = { host: this.o.host, agentVersion: VERSION, events };
    const res = await this.post(report, Math.min(timeoutMs ?? Infinity, this.o.timeoutMs ?? 15_000));
    this.reports++;
    if (res.ackSeq > spool.seq) await spool.continueAfter(res.ackSeq);
    else await spool.ack(res.ackSeq);
    const last = events[events.length - 1];
    if (last && res.ackSeq >= last.seq) this.delivered += events.length;
    const fresh = res.decisions.filter((d) => !this.seenDecisions.has(d.id));
    if (this.seenDecisions.size > 10_000) this.seenDecisions.clear();
    for (const d of fresh) this.seenDecisions.add(d.id);
    if (fresh.length > 0) await this.o.onDecisions?.(fresh);
    // nothing acknowledged of a non-empty batch: the server did not store it, wait before resending
    if (last && res.ackSeq < (events[0]?.seq ?? 0))
      throw new DeliveryError(`server ${this.url.origin}: stored none of seq ${events[0]?.seq}…${last.seq}`);
    return spool.backlog > 0 && events.length > 0;
  }

  private async post(report: AgentReport, timeoutMs: number): Promise<AgentReportResponse> {
    const where = `POST ${this.url.origin}${this.url.pathname}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${this.o.token}`,
          "user-agent": `airbag-agent/${VERSION}`,
        },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why =
        e.name === "TimeoutError" || e.name === "AbortError"
          ? `no answer within ${Math.round(timeoutMs)} ms`
          : (e.code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message);
      throw new DeliveryError(`server ${where}: ${why}`);
    }
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const ra = Number(res.headers["retry-after"]);
      const hint =
        res.statusCode === 401 || res.statusCode === 403 ? " (check --token: it needs the agent role)" : "";
      throw new DeliveryError(
        `server ${where} answered ${res.statusCode}${hint}: ${text.replace(/\s+/g, " ").slice(0, 160)}`,
        Number.isFinite(ra) && ra >= 0 ? ra * 1000 : undefined,
      );
    }
    let body: Partial<AgentReportResponse>;
    try {
      body = JSON.parse(text) as Partial<AgentReportResponse>;
    } catch {
      throw new DeliveryError(`server ${where}: answer is not JSON`);
    }
    if (!Number.isSafeInteger(body.ackSeq) || (body.ackSeq as number) < 0)
      throw new DeliveryError(`server ${where}: answer has no valid "ackSeq"`);
    const decisions = Array.isArray(body.decisions)
      ? body.decisions.filter(
          (d): d is ApprovalDecisionWire =>
            !!d &&
            typeof d.id === "string" &&
            (d.verdict === "approve" || d.verdict === "deny") &&
            typeof d.by === "string",
        )
      : [];
    return { ackSeq: body.ackSeq as number, decisions };
  }
}
