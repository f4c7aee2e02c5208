import type { FastifyInstance } from "fastify";
import { SEVERITIES } from "../../model/index.js";
import type { ServerContext } from "../context.js";
import { JOB_STATES } from "../store/common.js";

/** Stored scans (by image digest), severity trends, and scan jobs. */

const listQuery = {
  limit: { type: "integer", minimum: 1, maximum: 500, default: 100 },
  offset: { type: "integer", minimum: 0, default: 0 },
} as const;

/** The querystring schema of a paged list: limit, offset and the list's own filters. */
export const listQuerystring = (filters: Record<string, unknown> = {}) => ({
  type: "object",
  additionalProperties: false,
  properties: { ...listQuery, ...filters },
});

const notFound = (what: string) => ({ error: `no ${what}` });

export default async function imageRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Querystring: { limit: number; offset: number; severity?: string; ref?: string } }>(
    "/api/v1/images",
    {
      config: {
        role: "viewer",
        summary: "scanned images, newest first (severity = at least one finding ≥ it)",
      },
      schema: {
        querystring: listQuerystring({
          severity: { type: "string", enum: [...SEVERITIES] },
          ref: { type: "string" },
        }),
      },
    },
    async (req) => {
      const { limit, offset, severity, ref } = req.query;
      return {
        items: await ctx.store.listScans({
          limit,
          offset,
          ...(severity ? { minSeverity: severity } : {}),
          ...(ref ? { ref } : {}),
        }),
      };
    },
  );

  app.get<{ Params: { digest: string } }>(
    "/api/v1/images/:digest",
    {
      config: { role: "viewer", summary: "one image's stored scan with its full report" },
      schema: {
        params: {
          type: "object",
          properties: { digest: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" } },
        },
      },
    },
    async (req, reply) => {
      const scan = await ctx.store.getScan(req.params.digest, true);
      return scan ?? reply.code(404).send(notFound(`scan for ${req.params.digest}`));
    },
  );

  app.get<{ Querystring: { days: number } }>(
    "/api/v1/trends",
    {
      config: { role: "viewer", summary: "findings by severity per day, from scan history" },
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { days: { type: "integer", minimum: 1, maximum: 366, default: 30 } },
        },
      },
    },
    async (req) => ({ items: await ctx.store.severityTrend(req.query.days) }),
  );

  app.post<{ Body: { target: string } }>(
    "/api/v1/scans",
    {
      config: {
        role: "operator",
        summary: "queue a scan of a target (registry:REF, …); idempotent per target",
      },
      schema: {
        body: {
          type: "object",
          required: ["target"],
          additionalProperties: false,
          properties: { target: { type: "string", minLength: 1, maxLength: 1024 } },
        },
      },
    },
    async (req, reply) => {
      const job = await ctx.queue.enqueue(req.body.target, "api");
      await ctx.audit.append("change", {
        by: req.principal?.name,
        what: "scan",
        target: req.body.target,
        job: job.id,
      });
      return reply.code(202).send(job);
    },
  );

  app.get<{
    Querystring: { limit: number; offset: number; state?: "queued" | "running" | "done" | "failed" };
  }>(
    "/api/v1/jobs",
    {
      config: { role: "viewer", summary: "scan jobs" },
      schema: {
        querystring: listQuerystring({ state: { type: "string", enum: [...JOB_STATES] } }),
      },
    },
    async (req) => {
      const { limit, offset, state } = req.query;
      return { items: await ctx.store.listJobs({ limit, offset, ...(state ? { state } : {}) }) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/jobs/:id",
    { config: { role: "viewer", summary: "one scan job" } },
    async (req, reply) =>
      (await ctx.store.getJob(req.params.id)) ?? reply.code(404).send(notFound("such job")),
  );
}
