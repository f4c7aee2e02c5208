import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { AirbagError } from "../model/index.js";
import { AuditLog } from "../policy/audit.js";
import { defaultStateDir } from "../policy/state-dir.js";
import { installAuth, Sessions } from "./auth.js";
import type { ServerContext, ServerOptions } from "./context.js";
import { FleetPolicy } from "./fleet-policy.js";
import { OpenApiCollector } from "./openapi.js";
import { openQueue } from "./queue/index.js";
import { startReevaluation } from "./reevaluate.js";
import { SERVER_ROUTES } from "./routes/index.js";
import { runScanJob } from "./scan-job.js";
import { openStore } from "./store/index.js";
import type { ScanJob } from "./store/types.js";

/**
 * `airbag serve` as a library call: open the store and queue, build the fastify app with auth, rate
 * limits, the OpenAPI collector and every route file, start in-process scan workers (SQLite) and the
 * re-evaluation watcher, and hand back listen/close.
 */

export interface Server {
  app: FastifyInstance;
  ctx: ServerContext;
  sessions: Sessions;
  /** resolves with the base URL, e.g. http://127.0.0.1:43121 */
  listen(host?: string, port?: number): Promise<string>;
  close(): Promise<void>;
}

/** A request error as one line, never a stack: fastify's validation text or our AirbagError message. */
function errorReply(err: FastifyError | Error): { code: number; body: { error: string } } {
  if (err instanceof AirbagError)
    return { code: err.code === "GATE" ? 409 : 400, body: { error: err.message } };
  const fe = err as FastifyError;
  if (fe.validation)
    return { code: 400, body: { error: `${fe.validationContext ?? "request"} ${fe.message}` } };
  const code = typeof fe.statusCode === "number" && fe.statusCode >= 400 ? fe.statusCode : 500;
  return { code, body: { error: code === 500 ? "internal error (see the server log)" : fe.message } };
}

export async function buildServer(options: ServerOptions = {}): Promise<Server> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`airbag serve: ${m}\n`));
  const state = options.stateDir ?? defaultStateDir();
  const store = await openStore(options.database ?? `sqlite:${join(state, "server.sqlite")}`);
  const queue = await openQueue(store, options.database, options.queue ?? {});
  const audit = await AuditLog.open(options.auditLog ?? join(state, "server-audit.jsonl"));
  const ctx: ServerContext = {
    store,
    queue,
    audit,
    options,
    onScanStored: new Set(),
    warn,
    fleet: { evaluate: async () => [], close: async () => {} },
  };
  ctx.fleet = new FleetPolicy(ctx);

  const app = Fastify({
    logger: false,
    bodyLimit: 8 * 1024 * 1024,
    // a load balancer in front (or a kube Service) may keep connections idle for long
    keepAliveTimeout: 65_000,
    ...(options.tls
      ? { https: { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) } }
      : {}),
  });
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const { code, body } = errorReply(err);
    if (code === 500) warn(`${req.method} ${req.url}: ${err.stack ?? err.message}`);
    await reply.code(code).send(body);
  });
  // the fleet policy is PUT as YAML
  app.addContentTypeParser(
    ["application/yaml", "application/x-yaml", "text/yaml"],
    { parseAs: "string" },
    (_r, body, done) => done(null, body),
  );
  app.setNotFoundHandler(async (req, reply) => {
    await reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}` });
  });

  const sessions = new Sessions();
  const openapi = new OpenApiCollector();
  openapi.install(app);
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimitPerMinute ?? 1200,
    timeWindow: 60_000,
    // per token when one is sent (hashing is the store's job; the header itself never leaves memory)
    keyGenerator: (req) => req.headers.authorization ?? req.ip,
    allowList: (req) => req.url === "/healthz" || req.url.startsWith("/admission"),
  });
  installAuth(app, store, sessions);
  for (const routes of SERVER_ROUTES) await routes(app, ctx, { sessions, openapi });
  await app.ready();

  const stop = new AbortController();
  const background: Promise<unknown>[] = [];
  const workers = options.inProcessWorkers ?? (queue.kind === "local" ? 1 : 0);
  if (workers > 0) {
    const dbPath = options.vulnDb;
    background.push(
      queue
        .work(
          "server",
          async (job: ScanJob) => {
            const r = await runScanJob(job, { store, ...(dbPath ? { dbPath } : {}) });
            for (const f of ctx.onScanStored) f(r.digest);
            return r;
          },
          { concurrency: workers, signal: stop.signal },
        )
        .catch((e: Error) => warn(`scan worker stopped: ${e.message}`)),
    );
  }
  background.push(startReevaluation(ctx, stop.signal));

  return {
    app,
    ctx,
    sessions,
    async listen(host = "127.0.0.1", port = 0) {
      await app.listen({ host, port });
      const addr = app.server.address() as AddressInfo;
      const h = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      return `${options.tls ? "https" : "http"}://${h}:${addr.port}`;
    },
    async close() {
      stop.abort();
      await app.close();
      await Promise.allSettled(background);
      await queue.close();
      await ctx.fleet.close();
      await audit.close();
      await store.close();
    },
  };
}
