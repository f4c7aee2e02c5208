import type { FastifyInstance } from "fastify";
import { parsePolicy } from "../../policy/policy-file.js";
import type { ServerContext } from "../context.js";
import { redactPolicyYaml } from "../policy-redact.js";
import type { Role } from "../store/types.js";
import type { RouteExtras } from "./index.js";

/** Admin only: API tokens and the fleet policy. Every change goes to the audit log. */
export default async function adminRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  { sessions }: RouteExtras,
): Promise<void> {
  app.get(
    "/api/v1/tokens",
    { config: { role: "admin", summary: "tokens (never their secrets)" } },
    async () => ({
      items: await ctx.store.listTokens(),
    }),
  );

  app.post<{ Body: { name: string; role: Role; host?: string } }>(
    "/api/v1/tokens",
    {
      config: { role: "admin", summary: "create a token; the secret is shown once" },
      schema: {
        body: {
          type: "object",
          required: ["name", "role"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 100 },
            role: { type: "string", enum: ["viewer", "operator", "admin", "agent"] },
            host: { type: "string", maxLength: 253 },
          },
        },
      },
    },
    async (req, reply) => {
      const { record, secret } = await ctx.store.createToken(req.body);
      await ctx.audit.append("change", {
        by: req.principal?.name,
        what: "token.create",
        id: record.id,
        name: record.name,
        role: record.role,
      });
      return reply.code(201).send({ ...record, secret });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api/v1/tokens/:id",
    { config: { role: "admin", summary: "revoke a token (its sessions end too)" } },
    async (req, reply) => {
      if (!(await ctx.store.revokeToken(req.params.id)))
        return reply.code(404).send({ error: `no token ${req.params.id}` });
      sessions.revokeToken(req.params.id);
      await ctx.audit.append("change", { by: req.principal?.name, what: "token.revoke", id: req.params.id });
      return { ok: true };
    },
  );

  app.get(
    "/api/v1/policy",
    {
      config: {
        role: "viewer",
        summary: "the fleet policy (YAML) and its version; channel credentials only for admins",
      },
    },
    async (req, reply) => {
      const stored = await ctx.store.getPolicy();
      if (!stored) return reply.code(404).send({ error: "no fleet policy yet (PUT one)" });
      // webhook secrets, SMTP passwords and chat webhook URLs are credentials: admins only
      return req.principal?.role === "admin" ? stored : { ...stored, yaml: redactPolicyYaml(stored.yaml) };
    },
  );

  app.put<{ Body: string }>(
    "/api/v1/policy",
    {
      config: {
        role: "admin",
        summary: "replace the fleet policy (YAML body, validated like `airbag policy test`)",
      },
    },
    async (req, reply) => {
      const text = typeof req.body === "string" ? req.body : JSON.stringify(req.body);
      parsePolicy(text, "fleet policy"); // throws AirbagError → 400 with the field named
      const version = await ctx.store.putPolicy(text, req.principal?.name ?? "unknown");
      await ctx.audit.append("change", { by: req.principal?.name, what: "policy", version });
      return reply.code(200).send({ version });
    },
  );
}
