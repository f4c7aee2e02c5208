import type { FastifyInstance } from "fastify";
import type { BenchReport } from "../../bench/types.js";
import type { AgentReport, AgentReportResponse } from "../../model/index.js";
import { SEVERITIES } from "../../model/index.js";
import type { ServerContext } from "../context.js";
import { agentEventSchema } from "./agent-event-schema.js";
import { listQuerystring } from "./images.js";

/** Agents report here; hosts, their containers, alerts, detections and CIS bench scores are read here. */

const agentReportSchema = {
  type: "object",
  required: ["host", "agentVersion", "events"],
  properties: {
    host: { type: "string", minLength: 1, maxLength: 253 },
    agentVersion: { type: "string", maxLength: 64 },
    events: {
      type: "array",
      maxItems: 1000,
      items: agentEventSchema,
    },
  },
} as const;

const hostQuery = listQuerystring({ host: { type: "string" } });

export default async function fleetRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post<{ Body: AgentReport }>(
    "/api/v1/agents/report",
    {
      config: {
        role: "agent",
        summary: "an agent's events (idempotent by host+seq); answers ackSeq and decisions",
      },
      schema: { body: agentReportSchema },
    },
    async (req, reply): Promise<AgentReportResponse | undefined> => {
      const { host, agentVersion, events } = req.body;
      const bound = req.principal?.host;
      if (req.principal?.role === "agent" && bound && bound !== "*" && bound !== host) {
        await reply.code(403).send({ error: `this token reports for host ${bound}, not ${host}` });
        return;
      }
      const before = (await ctx.store.getHost(host))?.ackSeq ?? 0;
      const ackSeq = await ctx.store.ingest(host, agentVersion, events);
      // only events stored for the first time reach the fleet policy: a resent batch alerts nobody twice
      for (const e of events) {
        if (e.seq > before && e.type === "detection") await ctx.fleet.evaluate({ ...e.detection, host });
      }
      return { ackSeq, decisions: await ctx.store.takeDecisions(host) };
    },
  );

  app.get(
    "/api/v1/hosts",
    { config: { role: "viewer", summary: "hosts with agents and their running containers" } },
    async () => ({
      items: await ctx.store.listHosts(),
    }),
  );

  app.get<{ Params: { host: string } }>(
    "/api/v1/hosts/:host",
    { config: { role: "viewer", summary: "one host" } },
    async (req, reply) =>
      (await ctx.store.getHost(req.params.host)) ??
      reply.code(404).send({ error: `no host ${req.params.host}` }),
  );

  app.get<{ Querystring: { limit: number; offset: number; host?: string } }>(
    "/api/v1/alerts",
    {
      config: { role: "viewer", summary: "alerts agents sent, newest first" },
      schema: { querystring: hostQuery },
    },
    async (req) => ({ items: await ctx.store.listAlerts(req.query) }),
  );

  app.get<{ Querystring: { limit: number; offset: number; host?: string } }>(
    "/api/v1/detections",
    {
      config: { role: "viewer", summary: "detections agents reported, newest first" },
      schema: { querystring: hostQuery },
    },
    async (req) => ({ items: await ctx.store.listDetections(req.query) }),
  );

  app.get<{ Querystring: { limit: number; offset: number; host?: string } }>(
    "/api/v1/bench",
    {
      config: { role: "viewer", summary: "CIS Docker Benchmark scores per host, newest first" },
      schema: { querystring: hostQuery },
    },
    async (req) => ({ items: await ctx.store.listBench(req.query) }),
  );

  app.post<{ Body: BenchReport & { host?: string } }>(
    "/api/v1/bench",
    {
      config: { role: "agent", summary: "upload an `airbag bench --format json` report" },
      schema: {
        body: {
          type: "object",
          required: ["schemaVersion", "score", "summary"],
          properties: {
            schemaVersion: { const: 1 },
            host: { type: "string", maxLength: 253 },
            target: { type: "object" },
            score: {
              type: "object",
              required: ["score", "percent"],
              properties: { score: { type: "number" }, percent: { type: "number" } },
            },
            summary: { type: "object", required: [...SEVERITIES] },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const host = b.host ?? b.target?.hostname;
      if (!host) return reply.code(400).send({ error: "body: no host (set host or target.hostname)" });
      const record = {
        host,
        at: new Date().toISOString(),
        score: b.score.score,
        percent: b.score.percent,
        summary: b.summary,
      };
      await ctx.store.putBench(record);
      return reply.code(201).send(record);
    },
  );
}
