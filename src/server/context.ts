import type { AlertMessage, Detection } from "../model/index.js";
import type { AuditLog } from "../policy/audit.js";
import type { JobQueue } from "./queue/types.js";
import type { Role, ServerStore, TokenRecord } from "./store/types.js";

/**
 * What every route of `airbag serve` shares: the store, the scan queue, the audit log of changes and
 * the options the server was started with.
 */

export interface AdmissionOptions {
  requireScan?: boolean;
  requireSignature?: boolean;
  /** findings at this severity or above deny; "none" = never deny on findings */
  maxSeverity?: string;
  exempt?: string[];
  warnOnly?: boolean;
  failurePolicy?: "open" | "closed";
  /** UPDATE: images the old object already ran are not re-judged (a label edit never denies) */
  allowUnchanged?: boolean;
  /** when set, POST /admission needs `Authorization: Bearer <this>` */
  token?: string;
}

export interface ServerOptions {
  /** `sqlite:PATH`, a path, or `postgres://…` (default: sqlite in the state dir) */
  database?: string;
  /** vulnerability DB the scan jobs and re-evaluation use */
  vulnDb?: string;
  /** hash-chained audit log of every change (default <state>/server-audit.jsonl) */
  auditLog?: string;
  stateDir?: string;
  /** run scan jobs inside the server process (default true on SQLite, false on PostgreSQL) */
  inProcessWorkers?: number;
  admission?: AdmissionOptions;
  /** requests per minute per token / client address on the API (default 1200); login is 20 */
  rateLimitPerMinute?: number;
  tls?: { cert: string; key: string };
  /** a first admin token to create when the store has none (printed once by the CLI) */
  bootstrapAdmin?: boolean;
  /** poll period of the vulnerability DB for re-evaluation (ms, default 60 s; 0 = off) */
  dbWatchMs?: number;
  /** queue knobs for tests */
  queue?: { pollMs?: number; leaseMs?: number; expireInSeconds?: number };
  warn?(message: string): void;
}

export interface ServerContext {
  store: ServerStore;
  queue: JobQueue;
  audit: AuditLog;
  options: ServerOptions;
  /** the stored fleet policy: alerts on agents' detections and on new CVEs in stored images */
  fleet: { evaluate(d: Detection): Promise<AlertMessage[]>; close(): Promise<void> };
  /** hooks other parts register (admission verdict cache invalidation …) */
  onScanStored: Set<(digest: string) => void>;
  warn(message: string): void;
}

/** "any" = any valid token, agents included */
export type RouteRole = Role | "public" | "any";

declare module "fastify" {
  interface FastifyContextConfig {
    /** minimum role for the route; "public" = no token, "any" = any valid token */
    role?: RouteRole;
    /** one line for the OpenAPI document */
    summary?: string;
  }
  interface FastifyRequest {
    principal?: TokenRecord;
    /** how the principal authenticated: bearer header or session cookie (CSRF applies to the latter) */
    authVia?: "bearer" | "session";
  }
}
