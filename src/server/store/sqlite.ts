import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { AgentEvent, ApprovalDecisionWire, SeverityCounts } from "../../model/index.js";
import { inputError } from "../../model/index.js";
import {
  APPROVAL_STATES,
  checkState,
  foldTrend,
  hashSecret,
  JOB_STATES,
  type JobRow,
  jobFromRow,
  likeContains,
  minSeverityRank,
  newTokenId,
  newTokenSecret,
  page,
  stateOfVerdict,
  trendWindow,
  worstRank,
} from "./common.js";
import { migrateSqlite } from "./migrations-sqlite.js";
import { applyAgentEvent } from "./sqlite-events.js";
import {
  approvalFromRow,
  hostFromRow,
  jobParams,
  parse,
  type Row,
  scanFromRow,
  tokenFromRow,
} from "./sqlite-rows.js";
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
 * The embedded store: one SQLite file (better-sqlite3, WAL so readers never wait for the writer).
 * Every write that touches several rows runs in one transaction; calls are synchronous underneath
 * and wrapped in promises for the shared interface. `db` is public for the local job queue, which
 * keeps its claims in the same `jobs` table.
 */

const json = (v: unknown): string => JSON.stringify(v);
const now = () => new Date().toISOString();

export class SqliteStore implements ServerStore {
  readonly kind = "sqlite" as const;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {}

  static open(path: string): SqliteStore {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      migrateSqlite(db, path);
    } catch (err) {
      db?.close();
      if ((err as { code?: string }).code === "SQLITE_NOTADB")
        throw inputError(`--database ${path}: not a SQLite database`, err);
      if ((err as { code?: string }).code?.startsWith("SQLITE_"))
        throw inputError(`--database ${path}: cannot open as SQLite (${(err as Error).message})`, err);
      throw err;
    }
    return new SqliteStore(db, path);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- tokens ----

  async createToken(t: { name: string; role: Role; host?: string }) {
    const secret = newTokenSecret();
    const record: TokenRecord = { id: newTokenId(), name: t.name, role: t.role, createdAt: now() };
    if (t.host !== undefined) record.host = t.host;
    this.db
      .prepare(
        "INSERT INTO tokens (id, name, role, host, secret_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(record.id, record.name, record.role, t.host ?? null, hashSecret(secret), record.createdAt);
    return { record, secret };
  }

  async authenticate(secret: string): Promise<TokenRecord | undefined> {
    const row = this.db
      .prepare("SELECT * FROM tokens WHERE secret_sha256 = ? AND revoked_at IS NULL")
      .get(hashSecret(secret)) as Row | undefined;
    if (!row) return undefined;
    // a write per request would serialise every API call: record use at most once a minute
    const at = now();
    if (!row.last_used_at || Date.parse(row.last_used_at as string) < Date.now() - 60_000) {
      this.db.prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at, row.id);
      row.last_used_at = at;
    }
    return tokenFromRow(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.db.prepare("SELECT * FROM tokens ORDER BY created_at, id").all() as Row[]).map(tokenFromRow);
  }

  async revokeToken(id: string): Promise<boolean> {
    return (
      this.db.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(now(), id)
        .changes > 0
    );
  }

  // ---- scans ----

  async putScan(scan: StoredScan): Promise<void> {
    this.db.transaction(() => {
      const old = this.db.prepare("SELECT refs FROM scans WHERE digest = ?").get(scan.digest) as
        | Row
        | undefined;
      const refs = [...new Set([...(old ? parse<string[]>(old.refs) : []), ...scan.refs])].sort();
      this.db
        .prepare(
          `INSERT INTO scans (digest, refs, scanned_at, summary, kinds, worst, signed, report)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (digest) DO UPDATE SET refs = excluded.refs, scanned_at = excluded.scanned_at,
             summary = excluded.summary, kinds = excluded.kinds, worst = excluded.worst,
             signed = excluded.signed, report = excluded.report`,
        )
        .run(
          scan.digest,
          json(refs),
          scan.scannedAt,
          json(scan.summary),
          json(scan.kinds),
          worstRank(scan.summary),
          scan.signed === undefined ? null : scan.signed ? 1 : 0,
          scan.report === undefined ? null : json(scan.report),
        );
      this.db
        .prepare("INSERT INTO scan_history (digest, scanned_at, summary) VALUES (?, ?, ?)")
        .run(scan.digest, scan.scannedAt, json(scan.summary));
    })();
  }

  async getScan(digest: string, withReport = false): Promise<StoredScan | undefined> {
    const row = this.db.prepare("SELECT * FROM scans WHERE digest = ?").get(digest) as Row | undefined;
    return row ? scanFromRow(row, withReport) : undefined;
  }

  async listScans(o: ListOptions & { ref?: string; minSeverity?: string } = {}): Promise<StoredScan[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (o.minSeverity !== undefined) {
      where.push("worst >= ?");
      args.push(minSeverityRank(o.minSeverity));
    }
    if (o.ref) {
      where.push("EXISTS (SELECT 1 FROM json_each(scans.refs) WHERE value LIKE ? ESCAPE '\\')");
      args.push(likeContains(o.ref));
    }
    const { limit, offset } = page(o);
    const sql = `SELECT digest, refs, scanned_at, summary, kinds, signed FROM scans
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY scanned_at DESC, digest LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...args, limit, offset) as Row[]).map((r) => scanFromRow(r, false));
  }

  async severityTrend(days: number): Promise<TrendPoint[]> {
    const { since, labels } = trendWindow(days);
    const before = this.db
      .prepare(
        `SELECT h.digest, h.summary FROM scan_history h
         JOIN (SELECT digest, MAX(id) AS id FROM scan_history WHERE scanned_at < ? GROUP BY digest) l
           ON l.id = h.id`,
      )
      .all(since) as Row[];
    const inWindow = this.db
      .prepare(
        "SELECT digest, scanned_at, summary FROM scan_history WHERE scanned_at >= ? ORDER BY scanned_at, id",
      )
      .all(since) as Row[];
    return foldTrend(
      labels,
      before.map((r) => ({ digest: r.digest as string, summary: parse<SeverityCounts>(r.summary) })),
      inWindow.map((r) => ({
        digest: r.digest as string,
        scannedAt: r.scanned_at as string,
        summary: parse<SeverityCounts>(r.summary),
      })),
    );
  }

  // ---- jobs ----

  async putJob(job: ScanJob): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO jobs (id, target, state, origin, created_at, started_at, finished_at, attempts, worker, digest, error)
         VALUES (@id, @target, @state, @origin, @createdAt, @startedAt, @finishedAt, @attempts, @worker, @digest, @error)
         ON CONFLICT (id) DO UPDATE SET target = excluded.target, state = excluded.state, origin = excluded.origin,
           started_at = excluded.started_at, finished_at = excluded.finished_at, attempts = excluded.attempts,
           worker = excluded.worker, digest = excluded.digest, error = excluded.error`,
      )
      .run(jobParams(job));
  }

  async getJob(id: string): Promise<ScanJob | undefined> {
    const row = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row ? jobFromRow(row) : undefined;
  }

  async listJobs(o: ListOptions & { state?: JobState } = {}): Promise<ScanJob[]> {
    checkState(o.state, JOB_STATES, "state");
    const { limit, offset } = page(o);
    const rows = o.state
      ? this.db
          .prepare("SELECT * FROM jobs WHERE state = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?")
          .all(o.state, limit, offset)
      : this.db
          .prepare("SELECT * FROM jobs ORDER BY created_at DESC, id LIMIT ? OFFSET ?")
          .all(limit, offset);
    return (rows as JobRow[]).map(jobFromRow);
  }

  // ---- agents ----

  async ingest(host: string, agentVersion: string, events: AgentEvent[]): Promise<number> {
    return this.db.transaction(() => {
      const at = now();
      this.db
        .prepare(
          `INSERT INTO hosts (host, agent_version, last_seen) VALUES (?, ?, ?)
           ON CONFLICT (host) DO UPDATE SET agent_version = excluded.agent_version, last_seen = excluded.last_seen`,
        )
        .run(host, agentVersion, at);
      const seen = this.db.prepare(
        "INSERT INTO agent_events (host, seq, type, at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      );
      for (const e of events) {
        if (seen.run(host, e.seq, e.type, e.at, json(e)).changes === 0) continue; // delivered before
        applyAgentEvent(this.db, host, e);
      }
      const max = events.reduce((m, e) => Math.max(m, e.seq), 0);
      this.db.prepare("UPDATE hosts SET ack_seq = MAX(ack_seq, ?) WHERE host = ?").run(max, host);
      return (this.db.prepare("SELECT ack_seq FROM hosts WHERE host = ?").get(host) as Row).ack_seq as number;
    })();
  }

  async listHosts(): Promise<HostRecord[]> {
    return (this.db.prepare("SELECT * FROM hosts ORDER BY host").all() as Row[]).map(hostFromRow);
  }

  async getHost(host: string): Promise<HostRecord | undefined> {
    const row = this.db.prepare("SELECT * FROM hosts WHERE host = ?").get(host) as Row | undefined;
    return row ? hostFromRow(row) : undefined;
  }

  async listAlerts(o: ListOptions & { host?: string } = {}): Promise<AlertRecord[]> {
    const { limit, offset } = page(o);
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts ${o.host ? "WHERE host = @host" : ""} ORDER BY at DESC, id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...(o.host ? { host: o.host } : {}), limit, offset }) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      host: r.host as string,
      at: r.at as string,
      alert: parse(r.alert),
    }));
  }

  async listDetections(o: ListOptions & { host?: string } = {}): Promise<DetectionRecord[]> {
    const { limit, offset } = page(o);
    const rows = this.db
      .prepare(
        `SELECT * FROM detections ${o.host ? "WHERE host = @host" : ""}
         ORDER BY at DESC, host, seq DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ ...(o.host ? { host: o.host } : {}), limit, offset }) as Row[];
    return rows.map((r) => ({
      host: r.host as string,
      seq: r.seq as number,
      at: r.at as string,
      detection: parse(r.detection),
    }));
  }

  // ---- approvals ----

  async listApprovals(
    o: ListOptions & { state?: ApprovalState; host?: string } = {},
  ): Promise<ApprovalRow[]> {
    checkState(o.state, APPROVAL_STATES, "state");
    const where = [o.state ? "state = @state" : "", o.host ? "host = @host" : ""].filter(Boolean);
    const { limit, offset } = page(o);
    const rows = this.db
      .prepare(
        `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY requested_at DESC, id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...(o.state ? { state: o.state } : {}), ...(o.host ? { host: o.host } : {}), limit, offset });
    return (rows as Row[]).map(approvalFromRow);
  }

  async getApproval(id: string): Promise<ApprovalRow | undefined> {
    const row = this.db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as Row | undefined;
    return row ? approvalFromRow(row) : undefined;
  }

  async decideApproval(id: string, d: ApprovalDecisionWire): Promise<ApprovalRow | undefined> {
    // one statement: whoever's UPDATE runs first flips the state; the other matches no row
    const row = this.db
      .prepare("UPDATE approvals SET state = ?, decision = ? WHERE id = ? AND state = 'pending' RETURNING *")
      .get(stateOfVerdict(d.verdict), json(d), id) as Row | undefined;
    return row ? approvalFromRow(row) : undefined;
  }

  async takeDecisions(host: string): Promise<ApprovalDecisionWire[]> {
    const rows = this.db
      .prepare(
        `SELECT decision, requested_at FROM approvals
         WHERE host = ? AND delivered = 0 AND decision IS NOT NULL AND state IN ('approved', 'denied')`,
      )
      .all(host) as Row[];
    return rows
      .sort((a, b) => String(a.requested_at).localeCompare(String(b.requested_at)))
      .map((r) => parse<ApprovalDecisionWire>(r.decision));
  }

  // ---- bench, policy ----

  async putBench(b: BenchRecord): Promise<void> {
    this.db
      .prepare("INSERT INTO bench (host, at, score, percent, summary) VALUES (?, ?, ?, ?, ?)")
      .run(b.host, b.at, b.score, b.percent, json(b.summary));
  }

  async listBench(o: ListOptions & { host?: string } = {}): Promise<BenchRecord[]> {
    const { limit, offset } = page(o);
    const rows = this.db
      .prepare(
        `SELECT * FROM bench ${o.host ? "WHERE host = @host" : ""} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ ...(o.host ? { host: o.host } : {}), limit, offset }) as Row[];
    return rows.map((r) => ({
      host: r.host as string,
      at: r.at as string,
      score: r.score as number,
      percent: r.percent as number,
      summary: parse(r.summary),
    }));
  }

  async putPolicy(yaml: string, by: string): Promise<number> {
    return Number(
      this.db.prepare("INSERT INTO policies (yaml, by, at) VALUES (?, ?, ?)").run(yaml, by, now())
        .lastInsertRowid,
    );
  }

  async getPolicy() {
    const r = this.db.prepare("SELECT * FROM policies ORDER BY version DESC LIMIT 1").get() as
      | Row
      | undefined;
    return r
      ? { version: r.version as number, yaml: r.yaml as string, by: r.by as string, at: r.at as string }
      : undefined;
  }
}
