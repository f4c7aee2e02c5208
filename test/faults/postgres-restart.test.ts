import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent, AgentReportResponse } from "../../src/model/index.js";
import { buildServer, type Server } from "../../src/server/app.js";
import { PgStore } from "../../src/server/store/postgres.js";
import {
  postgresSkipReason,
  type RestartablePostgres,
  startRestartablePostgres,
} from "../helpers/postgres.js";

/**
 * PostgreSQL stopped and started again under `airbag serve` while an agent-like client keeps posting
 * AgentReport batches: while the database is down the server answers 5xx (it does not crash or stop
 * listening), the client resends from its last ackSeq, and once PostgreSQL is back every event is
 * stored exactly once — checked in the database itself, not only through the server's answers.
 */

const skip = postgresSkipReason();
if (skip) console.warn(`[faults/postgres-restart] skipped: ${skip}`);
const HOST = "fault-host";
const TOTAL = 150;

/** Seq-numbered events, alternating detections (rows in `detections`) and inventories. */
function makeEvent(seq: number): AgentEvent {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
  const container = { id: `c${seq % 7}`, name: `app-${seq % 7}`, image: "localhost/bb:1" };
  if (seq % 2 === 1)
    return {
      seq,
      at,
      type: "detection",
      detection: {
        detector: "shell",
        id: "shell.interactive",
        kind: "runtime",
        severity: "high",
        title: `shell #${seq}`,
        container,
        evidence: `sh spawned (event ${seq})`,
        at,
      },
    };
  return { seq, at, type: "inventory", containers: [{ ...container, state: "running" }] };
}

interface Attempt {
  status: number | "network-error";
  from: number;
  /** when the request was sent */
  at: number;
}

/**
 * An agent in miniature: events appear at a steady pace into a spool; each round posts what is above
 * the last acknowledged seq (at most 20), drops what the server acknowledges, and on any failure waits
 * briefly and resends from the same place — the protocol the real agent (runtime/agent-link.ts) follows.
 */
async function runAgent(base: string, token: string, attempts: Attempt[], deadline: number): Promise<number> {
  let produced = 0;
  let ackSeq = 0;
  while (ackSeq < TOTAL) {
    if (Date.now() > deadline) throw new Error(`agent gave up at ackSeq ${ackSeq}`);
    produced = Math.min(TOTAL, produced + 3);
    const batch: AgentEvent[] = [];
    for (let s = ackSeq + 1; s <= produced && batch.length < 20; s++) batch.push(makeEvent(s));
    let status: Attempt["status"];
    const at = Date.now();
    try {
      const res = await fetch(`${base}/api/v1/agents/report`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ host: HOST, agentVersion: "fault-test", events: batch }),
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      if (res.ok) ackSeq = ((await res.json()) as AgentReportResponse).ackSeq;
      else await res.text();
    } catch {
      status = "network-error";
    }
    attempts.push({ status, from: batch[0]?.seq ?? ackSeq + 1, at });
    await new Promise((r) => setTimeout(r, status === 200 ? 20 : 100));
  }
  return ackSeq;
}

const waitFor = async (what: string, ok: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe.skipIf(skip)("PostgreSQL restart under airbag serve", () => {
  let db: RestartablePostgres;
  let server: Server;
  let base: string;
  let tmp: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "airbag-pg-restart-"));
    db = await startRestartablePostgres();
    server = await buildServer({
      database: db.url,
      stateDir: tmp,
      dbWatchMs: 0,
      inProcessWorkers: 0,
      rateLimitPerMinute: 100_000,
      warn: (m) => warnings.push(m),
    });
    base = await server.listen("127.0.0.1", 0);
  }, 30_000);

  afterAll(async () => {
    await server?.close().catch(() => {});
    await db?.destroy();
    await rm(tmp, { recursive: true, force: true });
  }, 30_000);

  it("answers 5xx while the database is down and stores every resent event exactly once after", async () => {
    const token = (await server.ctx.store.createToken({ name: "agent", role: "agent", host: HOST })).secret;
    const attempts: Attempt[] = [];
    const agent = runAgent(base, token, attempts, Date.now() + 30_000);
    agent.catch(() => {}); // awaited below; keep a failure from being reported as unhandled meanwhile

    await waitFor(
      "some events acknowledged",
      () => attempts.filter((a) => a.status === 200).length >= 8,
      10_000,
    );
    const postmaster = db.pid();
    await db.stop("immediate"); // crash-like: every backend is gone, no clean goodbye to the pool
    const stoppedAt = Date.now();
    await waitFor(
      "requests failing while PostgreSQL is down",
      () => attempts.filter((a) => a.at > stoppedAt).length >= 4,
      10_000,
    );
    const during = attempts.filter((a) => a.at > stoppedAt).map((a) => a.status);
    // the server is still listening and answers an error — not a dropped connection
    for (const s of during) expect(typeof s === "number" && s >= 500 && s < 600, `status ${s}`).toBe(true);
    const health = await fetch(`${base}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } });
    expect(health.status).toBeGreaterThanOrEqual(400); // answered (agent role, no DB): not a crash
    await health.text();

    await db.start();
    expect(db.pid()).not.toBe(postmaster);
    expect(await agent).toBe(TOTAL);
    expect(attempts.some((a) => a.status === "network-error")).toBe(false);
    // at least one batch was resent after the outage (same first seq as a failed one)
    const failedFrom = new Set(attempts.filter((a) => a.status !== 200).map((a) => a.from));
    expect(attempts.some((a) => a.status === 200 && failedFrom.has(a.from))).toBe(true);

    const check = new pg.Client({ connectionString: db.url });
    await check.connect();
    try {
      const events = await check.query<{ seq: number; n: number; body: AgentEvent }>(
        "SELECT seq::int AS seq, count(*)::int AS n, min(body::text)::jsonb AS body FROM agent_events WHERE host = $1 GROUP BY seq ORDER BY seq",
        [HOST],
      );
      expect(events.rows.map((r) => r.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      expect(events.rows.every((r) => r.n === 1)).toBe(true);
      for (const r of events.rows) expect(r.body).toEqual(makeEvent(r.seq));
      const detections = await check.query<{ seq: number; n: number }>(
        "SELECT seq::int AS seq, count(*)::int AS n FROM detections WHERE host = $1 GROUP BY seq ORDER BY seq",
        [HOST],
      );
      const odd = Array.from({ length: TOTAL / 2 }, (_, i) => 2 * i + 1);
      expect(detections.rows.map((r) => r.seq)).toEqual(odd);
      expect(detections.rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await check.end();
    }
    // and the server, still the same instance, reads it back
    const admin = (await server.ctx.store.createToken({ name: "admin", role: "admin" })).secret;
    const host = await fetch(`${base}/api/v1/hosts/${HOST}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(host.status).toBe(200);
    expect(((await host.json()) as { ackSeq: number }).ackSeq).toBe(TOTAL);
  }, 40_000);

  it("the store alone (no pg-boss beside it) survives its idle connections dying and reconnects", async () => {
    // buildServer's pg-boss also listens on the pool; here only PgStore's own guard keeps the
    // process alive when PostgreSQL closes the idle clients under it
    const store = await PgStore.open(db.url, { max: 4 });
    try {
      const host = "store-only";
      await Promise.all([1, 2, 3, 4].map((seq) => store.ingest(`${host}-${seq}`, "t", [makeEvent(seq)])));
      expect(store.pool.idleCount).toBeGreaterThan(1);
      await db.stop("immediate");
      await new Promise((r) => setTimeout(r, 300)); // the idle clients' sockets close meanwhile
      await expect(store.ingest(host, "t", [makeEvent(1)])).rejects.toThrow();
      await db.start();
      expect(await store.ingest(host, "t", [makeEvent(1), makeEvent(2)])).toBe(2);
      expect(await store.ingest(host, "t", [makeEvent(2), makeEvent(3)])).toBe(3);
      expect((await store.getHost(host))?.ackSeq).toBe(3);
    } finally {
      await store.close();
    }
  }, 30_000);
});
