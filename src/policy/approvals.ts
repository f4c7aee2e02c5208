import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AirbagError, type Detection, inputError } from "../model/index.js";
import { safeFileId, writeJsonAtomic } from "./state-dir.js";

/**
 * Approvals that wait for a human, as files under `<state>/approvals/` so the monitor and the
 * `airbag approvals` CLI (another process, maybe another user) share them without a server:
 *
 * - `<id>.json` — the request (rule, detection, actions, deadline) and, once settled, its outcome;
 *   always replaced atomically.
 * - `<id>.decided` — created with O_EXCL by whoever settles it first: a human approving or denying,
 *   or the deadline passing (`onTimeout` applies). Exactly one creation succeeds, so two deciders
 *   racing get one winner and one clear error. This file is the truth; `<id>.json` follows it (a crash
 *   between the two is healed on the next read).
 *
 * `waitFor` resolves "approved" | "denied" | "expired". At the deadline the record's state becomes
 * "expired" and `onTimeout` decides what the waiter gets: "deny" → "expired" (nothing runs),
 * "approve" → "approved" (the actions run; the record still says expired, decided by "timeout").
 */

export type ApprovalState = "pending" | "approved" | "denied" | "expired";
export type ApprovalResult = "approved" | "denied" | "expired";
export type ApprovalVerdict = "approve" | "deny";

/** What would run once approved (the policy engine's PlannedIntervention fits). */
export interface ApprovalAction {
  type: string;
  params?: Record<string, unknown>;
}

export interface ApprovalRequest {
  rule: string;
  detection: Detection;
  actions: readonly ApprovalAction[];
  timeoutMs: number;
  onTimeout: ApprovalVerdict;
}

export interface ApprovalDecision {
  result: ApprovalVerdict;
  /** who decided: a user name, or "timeout" */
  by: string;
  reason?: string;
  at: string;
}

export interface ApprovalRecord {
  id: string;
  state: ApprovalState;
  rule: string;
  detection: Detection;
  actions: ApprovalAction[];
  requestedAt: string;
  expiresAt: string;
  onTimeout: ApprovalVerdict;
  decision?: ApprovalDecision;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

function stateOf(d: ApprovalDecision): ApprovalState {
  if (d.by === "timeout") return "expired";
  return d.result === "approve" ? "approved" : "denied";
}

function resultOf(r: ApprovalRecord): ApprovalResult | undefined {
  if (r.state === "pending") return undefined;
  if (r.state === "expired") return r.decision?.result === "approve" ? "approved" : "expired";
  return r.state;
}

export class ApprovalStore {
  readonly dir: string;
  private readonly now: () => number;

  constructor(stateDir: string, opts: { now?: () => number } = {}) {
    this.dir = join(stateDir, "approvals");
    this.now = opts.now ?? Date.now;
  }

  private file(id: string, ext: "json" | "decided") {
    return join(this.dir, `${safeFileId(id, "approval id")}.${ext}`);
  }

  async request(req: ApprovalRequest): Promise<string> {
    if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0)
      throw inputError(`approval for rule ${req.rule}: timeout must be positive`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const id = randomBytes(6).toString("hex");
    const at = this.now();
    const record: ApprovalRecord = {
      id,
      state: "pending",
      rule: req.rule,
      detection: req.detection,
      actions: req.actions.map((a) => ({ type: a.type, ...(a.params ? { params: a.params } : {}) })),
      requestedAt: new Date(at).toISOString(),
      expiresAt: new Date(at + req.timeoutMs).toISOString(),
      onTimeout: req.onTimeout,
    };
    await writeJsonAtomic(this.file(id, "json"), record);
    return id;
  }

  /** The record, settled: a decision file wins over the JSON, a passed deadline is claimed. */
  async get(id: string): Promise<ApprovalRecord> {
    const file = this.file(id, "json");
    let record: ApprovalRecord;
    try {
      record = JSON.parse(await readFile(file, "utf8")) as ApprovalRecord;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw inputError(`approval ${id}: no such approval in ${this.dir}`);
      throw inputError(`${file}: unreadable approval record (${code ?? "invalid JSON"})`, err);
    }
    if (record.state !== "pending") return record;
    const decided = await this.readDecision(id);
    if (decided) return this.settle(record, decided);
    if (this.now() >= Date.parse(record.expiresAt)) {
      const timeout = { result: record.onTimeout, by: "timeout", at: record.expiresAt };
      return this.settle(record, (await this.claim(id, timeout)) ?? timeout);
    }
    return record;
  }

  private async readDecision(id: string): Promise<ApprovalDecision | undefined> {
    try {
      return JSON.parse(await readFile(this.file(id, "decided"), "utf8")) as ApprovalDecision;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Try to be the one who decides; undefined = we won, else the decision that beat us. */
  private async claim(id: string, d: ApprovalDecision): Promise<ApprovalDecision | undefined> {
    try {
      await writeFile(this.file(id, "decided"), JSON.stringify(d), { flag: "wx", mode: 0o600 });
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // the winner may still be writing: an empty file is retried briefly
      for (let i = 0; i < 50; i++) {
        const won = await this.readDecision(id).catch(() => undefined);
        if (won) return won;
        await sleep(10);
      }
      throw inputError(`approval ${id}: decision file is unreadable`);
    }
  }

  private async settle(record: ApprovalRecord, d: ApprovalDecision): Promise<ApprovalRecord> {
    const settled: ApprovalRecord = { ...record, state: stateOf(d), decision: d };
    await writeJsonAtomic(this.file(record.id, "json"), settled);
    return settled;
  }

  /**
   * A human's decision. The first decision wins; a second one (or one after the deadline) is an
   * error naming who decided what, and when.
   */
  async decide(id: string, verdict: ApprovalVerdict, by: string, reason?: string): Promise<ApprovalRecord> {
    const record = await this.get(id);
    const already = (r: ApprovalRecord) => {
      const d = r.decision as ApprovalDecision;
      const how =
        d.by === "timeout"
          ? `expired at ${d.at} (onTimeout: ${d.result})`
          : `${r.state} by ${d.by} at ${d.at}`;
      return new AirbagError("INPUT", `approval ${id}: already ${how}; your ${verdict} was not applied`);
    };
    if (record.state !== "pending") throw already(record);
    const mine: ApprovalDecision = {
      result: verdict,
      by,
      at: new Date(this.now()).toISOString(),
      ...(reason ? { reason } : {}),
    };
    const winner = await this.claim(id, mine);
    const settled = await this.settle(record, winner ?? mine);
    if (winner) throw already(settled);
    return settled;
  }

  /** All approvals (settling expired ones), oldest first; `state` filters. Bad files are skipped. */
  async list(
    opts: { state?: ApprovalState; onWarning?: (m: string) => void } = {},
  ): Promise<ApprovalRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw inputError(`${this.dir}: cannot list approvals (${(err as NodeJS.ErrnoException).code})`, err);
    }
    const out: ApprovalRecord[] = [];
    for (const n of names) {
      if (!n.endsWith(".json")) continue;
      try {
        out.push(await this.get(n.slice(0, -5)));
      } catch (err) {
        opts.onWarning?.((err as Error).message);
      }
    }
    return out
      .filter((r) => !opts.state || r.state === opts.state)
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.id.localeCompare(b.id));
  }

  /** The full id for a unique prefix (humans type the first few characters). */
  async resolve(prefix: string): Promise<string> {
    safeFileId(prefix, "approval id");
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const ids = names.filter((n) => n.endsWith(".json") && n.startsWith(prefix)).map((n) => n.slice(0, -5));
    if (ids.includes(prefix)) return prefix;
    if (ids.length === 1) return ids[0] as string;
    if (ids.length === 0) throw inputError(`approval ${prefix}: no such approval in ${this.dir}`);
    throw inputError(`approval ${prefix}: ambiguous (${ids.join(", ")}); give more characters`);
  }

  /** Wait until decided or expired (polling the files, waking at the deadline). */
  async waitFor(id: string, opts: { signal?: AbortSignal; pollMs?: number } = {}): Promise<ApprovalResult> {
    const pollMs = opts.pollMs ?? 1000;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const r = await this.get(id);
      const result = resultOf(r);
      if (result) return result;
      const untilDeadline = Date.parse(r.expiresAt) - this.now();
      await sleep(Math.max(1, Math.min(pollMs, untilDeadline)), opts.signal);
    }
  }
}
