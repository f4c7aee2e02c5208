import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../../src/policy/audit.js";
import { buildServer, type Server } from "../../src/server/app.js";

/**
 * `airbag serve` over real HTTP on 127.0.0.1 with the SQLite store: tokens and roles, the dashboard's
 * cookie session with CSRF, the OpenAPI document, rate limits, and the audit log of changes.
 */

let tmp: string;
let server: Server;
let base: string;
const tokens = { admin: "", operator: "", viewer: "", agent: "" };

async function call(
  method: string,
  path: string,
  o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, read by tests
): Promise<{ status: number; json: any; headers: Headers }> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(base + path, {
    method,
    headers,
    ...(o.body !== undefined ? { body: typeof o.body === "string" ? o.body : JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, read by tests
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-serve-"));
  server = await buildServer({ stateDir: tmp, dbWatchMs: 0, rateLimitPerMinute: 1000, warn: () => {} });
  base = await server.listen("127.0.0.1", 0);
  const admin = await server.ctx.store.createToken({ name: "root", role: "admin" });
  tokens.admin = admin.secret;
  for (const role of ["viewer", "operator", "agent"] as const) {
    const r = await call("POST", "/api/v1/tokens", {
      token: tokens.admin,
      body: { name: `t-${role}`, role },
    });
    expect(r.status).toBe(201);
    expect(r.json.secret).toMatch(/^abt_/);
    tokens[role] = r.json.secret;
  }
});
afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("airbag serve: auth and roles", () => {
  it("answers /healthz without a token and refuses the API without one", async () => {
    expect((await call("GET", "/healthz")).status).toBe(200);
    const r = await call("GET", "/api/v1/images");
    expect(r.status).toBe(401);
    expect(r.json.error).toMatch(/Bearer/);
    expect((await call("GET", "/api/v1/images", { token: "abt_not-a-real-token" })).status).toBe(401);
  });

  it("ranks roles: viewer reads, operator queues scans, admin manages tokens, agent only reports", async () => {
    expect((await call("GET", "/api/v1/images", { token: tokens.viewer })).status).toBe(200);
    expect(
      (await call("POST", "/api/v1/scans", { token: tokens.viewer, body: { target: "x" } })).status,
    ).toBe(403);
    expect((await call("GET", "/api/v1/tokens", { token: tokens.operator })).status).toBe(403);
    expect((await call("GET", "/api/v1/images", { token: tokens.agent })).status).toBe(403);
    const list = await call("GET", "/api/v1/tokens", { token: tokens.admin });
    expect(list.status).toBe(200);
    expect(list.json.items.map((t: { role: string }) => t.role).sort()).toEqual([
      "admin",
      "agent",
      "operator",
      "viewer",
    ]);
    // secrets are never listed
    expect(JSON.stringify(list.json)).not.toContain(tokens.viewer);
  });

  it("keeps only hashes of token secrets at rest", async () => {
    const bytes = await readFile(join(tmp, "server.sqlite"));
    for (const secret of Object.values(tokens)) expect(bytes.includes(Buffer.from(secret))).toBe(false);
  });

  it("revoking a token locks it out at once", async () => {
    const t = await call("POST", "/api/v1/tokens", {
      token: tokens.admin,
      body: { name: "temp", role: "viewer" },
    });
    expect((await call("GET", "/api/v1/me", { token: t.json.secret })).status).toBe(200);
    expect((await call("DELETE", `/api/v1/tokens/${t.json.id}`, { token: tokens.admin })).status).toBe(200);
    expect((await call("GET", "/api/v1/me", { token: t.json.secret })).status).toBe(401);
  });

  it("rejects bad bodies with one line naming the field", async () => {
    const r = await call("POST", "/api/v1/tokens", {
      token: tokens.admin,
      body: { name: "x", role: "root" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/role/);
    expect(r.json.error).not.toMatch(/\n/);
  });
});

describe("airbag serve: the dashboard's cookie session", () => {
  it("logs in with a token, sets an HttpOnly SameSite=Strict cookie and demands the CSRF token on writes", async () => {
    const login = await call("POST", "/api/v1/session", { body: { token: tokens.operator } });
    expect(login.status).toBe(200);
    expect(login.json.role).toBe("operator");
    const cookie = login.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(";")[0] as string;
    expect((await call("GET", "/api/v1/me", { headers: { cookie: session } })).json.name).toBe("t-operator");
    const noCsrf = await call("POST", "/api/v1/scans", {
      headers: { cookie: session },
      body: { target: "dir:/nonexistent" },
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json.error).toMatch(/CSRF/);
    const crossSite = await call("POST", "/api/v1/scans", {
      headers: { cookie: session, "x-csrf-token": login.json.csrfToken, origin: "https://evil.example" },
      body: { target: "dir:/nonexistent" },
    });
    expect(crossSite.status).toBe(403);
    const ok = await call("POST", "/api/v1/scans", {
      headers: { cookie: session, "x-csrf-token": login.json.csrfToken },
      body: { target: "dir:/nonexistent-airbag-test" },
    });
    expect(ok.status).toBe(202);
    expect(
      (
        await call("DELETE", "/api/v1/session", {
          headers: { cookie: session, "x-csrf-token": login.json.csrfToken },
        })
      ).status,
    ).toBe(200);
    expect((await call("GET", "/api/v1/me", { headers: { cookie: session } })).status).toBe(401);
  });

  it("refuses agent tokens and unknown tokens at login", async () => {
    expect((await call("POST", "/api/v1/session", { body: { token: tokens.agent } })).status).toBe(401);
    expect((await call("POST", "/api/v1/session", { body: { token: "abt_nope" } })).status).toBe(401);
  });
});

describe("airbag serve: OpenAPI, policy, audit", () => {
  it("serves an OpenAPI 3.1 document of the routes actually registered, with their roles", async () => {
    const r = await call("GET", "/api/v1/openapi.json");
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe("3.1.0");
    expect(r.json.paths["/api/v1/approvals/{id}/approve"].post["x-airbag-role"]).toBe("operator");
    expect(r.json.paths["/api/v1/images"].get.parameters.map((p: { name: string }) => p.name)).toContain(
      "severity",
    );
    expect(r.json.paths["/healthz"].get.security).toEqual([]);
  });

  it("lets only admins replace the fleet policy, validates it, and versions it", async () => {
    const yaml =
      "mode: dry-run\nchannels: {}\nrules:\n  - name: r\n    when: { detector: cryptominer }\n    then: [stop]\n";
    const h = { "content-type": "application/yaml" };
    expect(
      (await call("PUT", "/api/v1/policy", { token: tokens.operator, body: yaml, headers: h })).status,
    ).toBe(403);
    const bad = await call("PUT", "/api/v1/policy", {
      token: tokens.admin,
      body: "mode: sometimes\n",
      headers: h,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/mode/);
    const put = await call("PUT", "/api/v1/policy", { token: tokens.admin, body: yaml, headers: h });
    expect(put.status).toBe(200);
    const got = await call("GET", "/api/v1/policy", { token: tokens.viewer });
    expect(got.json).toMatchObject({ version: put.json.version, yaml, by: "root" });
  });

  it("writes every change to a hash-chained audit log that verifies", async () => {
    const file = join(tmp, "server-audit.jsonl");
    const lines = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const whats = lines.filter((l) => l.type === "change").map((l) => l.data.what);
    expect(whats).toEqual(expect.arrayContaining(["token.create", "token.revoke", "policy", "scan"]));
    const v = await verifyAuditLog(file);
    expect(v.ok).toBe(true);
  });
});

describe("airbag serve: rate limits", () => {
  it("answers 429 past the per-token limit and keeps /healthz open", async () => {
    const s = await buildServer({
      stateDir: join(tmp, "rl"),
      dbWatchMs: 0,
      rateLimitPerMinute: 5,
      warn: () => {},
    });
    const url = await s.listen("127.0.0.1", 0);
    try {
      const { secret } = await s.ctx.store.createToken({ name: "v", role: "viewer" });
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) {
        codes.push(
          (await fetch(`${url}/api/v1/images`, { headers: { authorization: `Bearer ${secret}` } })).status,
        );
      }
      expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(codes.slice(5)).toEqual([429, 429]);
      for (let i = 0; i < 10; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
