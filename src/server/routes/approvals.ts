import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { APPROVAL_STATES } from "../store/common.js";
import type { ApprovalState } from "../store/types.js";
import { listQuerystring } from "./images.js";

/**
 * Interventions agents hold for a human. Operators approve or deny here (or in the dashboard); the
 * decision reaches the agent with its next report and the agent carries it out. First decision wins.
 */
export default async function approvalRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get<{ Querystring: { limit: number; offset: number; state?: ApprovalState; host?: string } }>(
    "/api/v1/approvals",
    {
      config: { role: "viewer", summary: "approvals, newest first" },
      schema: {
        querystring: listQuerystring({
          state: { type: "string", enum: [...APPROVAL_STATES] },
          host: { type: "string" },
        }),
      },
    },
    async (req) => ({ items: await ctx.store.listApprovals(req.query) }),
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/approvals/:id",
    { config: { role: "viewer", summary: "one approval" } },
    async (req, reply) =>
      (await ctx.store.getApproval(req.params.id)) ??
      reply.code(404).send({ error: `no approval ${req.params.id}` }),
  );

  for (const verdict of ["approve", "deny"] as const) {
    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      `/api/v1/approvals/:id/${verdict}`,
      {
        config: { role: "operator", summary: `${verdict} a pending intervention` },
        schema: {
          body: {
            type: ["object", "null"],
            additionalProperties: false,
            properties: { reason: { type: "string", maxLength: 500 } },
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const existing = await ctx.store.getApproval(id);
        if (!existing) return reply.code(404).send({ error: `no approval ${id}` });
        const by = req.principal?.name ?? "unknown";
        const reason = req.body?.reason;
        const row = await ctx.store.decideApproval(id, {
          id,
          verdict,
          by,
          at: new Date().toISOString(),
          ...(reason ? { reason } : {}),
        });
        if (!row) return reply.code(409).send({ error: `approval ${id} is already ${existing.state}` });
        await ctx.audit.append("approval", {
          id,
          verdict,
          by,
          host: row.host,
          rule: row.rule,
          via: "server",
          ...(reason ? { reason } : {}),
        });
        return row;
      },
    );
  }
}
