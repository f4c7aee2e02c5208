import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RouteRole } from "./context.js";
import { ROLE_RANK, type ServerStore, type TokenRecord } from "./store/types.js";

/**
 * Who is asking, and may they. Two ways in:
 * - `Authorization: Bearer <token>` (CLI, agents, CI): the token is looked up by its SHA-256;
 * - a session cookie from `POST /api/v1/session` (the dashboard): HttpOnly, SameSite=Strict, and every
 *   unsafe request must echo the session's CSRF token in `X-CSRF-Token` (double submit) and, when the
 *   browser sends one, an Origin matching the Host — a cross-site form cannot do either.
 * Roles are ranked agent < viewer < operator < admin; agent tokens may only do agent things.
 */

export const SESSION_COOKIE = "airbag_session";
const SESSION_TTL_MS = 12 * 3600_000;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface Session {
  token: TokenRecord;
  csrf: string;
  expires: number;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  create(token: TokenRecord): { id: string; csrf: string } {
    this.sweep();
    const id = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    this.byId.set(id, { token, csrf, expires: Date.now() + SESSION_TTL_MS });
    return { id, csrf };
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s || s.expires < Date.now()) {
      this.byId.delete(id ?? "");
      return undefined;
    }
    return s;
  }

  delete(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** a revoked token ends its sessions at once */
  revokeToken(tokenId: string): void {
    for (const [id, s] of this.byId) if (s.token.id === tokenId) this.byId.delete(id);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.byId) if (s.expires < now) this.byId.delete(id);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function sessionCookie(id: string, secure: boolean, maxAgeS = SESSION_TTL_MS / 1000): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? "; Secure" : ""}`;
}

export function hasRole(principal: TokenRecord | undefined, need: RouteRole): boolean {
  if (need === "public") return true;
  if (!principal) return false;
  if (need === "any") return true;
  // agent routes take agent tokens (and admins, for tools); human routes never take agent tokens
  if (need === "agent") return principal.role === "agent" || principal.role === "admin";
  if (principal.role === "agent") return false;
  return ROLE_RANK[principal.role] >= ROLE_RANK[need];
}

function originMatches(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

async function deny(reply: FastifyReply, code: 401 | 403, message: string): Promise<void> {
  await reply.code(code).send({ error: message });
}

/** The onRequest hook: every route declares `config.role`; a route without one is admin-only. */
export function installAuth(app: FastifyInstance, store: ServerStore, sessions: Sessions): void {
  app.addHook("onRequest", async (req, reply) => {
    const need: RouteRole = req.routeOptions.config?.role ?? "admin";
    // public routes act for nobody: no store lookup (the admission webhook's hot path stays query-free)
    if (need === "public") return;
    const auth = req.headers.authorization;
    if (auth?.startsWith("Bearer ")) {
      const principal = await store.authenticate(auth.slice(7).trim());
      if (principal) {
        req.principal = principal;
        req.authVia = "bearer";
      } else {
        return deny(reply, 401, "unknown or revoked token");
      }
    } else {
      const session = sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (session) {
        req.principal = session.token;
        req.authVia = "session";
        if (UNSAFE.has(req.method)) {
          const sent = req.headers["x-csrf-token"];
          if (typeof sent !== "string" || !sameSecret(sent, session.csrf) || !originMatches(req)) {
            return deny(reply, 403, "missing or wrong X-CSRF-Token for a cookie session");
          }
        }
      }
    }
    if (!req.principal) return deny(reply, 401, "this endpoint needs Authorization: Bearer <token>");
    if (!hasRole(req.principal, need)) {
      return deny(reply, 403, `role ${req.principal.role} may not do this (needs ${need})`);
    }
  });
}
