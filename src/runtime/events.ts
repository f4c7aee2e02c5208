import type { IncomingMessage } from "node:http";
import type { EngineClient } from "../engine/index.js";
import { readAll } from "../engine/index.js";
import { eventSeconds, normaliseEvent, splitFilters } from "./engine-event.js";
import { JsonObjectSplitter } from "./ndjson.js";
import type { EngineEvent } from "./types.js";

/**
 * Follows `GET /events` for as long as the caller wants, across engine restarts: when the stream ends
 * or the engine cannot be reached it reconnects with exponential backoff and jitter, asking again
 * `since` a little before the last event it delivered. That overlap re-reads the events around the
 * resume point (engines log some events out of time order, and `since` has second granularity on old
 * engines); they are dropped by their (time, id, action), so nothing is missed and nothing repeated.
 */

export type EventStreamState =
  | { state: "connected"; since?: number }
  | { state: "disconnected"; reason: string }
  | { state: "reconnecting"; reason: string; attempt: number; delayMs: number };

export interface FollowEventsOptions {
  /** deliver events from this time on (seconds since the epoch); default: from now */
  since?: number;
  /** Engine API filters (`type`, `container`, `label`, …); `event` is applied here after normalising */
  filters?: Record<string, string[]>;
  /** aborting ends followEvents (it then resolves) */
  signal: AbortSignal;
  /** called once per event, in order; the stream waits while it runs; a throw ends followEvents */
  onEvent(e: EngineEvent): void | Promise<void>;
  onState?(s: EventStreamState): void;
  /** first retry delay (default 250 ms), doubled per failed attempt up to maxDelayMs (default 15 s) */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** how far before the last event a resumed stream starts (default 5 s) */
  overlapSeconds?: number;
  /** jitter source (tests) */
  random?: () => number;
  /** clock for the resume point before any event was seen (tests) */
  now?: () => number;
}

/** a connection that stayed up this long resets the backoff */
const STABLE_MS = 5000;
/** remembered event keys, a bound for engines that replay far more than the overlap */
const MAX_KEYS = 20_000;

/** Remembers recently delivered events to drop the repeats a resumed stream replays. */
class RecentEvents {
  private readonly seen = new Map<string, number>();
  /** latest event time delivered (seconds) */
  latest: number | undefined;
  constructor(private readonly windowSeconds: number) {}

  /** true the first time an event is offered, false for a replay */
  admit(e: EngineEvent): boolean {
    const at = eventSeconds(e);
    const key = `${e.timeNano ?? e.time}|${e.type}|${e.id}|${e.action}`;
    if (this.seen.has(key)) return false;
    // an event older than anything the overlap replays was delivered before the window moved on
    if (this.latest !== undefined && at < this.latest - 2 * this.windowSeconds - 1) return false;
    this.seen.set(key, at);
    if (this.latest === undefined || at > this.latest) this.latest = at;
    if (this.seen.size > MAX_KEYS / 2) this.prune();
    return true;
  }

  private prune(): void {
    const horizon = (this.latest ?? 0) - 2 * this.windowSeconds - 1;
    for (const [k, at] of this.seen) if (at < horizon) this.seen.delete(k);
    // still too many (a burst inside the window): forget the oldest half
    if (this.seen.size > MAX_KEYS) {
      let n = this.seen.size / 2;
      for (const k of this.seen.keys()) {
        if (n-- <= 0) break;
        this.seen.delete(k);
      }
    }
  }
}

/** An HTTP answer the engine will give again on every retry: stop instead of looping. */
class PermanentStreamError extends Error {}

function abortable<T>(p: Promise<T>, signal: AbortSignal, onLate: (v: T) => void): Promise<T | undefined> {
  if (signal.aborted) {
    p.then(onLate, () => {});
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      p.then(onLate, () => {});
      resolve(undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) onLate(v);
        else resolve(v);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function streamPath(since: number | undefined, filters: Record<string, string[]>): string {
  const q = new URLSearchParams();
  if (since !== undefined) q.set("since", String(Math.max(0, Math.floor(since))));
  if (Object.keys(filters).length > 0) q.set("filters", JSON.stringify(filters));
  const s = q.toString();
  return s ? `/events?${s}` : "/events";
}

export async function followEvents(client: EngineClient, opts: FollowEventsOptions): Promise<void> {
  const { signal } = opts;
  const overlap = opts.overlapSeconds ?? 5;
  const initialDelay = opts.initialDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 15_000;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const { engine: engineFilters, local: wanted } = splitFilters(opts.filters);
  const recent = new RecentEvents(overlap);
  // everything from here on is ours to deliver, across reconnects; a second of slack for engines that
  // log an event a little after a later one (podman's image "pull" around a container "create")
  const floor = opts.since ?? now() / 1000 - 1;
  let firstAttempt = true;
  let attempt = 0;
  let connected = false;

  while (!signal.aborted) {
    let reason = "stream ended";
    let upSince = 0;
    try {
      // the very first stream without an explicit since starts "now" as the engine sees it; every later
      // one goes back a little before the last event delivered (or the start, when none was)
      const since = firstAttempt ? opts.since : (recent.latest ?? floor) - overlap;
      firstAttempt = false;
      const res = await abortable(
        client.request("GET", streamPath(since, engineFilters), { idleTimeoutMs: 0 }),
        signal,
        (late) => late.destroy(),
      );
      if (!res) break;
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const text = (await readAll(res, 1 << 16).catch(() => Buffer.alloc(0))).toString("utf8");
        const err = client.errorFor(status, "/events", text);
        if (status >= 400 && status < 500) throw new PermanentStreamError(err.message);
        throw err;
      }
      connected = true;
      upSince = Date.now();
      opts.onState?.({ state: "connected", ...(since !== undefined ? { since } : {}) });
      await consume(res, signal, async (e) => {
        if (eventSeconds(e) + 1e-6 < floor || !wanted(e) || !recent.admit(e)) return;
        attempt = 0;
        await opts.onEvent(e);
      });
    } catch (err) {
      if (err instanceof PermanentStreamError) throw err;
      if (err instanceof EventHandlerError) throw err.cause;
      reason = err instanceof Error ? err.message : String(err);
    }
    if (signal.aborted) break;
    if (upSince && Date.now() - upSince >= STABLE_MS) attempt = 0;
    if (connected) {
      connected = false;
      opts.onState?.({ state: "disconnected", reason });
    }
    attempt++;
    const base = Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt - 1, 30));
    // "equal jitter": half fixed, half random, so restarts of many monitors do not hit the engine at once
    const delayMs = Math.round(base / 2 + (base / 2) * random());
    opts.onState?.({ state: "reconnecting", reason, attempt, delayMs });
    await sleep(delayMs, signal);
  }
  if (connected) opts.onState?.({ state: "disconnected", reason: "stopped" });
}

/** Wraps an error thrown by the caller's onEvent, so it is not mistaken for a lost stream. */
class EventHandlerError extends Error {}

async function consume(
  res: IncomingMessage,
  signal: AbortSignal,
  deliver: (e: EngineEvent) => Promise<void>,
): Promise<void> {
  const splitter = new JsonObjectSplitter();
  const onAbort = () => res.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (const text of splitter.push(chunk)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          continue; // a garbled object: skip it, the stream itself is fine
        }
        const e = normaliseEvent(parsed);
        if (!e) continue;
        try {
          await deliver(e);
        } catch (err) {
          throw new EventHandlerError("onEvent failed", { cause: err });
        }
      }
    }
    // a stream that ends without an error still means the engine went away (or restarted)
    if (!res.complete && !signal.aborted) throw new Error("stream aborted");
  } finally {
    signal.removeEventListener("abort", onAbort);
    res.destroy();
  }
}
