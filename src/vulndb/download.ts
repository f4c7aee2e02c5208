/**
 * One feed URL → one file on disk, for `airbag db update`. Node's built-in fetch (undici), body streamed
 * to the file chunk by chunk — a feed is never held in memory. Conditional requests (ETag /
 * Last-Modified from the previous download) turn an unchanged feed into a 304 and no download; 429 and
 * 5xx are retried with exponential backoff, honouring Retry-After up to a cap; a response that sends no
 * headers or no body bytes for `timeoutMs` is abandoned (and retried) rather than hanging the update.
 */
import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { setTimeout as sleep } from "node:timers/promises";
import { constants, createGzip, gunzipSync } from "node:zlib";
import { AirbagError } from "../model/index.js";
import { VERSION } from "../version.js";

export interface HttpSettings {
  /** give up on a response that sends no headers / no body bytes for this long (default 60 s) */
  timeoutMs?: number;
  /** attempts per URL, the first included (default 4) */
  attempts?: number;
  /** first backoff delay; doubled per attempt (default 1 s) */
  retryDelayMs?: number;
  /** cap on any single wait, Retry-After included (default 60 s) */
  maxRetryDelayMs?: number;
}

/** What the server said about the version we hold, sent back as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type DownloadOutcome =
  | { status: "unchanged" }
  | { status: "downloaded"; bytes: number; validators: Validators };

export interface DownloadRequest {
  url: string;
  file: string;
  validators?: Validators;
  headers?: Record<string, string>;
  /** gzip the body on its way to disk (NVD pages: ~10× smaller temp files; importers sniff gzip) */
  gzip?: boolean;
  /** statuses besides 408/429/5xx worth retrying (NVD answers 403 when its rate limit is hit) */
  retryStatuses?: number[];
  settings?: HttpSettings;
  onBytes?: (bytes: number, total: number | undefined) => void;
}

const RETRY = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Retry-After: delta-seconds or an HTTP date → milliseconds (undefined when absent or unreadable). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A failure worth another attempt, with the wait the server asked for. */
class Transient extends Error {
  constructor(
    message: string,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message}: ${cause}` : (e?.message ?? String(err));
}

async function attempt(req: DownloadRequest, timeoutMs: number): Promise<DownloadOutcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
  };
  const headers: Record<string, string> = {
    "user-agent": `airbag/${VERSION}`,
    ...req.headers,
  };
  if (req.validators?.etag) headers["if-none-match"] = req.validators.etag;
  if (req.validators?.lastModified) headers["if-modified-since"] = req.validators.lastModified;
  arm();
  try {
    let res: Response;
    try {
      res = await fetch(req.url, { headers, signal: abort.signal, redirect: "follow" });
    } catch (err) {
      throw new Transient(timedOut ? `no response in ${timeoutMs / 1000} s` : describe(err));
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => {});
      return { status: "unchanged" };
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      const why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      if (RETRY.has(res.status) || req.retryStatuses?.includes(res.status))
        throw new Transient(why, retryAfterMs(res.headers.get("retry-after")));
      throw new AirbagError("NETWORK", why);
    }
    const encoded = res.headers.get("content-encoding");
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    // fetch decodes Content-Encoding, so Content-Length only counts the bytes we see when there is none
    const total = !encoded && Number.isFinite(length) ? length : undefined;
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        arm();
        bytes += chunk.length;
        req.onBytes?.(bytes, total);
        done(null, chunk);
      },
    });
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    const out = createWriteStream(req.file);
    try {
      if (req.gzip) await pipeline(body, counter, createGzip({ level: 1 }), out);
      else await pipeline(body, counter, out);
    } catch (err) {
      throw new Transient(
        timedOut ? `no data for ${timeoutMs / 1000} s after ${bytes} bytes` : `body: ${describe(err)}`,
      );
    }
    if (total !== undefined && bytes !== total)
      throw new Transient(`connection closed after ${bytes} of ${total} bytes`);
    const validators: Validators = {};
    const etag = res.headers.get("etag");
    const lastModified = res.headers.get("last-modified");
    if (etag) validators.etag = etag;
    if (lastModified) validators.lastModified = lastModified;
    return { status: "downloaded", bytes, validators };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Download `req.url` into `req.file` (overwritten). Throws AirbagError NETWORK naming the URL and the last
 * failure once the attempts are spent, or at once for a status not worth retrying (404, 401, …).
 */
export async function download(req: DownloadRequest): Promise<DownloadOutcome> {
  const s = req.settings ?? {};
  const attempts = Math.max(1, s.attempts ?? 4);
  const timeoutMs = s.timeoutMs ?? 60_000;
  const base = s.retryDelayMs ?? 1000;
  const cap = s.maxRetryDelayMs ?? 60_000;
  for (let n = 1; ; n++) {
    try {
      return await attempt(req, timeoutMs);
    } catch (err) {
      if (err instanceof AirbagError) throw new AirbagError("NETWORK", `${req.url}: ${err.message}`);
      if (!(err instanceof Transient)) throw err;
      if (n >= attempts)
        throw new AirbagError(
          "NETWORK",
          `${req.url}: ${err.message}${attempts > 1 ? ` (gave up after ${attempts} attempts)` : ""}`,
        );
      // backoff with jitter so parallel clients do not retry in lockstep; the server's wish wins
      const backoff = base * 2 ** (n - 1) * (0.75 + Math.random() * 0.5);
      await sleep(Math.min(cap, err.waitMs ?? backoff));
    }
  }
}

/** The first `n` bytes of a file as text, gunzipped when it is gzip (a partial gzip is fine). */
export async function fileHead(file: string, n = 4096): Promise<string> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let data = buf.subarray(0, bytesRead);
    if (data[0] === 0x1f && data[1] === 0x8b) {
      try {
        data = gunzipSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
      } catch {
        data = Buffer.alloc(0); // damaged: the importer will say so
      }
    }
    return data.subarray(0, n).toString("utf8");
  } finally {
    await fh.close();
  }
}
