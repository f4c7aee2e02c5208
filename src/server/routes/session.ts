import type { FastifyInstance } from "fastify";
import { VERSION } from "../../version.js";
import { readCookie, SESSION_COOKIE, sessionCookie } from "../auth.js";
import type { ServerContext } from "../context.js";
import { dbStatus } from "../reevaluate.js";
import type { RouteExtras } from "./index.js";

/** Health, the OpenAPI document, who-am-I and the dashboard's cookie session (login / logout). */
export default async function sessionRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  { sessions, openapi }: RouteExtras,
): Promise<void> {
  app.get("/healthz", { config: { role: "public", summary: "liveness" } }, async () => ({ ok: true }));

  app.get("/api/v1/openapi.json", { config: { role: "public", summary: "this document" } }, async () =>
    openapi.document(),
  );

  app.get("/api/v1/me", { config: { role: "any", summary: "the caller's token record" } }, async (req) => ({
    ...req.principal,
  }));

  app.post<{ Body: { token: string } }>(
    "/api/v1/session",
    {
      config: {
        role: "public",
        summary: "log in with an API token; sets an HttpOnly cookie, returns the CSRF token",
        // brute force of tokens is pointless (256 bits) but cheap to make slower still
        rateLimit: { max: 20, timeWindow: 60_000, keyGenerator: (req) => req.ip },
      },
      schema: {
        body: {
          type: "object",
          required: ["token"],
          additionalProperties: false,
          properties: { token: { type: "string", minLength: 1, maxLength: 512 } },
        },
      },
    },
    async (req, reply) => {
      const token = await ctx.store.authenticate(req.body.token);
      if (!token || token.role === "agent") {
        return reply.code(401).send({ error: "unknown, revoked or agent-only token" });
      }
      const { id, csrf } = sessions.create(token);
      reply.header("set-cookie", sessionCookie(id, Boolean(ctx.options.tls)));
      return { csrfToken: csrf, role: token.role, name: token.name };
    },
  );

  app.delete("/api/v1/session", { config: { role: "viewer", summary: "log out" } }, async (req, reply) => {
    sessions.delete(readCookie(req.headers.cookie, SESSION_COOKIE));
    reply.header("set-cookie", sessionCookie("", Boolean(ctx.options.tls), 0));
    return { ok: true };
  });

  app.get(
    "/api/v1/status",
    { config: { role: "viewer", summary: "server, store and vulnerability DB" } },
    async () => {
      return {
        version: VERSION,
        store: ctx.store.kind,
        queue: ctx.queue.kind,
        db: dbStatus(ctx),
      };
    },
  );
}
