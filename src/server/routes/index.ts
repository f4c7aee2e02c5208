import type { FastifyInstance } from "fastify";
import type { Sessions } from "../auth.js";
import type { ServerContext } from "../context.js";
import type { OpenApiCollector } from "../openapi.js";
import adminRoutes from "./admin.js";
import admissionRoutes from "./admission.js";
import approvalRoutes from "./approvals.js";
import fleetRoutes from "./fleet.js";
import imageRoutes from "./images.js";
import registryEventRoutes from "./registry-events.js";
import sessionRoutes from "./session.js";
import webRoutes from "./web.js";

/** Every route file of `airbag serve`, registered in this order by app.ts. */

export interface RouteExtras {
  sessions: Sessions;
  openapi: OpenApiCollector;
}

export type RouteFile = (app: FastifyInstance, ctx: ServerContext, extras: RouteExtras) => Promise<void>;

export const SERVER_ROUTES: RouteFile[] = [
  sessionRoutes,
  imageRoutes,
  fleetRoutes,
  approvalRoutes,
  adminRoutes,
  admissionRoutes,
  registryEventRoutes,
  webRoutes,
];
