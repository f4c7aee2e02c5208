import pg from "pg";
import type { AgentEvent, ApprovalDecisionWire, SeverityCounts } from "../../model/index.js";
import { AirbagError } from "../../model/index.js";
import {
  APPROVAL_STATES,
  checkState,
  foldTrend,
  hashSecret,
  iso,
  JOB_STATES,
  type JobRow,
  jobFromRow,
  likeContains,
  minSeverityRank,
  newTokenId,
  newTokenSecret,
  page,
  redactUrl,
  stateOfVerdict,
  trendWindow,
  worstRank,
} from "./common.js";
import { migratePg } from "./migrations-pg.js";
import { applyAgentEvent } from "./pg-events.js";
import { approvalFromRow, hostFromRow, type Row, scanFromRow, tokenFromRow } from "./pg-rows.js";
import type {
  AlertRecord,
  ApprovalRow,
  ApprovalState,
  BenchRecord,
  DetectionRecord,
  HostRecord,
  JobState,
  ListOptions,
  Role,
  ScanJob,
  ServerStore,
  StoredScan,
  TokenRecord,
  TrendPoint,
} from "./types.js";

/**
 * The fleet store on PostgreSQL (pg Pool). Multi-row writes run in one transaction; first-decision-wins
 * and idempotent ingest rest on single conditional statements and unique keys, so any number of server
 * processes can share the database. `pool` is public for the pg-boss queue (same database).
 */

type Q = Pick<pg.PoolClient, "query">;
const now = () => new Date().toISOString();

export class PgStore implements ServerStore {
  readonly kind = "postgres" as const;

  private constructor(
    readonly pool: pg.Pool,
    readonly url: string,
  ) {}

  static async open(url: string, o: { max?: number } = {}): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: url, max: o.max ?? 10 });
    // an idle client losing its connection must not crash the process; the next query reconnects
    pool.on("error", () => {});
    try {
      await migratePg(pool, url);
    } catch (err) {
      await pool.end();
      if (err instanceof AirbagError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new AirbagError("NETWORK", `--database ${redactUrl(url)}: ${e.code ?? ""} ${e.message}`.trim(), {
        cause: err,
      });
    }
    return new PgStore(pool, url);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async tx<T>(fn: (c: Q) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async rows(sql: string, args: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, args)).rows as Row[];
  }

  // ---- tokens ----

  async createToken(t: { name: string; role: Role; host?: string }) {
    const secret = newTokenSecret();
    const record: TokenRecord = { id: newTokenId(), name: t.name, role: t.role, createdAt: now() };
    if (t.host !== undefined) record.host = t.host;
    await this.pool.query(
      "INSERT INTO tokens (id, name, role, host, secret_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [record.id, record.name, record.role, t.host ?? null, hashSecret(secret), record.createdAt],
    );
    return { record, secret };
  }

  async authenticate(secret: string): Promise<TokenRecord | undefined> {
    // record use at most once a minute: a write per API call would cost more than the call
    const [row] = await this.rows(
      `WITH t AS (SELECT * FROM tokens WHERE secret_sha256 = $1 AND revoked_at IS NULL),
            u AS (UPDATE tokens SET last_used_at = now() FROM t
                  WHERE tokens.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '60 seconds')
                  RETURNING tokens.last_used_at)
       SELECT t.*, COALESCE((SELECT last_used_at FROM u), t.last_used_at) AS used FROM t`,
      [hashSecret(secret)],
    );
    return row ? tokenFromRow({ ...row, last_used_at: row.used }) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.rows("SELECT * FROM tokens ORDER BY created_at, id")).map(tokenFromRow);
  }

  async revokeToken(id: string): Promise<boolean> {
    const r = await this.pool.query(
      "UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
      [id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  // ---- scans ----

  async putScan(scan: StoredScan): Promise<void> {
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO scans (digest, refs, scanned_at, summary, kinds, worst, signed, report)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (digest) DO UPDATE SET
           refs = (SELECT COALESCE(jsonb_agg(DISTINCT r ORDER BY r), '[]'::jsonb)
                   FROM jsonb_array_elements_text(scans.refs || excluded.refs) AS r),
           scanned_at = excluded.scanned_at, summary = excluded.summary, kinds = excluded.kinds,
           worst = excluded.worst, signed = excluded.signed, report = excluded.report`,
        [
          scan.digest,
          JSON.stringify([...new Set(scan.refs)].sort()),
          scan.scannedAt,
          JSON.stringify(scan.summary),
          JSON.stringify(scan.kinds),
          worstRank(scan.summary),
          scan.signed ?? null,
          scan.report === undefined ? null : JSON.stringify(scan.report),
        ],
      );
      await c.query("INSERT INTO scan_history (digest, scanned_at, summary) VALUES ($1, $2, $3)", [
        scan.digest,
        scan.scannedAt,
        JSON.stringify(scan.summary),
      ]);
    });
  }

  async getScan(digest: string, withReport = false): Promise<StoredScan | undefined> {
    const [row] = await this.rows("SELECT * FROM scans WHERE digest = $1", [digest]);
    return row ? scanFromRow(row, withReport) : undefined;
  }

  async listScans(o: ListOptions & { ref?: string; minSeverity?: string } = {}): Promise<StoredScan[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (o.minSeverity !== undefined) {
      args.push(minSeverityRank(o.minSeverity));
      where.push(`worst >= $${args.length}`);
    }
    if (o.ref) {
      args.push(likeContains(o.ref));
      where.push(
        `EXISTS (SELECT 1 FROM jsonb_array_elements_text(refs) r WHERE r LIKE $${args.length} ESCAPE '\\')`,
      );
    }
    const { limit, offset } = page(o);
    args.push(limit, offset);
    const sql = `SELECT digest, refs, scanned_at, summary, kinds, signed FROM scans
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY scanned_at DESC, digest LIMIT $${args.length - 1} OFFSET $${args.length}`;
    return (await this.rows(sql, args)).map((r) => scanFromRow(r, false));
  }

  async severityTrend(days: number): Promise<TrendPoint[]> {
    const { since, labels } = trendWindow(days);
    const before = await this.rows(
      `SELECT DISTINCT ON (digest) digest, summary FROM scan_history WHERE scanned_at < $1
       ORDER BY digest, id DESC`,
      [since],
    );
    const inWindow = await this.rows(
      "SELECT digest, scanned_at, summary FROM scan_history WHERE scanned_at >= $1 ORDER BY scanned_at, id",
      [since],
    );
    return foldTrend(
      labels,
      before.map((r) => ({ digest: r.digest as string, summary: r.summary as SeverityCounts })),
      inWindow.map((r) => ({
        digest: r.digest as string,
        scannedAt: iso(r.scanned_at as Date),
        summary: r.summary as SeverityCounts,
      })),
    );
  }

  // ---- jobs ----

  async putJob(job: ScanJob, q: Q = this.pool): Promise<void> {
    await q.query(
      `INSERT INTO jobs (id, target, state, origin, created_at, started_at, finished_at, attempts, worker, digest, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET target = excluded.target, state = excluded.state, origin = excluded.origin,
         started_at = excluded.started_at, finished_at = excluded.finished_at, attempts = excluded.attempts,
         worker = excluded.worker, digest = excluded.digest, error = excluded.error`,
      [
        job.id,
        job.target,
        job.state,
        job.origin,
        job.createdAt,
        job.startedAt ?? null,
        job.finishedAt ?? null,
        job.attempts,
        job.worker ?? null,
        job.digest ?? null,
        job.error ?? null,
      ],
    );
  }

  async getJob(id: string, q: Q = this.pool): Promise<ScanJob | undefined> {
    const { rows } = await q.query("SELECT * FROM jobs WHERE id = $1", [id]);
    return rows[0] ? jobFromRow(rows[0] as JobRow) : undefined;
  }

  async listJobs(o: ListOptions & { state?: JobState } = {}): Promise<ScanJob[]> {
    checkState(o.state, JOB_STATES, "state");
    const { limit, offset } = page(o);
    const rows = o.state
      ? await this.rows(
          "SELECT * FROM jobs WHERE state = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
          [o.state, limit, offset],
        )
      : await this.rows("SELECT * FROM jobs ORDER BY created_at DESC, id LIMIT $1 OFFSET $2", [
          limit,
          offset,
        ]);
    return (rows as unknown as JobRow[]).map(jobFromRow);
  }

  // ---- agents ----

  async ingest(host: string, agentVersion: string, events: AgentEvent[]): Promise<number> {
    return this.tx(async (c) => {
      await c.query(
        `INSERT INTO hosts (host, agent_version, last_seen) VALUES ($1, $2, now())
         ON CONFLICT (host) DO UPDATE SET agent_version = excluded.agent_version, last_seen = excluded.last_seen`,
        [host, agentVersion],
      );
      for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
        const fresh = await c.query(
          "INSERT INTO agent_events (host, seq, type, at, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
          [host, e.seq, e.type, e.at, JSON.stringify(e)],
        );
        if (fresh.rowCount) await applyAgentEvent(c, host, e); // else: delivered before
      }
      const max = events.reduce((m, e) => Math.max(m, e.seq), 0);
      const { rows } = await c.query(
        "UPDATE hosts SET ack_seq = GREATEST(ack_seq, $1) WHERE host = $2 RETURNING ack_seq",
        [max, host],
      );
      return Number(rows[0].ack_seq);
    });
  }

  async listHosts(): Promise<HostRecord[]> {
    return (await this.rows("SELECT * FROM hosts ORDER BY host")).map(hostFromRow);
  }

  async getHost(host: string): Promise<HostRecord | undefined> {
    const [row] = await this.rows("SELECT * FROM hosts WHERE host = $1", [host]);
    return row ? hostFromRow(row) : undefined;
  }

  async listAlerts(o: ListOptions & { host?: string } = {}): Promise<AlertRecord[]> {
    const { limit, offset } = page(o);
    const rows = await this.rows(
      "SELECT * FROM alerts WHERE ($1::text IS NULL OR host = $1) ORDER BY at DESC, id LIMIT $2 OFFSET $3",
      [o.host ?? null, limit, offset],
    );
    return rows.map((r) => ({
      id: r.id as string,
      host: r.host as string,
      at: iso(r.at as Date),
      alert: r.alert as AlertRecord["alert"],
    }));
  }

  async listDetections(o: ListOptions & { host?: string } = {}): Promise<DetectionRecord[]> {
    const { limit, offset } = page(o);
    const rows = await this.rows(
      `SELECT * FROM detections WHERE ($1::text IS NULL OR host = $1)
       ORDER BY at DESC, host, seq DESC LIMIT $2 OFFSET $3`,
      [o.host ?? null, limit, offset],
    );
    return rows.map((r) => ({
      host: r.host as string,
      seq: Number(r.seq),
      at: iso(r.at as Date),
      detection: r.detection as DetectionRecord["detection"],
    }));
  }

  // ---- approvals ----

  async listApprovals(
    o: ListOptions & { state?: ApprovalState; host?: string } = {},
  ): Promise<ApprovalRow[]> {
    checkState(o.state, APPROVAL_STATES, "state");
    const { limit, offset } = page(o);
    const rows = await this.rows(
      `SELECT * FROM approvals WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR host = $2)
       ORDER BY requested_at DESC, id LIMIT $3 OFFSET $4`,
      [o.state ?? null, o.host ?? null, limit, offset],
    );
    return rows.map(approvalFromRow);
  }

  async getApproval(id: string): Promise<ApprovalRow | undefined> {
    const [row] = await this.rows("SELECT * FROM approvals WHERE id = $1", [id]);
    return row ? approvalFromRow(row) : undefined;
  }

  async decideApproval(id: string, d: ApprovalDecisionWire): Promise<ApprovalRow | undefined> {
    // a concurrent second UPDATE waits for the first's row lock, then re-checks state and matches nothing
    const [row] = await this.rows(
      "UPDATE approvals SET state = $1, decision = $2 WHERE id = $3 AND state = 'pending' RETURNING *",
      [stateOfVerdict(d.verdict), JSON.stringify(d), id],
    );
    return row ? approvalFromRow(row) : undefined;
  }

  async takeDecisions(host: string): Promise<ApprovalDecisionWire[]> {
    const rows = await this.rows(
      `SELECT decision, requested_at FROM approvals
       WHERE host = $1 AND NOT delivered AND decision IS NOT NULL AND state IN ('approved', 'denied')`,
      [host],
    );
    return rows
      .sort((a, b) => (a.requested_at as Date).getTime() - (b.requested_at as Date).getTime())
      .map((r) => r.decision as ApprovalDecisionWire);
  }

  // ---- bench, policy ----

  async putBench(b: BenchRecord): Promise<void> {
    await this.pool.query(
      "INSERT INTO bench (host, at, score, percent, summary) VALUES ($1, $2, $3, $4, $5)",
      [b.host, b.at, b.score, b.percent, JSON.stringify(b.summary)],
    );
  }

  async listBench(o: ListOptions & { host?: string } = {}): Promise<BenchRecord[]> {
    const { limit, offset } = page(o);
    const rows = await this.rows(
      "SELECT * FROM bench WHERE ($1::text IS NULL OR host = $1) ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
      [o.host ?? null, limit, offset],
    );
    return rows.map((r) => ({
      host: r.host as string,
      at: iso(r.at as Date),
      score: Number(r.score),
      percent: Number(r.percent),
      summary: r.summary as SeverityCounts,
    }));
  }

  async putPolicy(yaml: string, by: string): Promise<number> {
    const [row] = await this.rows(
      "INSERT INTO policies (yaml, by, at) VALUES ($1, $2, now()) RETURNING version",
      [yaml, by],
    );
    return Number(row!.version);
  }

  async getPolicy() {
    const [r] = await this.rows("SELECT * FROM policies ORDER BY version DESC LIMIT 1");
    return r
      ? { version: Number(r.version), yaml: r.yaml as string, by: r.by as string, at: iso(r.at as Date) }
      : undefined;
  }
}
