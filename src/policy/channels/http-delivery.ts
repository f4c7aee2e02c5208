import { request } from "undici";
import { VERSION } from "../../version.js";
import type { ChannelOptions } from "./channel.js";
import { type AttemptResult, parseRetryAfter, type RetryPlan, retryPlan, withRetries } from "./retry.js";

/** One HTTP request a channel wants delivered (webhook, chat, SMS gateway). */
export interface HttpDelivery {
  url: string;
  method: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
}

export interface HttpDeliveryConfig {
  plan: RetryPlan;
  timeoutMs: number;
}

export function httpDeliveryConfig(
  opts: ChannelOptions,
  retries: number | undefined,
  timeoutMs: number | undefined,
): HttpDeliveryConfig {
  return { plan: retryPlan(opts, retries), timeoutMs: timeoutMs ?? opts.timeoutMs ?? 10_000 };
}

/**
 * Deliver with retries: network errors, timeouts, 5xx, 408 and 429 are retried (429/503 after the
 * receiver's Retry-After); any other 4xx is final — the same request would be refused again.
 */
export async function deliverHttp(
  channel: string,
  req: HttpDelivery,
  config: HttpDeliveryConfig,
): Promise<void> {
  // header names are case-insensitive: lower-case them so a policy's "Content-Type" cannot duplicate ours
  const headers: Record<string, string> = { "user-agent": `airbag/${VERSION}` };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  await withRetries(channel, config.plan, () => attempt(req, headers, config.timeoutMs));
}

async function attempt(
  req: HttpDelivery,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<AttemptResult> {
  try {
    const res = await request(req.url, {
      method: req.method,
      headers,
      body: req.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readSome(res.body);
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
    const retry = res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429;
    const snippet = text.trim().replace(/\s+/g, " ").slice(0, 120);
    const retryAfter = res.headers["retry-after"];
    return {
      ok: false,
      retry,
      reason: `${req.method} ${redact(req.url)} answered ${res.statusCode}${snippet ? `: ${snippet}` : ""}`,
      retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.name === "TimeoutError" || e.name === "AbortError"
        ? `no answer within ${timeoutMs} ms`
        : (e.code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message);
    return { ok: false, retry: true, reason: `${req.method} ${redact(req.url)}: ${why}`, cause: err };
  }
}

/** Error bodies only feed a message; never buffer a huge one. */
async function readSome(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  let out = "";
  for await (const chunk of body) {
    if (out.length < 1024) out += chunk.toString("utf8");
  }
  return out;
}

/** Webhook URLs often carry their secret in the path or query (Slack, Teams): keep it out of messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? "/…" : "/"}`;
  } catch {
    return "(bad url)";
  }
}
