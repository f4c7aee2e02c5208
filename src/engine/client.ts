import { Agent, type IncomingMessage, request } from "node:http";
import { AirbagError } from "../model/index.js";
import type { EngineEndpoint } from "./endpoint.js";

/**
 * Docker Engine API client (also podman's compatible API) over a unix socket or plain TCP, with
 * node:http. `connect()` asks the unversioned `/version` and then speaks the lower of the server's
 * API version and ours, refusing servers older than MIN_API (every call Airbag makes exists there).
 */

/** newest API version this client was written against (Docker 27) */
export const MAX_API = "1.47";
/** oldest we accept: podman's compat API and Docker ≥ 1.13 */
export const MIN_API = "1.24";

export interface EngineVersion {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  Components?: { Name?: string; Version?: string }[];
}

/** An HTTP error answer from the engine, with its status for callers that branch on it. */
export class EngineApiError extends AirbagError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(status === 404 ? "INPUT" : "NETWORK", message);
    this.status = status;
  }
}

function compareApi(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

export interface RequestOptions {
  body?: unknown;
  /** idle socket timeout; default 60 s (streams that pause longer are aborted) */
  idleTimeoutMs?: number;
}

export class EngineClient {
  readonly endpoint: EngineEndpoint;
  /** negotiated API version; requests go to `/v{apiVersion}/…` */
  apiVersion = MIN_API;
  version: EngineVersion = {};
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });

  private constructor(endpoint: EngineEndpoint) {
    this.endpoint = endpoint;
  }

  static async connect(endpoint: EngineEndpoint): Promise<EngineClient> {
    const client = new EngineClient(endpoint);
    try {
      const v = await client.json<EngineVersion>("GET", "/version", undefined, false);
      const server = v.ApiVersion ?? MIN_API;
      if (compareApi(server, MIN_API) < 0)
        throw new AirbagError(
          "UNSUPPORTED",
          `engine ${endpoint.url}: API ${server} is older than ${MIN_API}; upgrade the engine`,
        );
      client.apiVersion = compareApi(server, MAX_API) < 0 ? server : MAX_API;
      client.version = v;
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** A raw request; `versioned: false` for the few unversioned endpoints (`/version`, `/_ping`). */
  request(
    method: string,
    path: string,
    opts: RequestOptions = {},
    versioned = true,
  ): Promise<IncomingMessage> {
    const ep = this.endpoint;
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const fullPath = versioned ? `/v${this.apiVersion}${path}` : path;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...(ep.kind === "unix" ? { socketPath: ep.socketPath } : { host: ep.host, port: ep.port }),
          agent: this.agent,
          method,
          path: fullPath,
          headers: {
            host: ep.kind === "unix" ? "docker" : `${ep.host}:${ep.port}`,
            ...(body ? { "content-type": "application/json", "content-length": String(body.length) } : {}),
          },
        },
        resolve,
      );
      req.setTimeout(opts.idleTimeoutMs ?? 60_000, () =>
        req.destroy(new Error(`no answer within ${(opts.idleTimeoutMs ?? 60_000) / 1000} s`)),
      );
      req.on("error", (err: NodeJS.ErrnoException) => {
        const why = err.code === "ENOENT" ? "no such socket" : (err.code ?? err.message);
        reject(
          new AirbagError(
            "NETWORK",
            `engine ${ep.url}: cannot reach the API (${why}); is docker / podman running? use --engine`,
            { cause: err },
          ),
        );
      });
      req.end(body);
    });
  }

  /** A JSON call; non-2xx answers become an EngineApiError carrying the engine's message. */
  async json<T>(method: string, path: string, body?: unknown, versioned = true): Promise<T> {
    const res = await this.request(method, path, { body }, versioned);
    const text = (await readAll(res)).toString("utf8");
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw this.errorFor(status, path, text);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AirbagError("NETWORK", `engine ${this.endpoint.url}: ${path} answered invalid JSON`);
    }
  }

  /** Build the error for a failed answer (reads the engine's `{message}` when there is one). */
  errorFor(status: number, path: string, text: string): EngineApiError {
    let message = text.trim().slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* plain-text error body */
    }
    return new EngineApiError(
      status,
      `engine ${this.endpoint.url}: ${path}: HTTP ${status} ${message}`.trim(),
    );
  }

  close(): void {
    this.agent.destroy();
  }
}

export async function readAll(res: IncomingMessage, max = 64 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      res.destroy();
      throw new AirbagError("NETWORK", `engine answer larger than ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
