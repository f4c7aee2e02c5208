import { Agent, type Dispatcher, interceptors, request } from "undici";
import { AirbagError } from "../../model/index.js";

/**
 * HTTP for the registry client (undici): one connection pool per client, redirects followed (blob
 * storage often answers with a 307 to a CDN; undici drops Authorization when the origin changes),
 * and bounded retries with exponential backoff on 429 / 5xx / dropped connections, honouring
 * `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date) up to `maxRetryDelayMs`.
 */

export interface HttpOptions {
  /** skip TLS verification (skopeo's --tls-verify=false) */
  insecure?: boolean;
  /** attempts after the first; default 4 */
  retries?: number;
  /** first backoff delay; doubles each retry; default 250 ms */
  retryBaseMs?: number;
  /** cap on any one wait, Retry-After included; default 20 s */
  maxRetryDelayMs?: number;
  /** time to the response headers and between body chunks; default 60 s */
  timeoutMs?: number;
  /** injectable for tests; default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Connection failures worth another try; refused connections and DNS/TLS failures are not. */
const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_HEADERS_TIMEOUT"]);
const DROPPED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

export function header(res: { headers: HttpResponse["headers"] }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as milliseconds, or undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly agent: Agent;
  private readonly opts: Required<Omit<HttpOptions, "insecure">>;

  constructor(opts: HttpOptions = {}) {
    const timeout = opts.timeoutMs ?? 60_000;
    this.agent = new Agent({
      connect: { rejectUnauthorized: !opts.insecure },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connections: 8,
    });
    this.dispatcher = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
    this.opts = {
      retries: opts.retries ?? 4,
      retryBaseMs: opts.retryBaseMs ?? 250,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? 20_000,
      timeoutMs: timeout,
      sleep: opts.sleep ?? sleepFor,
    };
  }

  /** GET/HEAD with retries. The caller reads or dumps the body of what it gets back. */
  async get(
    url: string,
    headers: Record<string, string>,
    method: "GET" | "HEAD" = "GET",
  ): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        const r = await request(url, { method, headers, dispatcher: this.dispatcher });
        res = { status: r.statusCode, headers: r.headers, body: r.body };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (attempt < this.opts.retries && TRANSIENT.has(code)) {
          await this.opts.sleep(this.backoff(attempt));
          continue;
        }
        throw networkError(url, err);
      }
      const retryable = res.status === 429 || (res.status >= 500 && res.status !== 501);
      if (!retryable || attempt >= this.opts.retries) return res;
      await res.body.dump().catch(() => {});
      const hinted = retryAfterMs(header(res, "retry-after"));
      await this.opts.sleep(Math.min(this.opts.maxRetryDelayMs, hinted ?? this.backoff(attempt)));
    }
  }

  private backoff(attempt: number): number {
    // full jitter keeps parallel clients from retrying in lockstep
    const base = this.opts.retryBaseMs * 2 ** attempt;
    return Math.min(this.opts.maxRetryDelayMs, base / 2 + Math.random() * (base / 2));
  }

  /** Ends every connection, also downloads still running (a failed walk leaves prefetches behind). */
  close(): Promise<void> {
    return this.agent.destroy();
  }
}

export function networkError(url: string, err: unknown): AirbagError {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const why = e.cause?.code ?? e.code ?? e.message;
  const host = new URL(url).host;
  const what = DROPPED.has(why) ? "connection closed before the answer was complete" : "cannot connect";
  return new AirbagError("NETWORK", `registry ${host}: ${what} (${why}) while fetching ${url}`, {
    cause: err,
  });
}

/** Read a whole body, refusing more than `max` bytes (manifests, configs, tokens). */
export async function readLimited(body: HttpResponse["body"], max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw new AirbagError("INPUT", `${what}: larger than ${max} bytes; refused`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
