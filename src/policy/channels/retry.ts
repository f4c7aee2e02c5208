import { setTimeout as sleep } from "node:timers/promises";
import type { ChannelOptions } from "./channel.js";
import { deliveryError } from "./channel.js";

/** What one delivery attempt came to. */
export type AttemptResult =
  | { ok: true }
  | {
      ok: false;
      /** false for answers that will not change on retry (4xx other than 408/429, bad credentials) */
      retry: boolean;
      reason: string;
      /** the receiver's Retry-After, in ms */
      retryAfterMs?: number;
      cause?: unknown;
    };

export interface RetryPlan {
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
}

export function retryPlan(opts: ChannelOptions, configured?: number): RetryPlan {
  return {
    retries: configured ?? opts.retries ?? 3,
    backoffMs: opts.backoffMs ?? 500,
    maxBackoffMs: opts.maxBackoffMs ?? 30_000,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000,
  };
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random): many monitors failing together
 * do not hammer a recovering receiver in lock-step, yet each still waits at least half the step.
 */
export function backoffDelay(plan: RetryPlan, retry: number, random: () => number = Math.random): number {
  const step = Math.min(plan.maxBackoffMs, plan.backoffMs * 2 ** (retry - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * Run `attempt` until it succeeds, gives a final answer, or the retries run out; then throw one
 * NETWORK error naming the channel, the attempts made and the last reason.
 */
export async function withRetries(
  channel: string,
  plan: RetryPlan,
  attempt: (n: number) => Promise<AttemptResult>,
): Promise<void> {
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result.ok) return;
    const tries = n === 1 ? "1 attempt" : `${n} attempts`;
    if (!result.retry || n > plan.retries)
      throw deliveryError(channel, `${result.reason} (${tries})`, result.cause);
    let wait = backoffDelay(plan, n);
    if (result.retryAfterMs !== undefined) {
      if (result.retryAfterMs > plan.maxRetryAfterMs)
        throw deliveryError(
          channel,
          `${result.reason}; receiver asked to retry after ${Math.ceil(result.retryAfterMs / 1000)}s (${tries})`,
          result.cause,
        );
      wait = Math.max(wait, result.retryAfterMs);
    }
    await sleep(wait);
  }
}

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
