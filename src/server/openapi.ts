import type { FastifyInstance, RouteOptions } from "fastify";
import { VERSION } from "../version.js";

/**
 * The OpenAPI 3.1 document at /api/v1/openapi.json, built from the routes actually registered (their
 * JSON schemas, summary and role), so it cannot drift from the server.
 */

interface Op {
  method: string;
  url: string;
  summary?: string;
  role: string;
  schema?: RouteOptions["schema"];
}

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

export class OpenApiCollector {
  private readonly ops: Op[] = [];

  install(app: FastifyInstance): void {
    app.addHook("onRoute", (r) => {
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      for (const m of methods) {
        if (m === "HEAD" || r.url.startsWith("/ui/")) continue;
        this.ops.push({
          method: m.toLowerCase(),
          url: r.url,
          role: r.config?.role ?? "admin",
          ...(r.config?.summary ? { summary: r.config.summary } : {}),
          ...(r.schema ? { schema: r.schema } : {}),
        });
      }
    });
  }

  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.ops) {
      const path = toOpenApiPath(op.url);
      const params: unknown[] = [];
      for (const m of op.url.matchAll(/:([A-Za-z0-9_]+)/g)) {
        params.push({ name: m[1], in: "path", required: true, schema: { type: "string" } });
      }
      const qs = op.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
      for (const [name, schema] of Object.entries(qs?.properties ?? {})) {
        params.push({ name, in: "query", required: false, schema });
      }
      const responses: Record<string, unknown> = {};
      for (const [code, schema] of Object.entries(
        (op.schema?.response as Record<string, unknown> | undefined) ?? {},
      )) {
        responses[code] = { description: code, content: { "application/json": { schema } } };
      }
      if (!Object.keys(responses).length) responses["200"] = { description: "OK" };
      if (op.role !== "public") {
        responses["401"] = { description: "no or unknown token" };
        responses["403"] = { description: `needs role ${op.role}` };
      }
      paths[path] ??= {};
      (paths[path] as Record<string, unknown>)[op.method] = {
        ...(op.summary ? { summary: op.summary } : {}),
        ...(op.role === "public" ? { security: [] } : {}),
        "x-airbag-role": op.role,
        ...(params.length ? { parameters: params } : {}),
        ...(op.schema?.body
          ? { requestBody: { required: true, content: { "application/json": { schema: op.schema.body } } } }
          : {}),
        responses,
      };
    }
    return {
      openapi: "3.1.0",
      info: { title: "Airbag server API", version: VERSION },
      servers: [{ url: "/" }],
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          session: { type: "apiKey", in: "cookie", name: "airbag_session" },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
      paths,
    };
  }
}
