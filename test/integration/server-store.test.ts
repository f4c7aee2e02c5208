import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent, AlertMessage, ApprovalRequestWire, Detection } from "../../src/model/index.js";
import { AirbagError } from "../../src/model/index.js";
import { openStore, PgStore, SqliteStore } from "../../src/server/store/index.js";
import type { ServerStore, StoredScan } from "../../src/server/store/types.js";
import { postgresSkipReason, type RunningPostgres, startPostgres } from "../helpers/postgres.js";

/**
 * The ServerStore contract, run against both backends: embedded SQLite (a temp file) and a real
 * PostgreSQL 15 cluster started for this file. Each backend test gets a fresh database.
 */

const skipPg = postgresSkipReason();
let tmp: string;
let pgServer: RunningPostgres | undefined;
let dbCounter = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-store-"));
  if (!skipPg) pgServer = await startPostgres();
});
afterAll(async () => {
  await pgServer?.stop();
  await rm(tmp, { recursive: true, force: true });
});

interface Backend {
  name: string;
  /** a fresh, empty database URL */
  fresh(): Promise<string>;
  /** every stored byte of a database, as text (to look for secrets at rest) */
  dump(url: string): Promise<string>;
  /** pretend a newer airbag migrated the database */
  bumpSchema(url: string): Promise<void>;
}

const sqlite: Backend = {
  name: "sqlite",
  fresh: async () => `sqlite:${join(tmp, `s${++dbCounter}.sqlite`)}`,
  dump: async (url) => {
    const path = url.slice("sqlite:".length);
    return [path, `${path}-wal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString("latin1"))
      .join("\n");
  },
  bumpSchema: async (url) => {
    const db = new Database(url.slice("sqlite:".length));
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'x')").run();
    db.close();
  },
};

async function pgQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

const postgres: Backend = {
  name: "postgres",
  fresh: async () => {
    const name = `t${++dbCounter}`;
    await pgQuery(pgServer!.url, `CREATE DATABASE ${name}`);
    return pgServer!.url.replace(/\/postgres$/, `/${name}`);
  },
  dump: async (url) => {
    const tables = ["tokens", "scans", "jobs", "hosts", "agent_events", "approvals", "alerts", "detections"];
    const parts: string[] = [];
    for (const t of tables) parts.push(JSON.stringify((await pgQuery(url, `SELECT * FROM ${t}`)).rows));
    return parts.join("\n");
  },
  bumpSchema: async (url) => {
    await pgQuery(url, "INSERT INTO schema_migrations (version, applied_at) VALUES (999, now())");
  },
};

const counts = (critical: number, high = 0, medium = 0, low = 0, unknown = 0) => ({
  critical,
  high,
  medium,
  low,
  unknown,
});
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

const detection = (id: string): Detection => ({
  detector: "cryptominer",
  id,
  kind: "runtime",
  severity: "critical",
  title: "cryptominer",
  container: { id: "c1", name: "m1", image: "bb:1" },
  evidence: "xmrig",
  at: "2026-01-01T00:00:00.000Z",
});
const alert = (id: string): AlertMessage => ({
  id,
  event: "detection",
  rule: "isolate-miners",
  mode: "enforce",
  detector: "cryptominer",
  detection: "miner.process",
  severity: "critical",
  container: { id: "c1", name: "m1", image: "bb:1" },
  evidence: "xmrig",
  actions: [],
  summary: "[critical] cryptominer",
  count: 1,
  time: "2026-01-01T00:00:00.000Z",
});
const approval = (id: string): ApprovalRequestWire => ({
  id,
  rule: "isolate-miners",
  detection: detection("miner.process"),
  actions: [{ type: "isolate" }],
  requestedAt: "2026-01-01T00:00:00.000Z",
  expiresAt: "2026-01-01T00:15:00.000Z",
  onTimeout: "deny",
});
const scan = (digest: string, at: string, summary = counts(0), refs = ["example/app:1"]): StoredScan => ({
  digest,
  refs,
  scannedAt: at,
  summary,
  kinds: { vulnerability: summary.critical + summary.high },
});

describe.each([sqlite, postgres])("ServerStore on $name", (backend) => {
  const skip = backend === postgres ? skipPg : undefined;
  const withStore = (fn: (s: ServerStore, url: string) => Promise<void>) => async () => {
    const url = await backend.fresh();
    const store = await openStore(url);
    try {
      await fn(store, url);
    } finally {
      await store.close();
    }
  };

  it.skipIf(skip)(
    "opens the right backend and re-opening migrates nothing",
    withStore(async (s, url) => {
      expect(s.kind).toBe(backend.name);
      await s.putPolicy("mode: dry-run\n", "admin");
      await s.close();
      const again = await openStore(url);
      try {
        expect((await again.getPolicy())?.yaml).toBe("mode: dry-run\n");
        const rows =
          again instanceof SqliteStore
            ? again.db.prepare("SELECT version FROM schema_migrations").all()
            : (await (again as PgStore).pool.query("SELECT version FROM schema_migrations")).rows;
        expect(rows).toEqual([{ version: 1 }]);
      } finally {
        await again.close();
      }
    }),
  );

  it.skipIf(skip)("refuses a database whose schema is newer than this build", async () => {
    const url = await backend.fresh();
    await (await openStore(url)).close();
    await backend.bumpSchema(url);
    const err = await openStore(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("INPUT");
    expect((err as Error).message).toMatch(
      /--database .*schema version 999 is newer than this airbag supports \(1\)/,
    );
  });

  it.skipIf(skip)(
    "keeps tokens only as hashes, authenticates by secret, honours revocation",
    withStore(async (s, url) => {
      const { record, secret } = await s.createToken({ name: "agent-a", role: "agent", host: "node-1" });
      expect(secret).toMatch(/^abt_[A-Za-z0-9_-]{43}$/);
      expect(record).toMatchObject({ name: "agent-a", role: "agent", host: "node-1" });
      const other = await s.createToken({ name: "viewer", role: "viewer" });
      const who = await s.authenticate(secret);
      expect(who).toMatchObject({ id: record.id, role: "agent", host: "node-1" });
      expect(who?.lastUsedAt).toBeDefined();
      expect(await s.authenticate(`${secret}x`)).toBeUndefined();
      expect(await s.authenticate("")).toBeUndefined();
      expect((await s.listTokens()).map((t) => t.name)).toEqual(["agent-a", "viewer"]);
      const atRest = await backend.dump(url);
      expect(atRest).not.toContain(secret);
      expect(atRest).not.toContain(secret.slice(4));
      expect(atRest).not.toContain(other.secret.slice(4));
      expect(await s.revokeToken(record.id)).toBe(true);
      expect(await s.revokeToken(record.id)).toBe(false);
      expect(await s.authenticate(secret)).toBeUndefined();
      expect((await s.listTokens()).find((t) => t.id === record.id)?.revokedAt).toBeDefined();
      expect(await s.authenticate(other.secret)).toMatchObject({ role: "viewer" });
    }),
  );

  it.skipIf(skip)(
    "stores scans idempotently by digest, filters them and folds a severity trend",
    withStore(async (s) => {
      const a = "sha256:aaa";
      const b = "sha256:bbb";
      await s.putScan(scan(a, daysAgo(10), counts(2, 1)));
      await s.putScan({
        ...scan(a, daysAgo(2), counts(1, 0), ["example/app:2"]),
        signed: true,
        report: { x: 1 } as never,
      });
      await s.putScan(scan(b, daysAgo(1), counts(0, 0, 3), ["other/web:5"]));
      const got = await s.getScan(a, true);
      expect(got).toMatchObject({ digest: a, summary: counts(1, 0), signed: true, report: { x: 1 } });
      expect(got?.refs).toEqual(["example/app:1", "example/app:2"]);
      expect((await s.getScan(a))?.report).toBeUndefined();
      expect(await s.getScan("sha256:none")).toBeUndefined();
      expect((await s.listScans()).map((x) => x.digest)).toEqual([b, a]); // newest first, one row per digest
      expect((await s.listScans({ minSeverity: "high" })).map((x) => x.digest)).toEqual([a]);
      expect((await s.listScans({ minSeverity: "medium" })).map((x) => x.digest)).toEqual([b, a]);
      expect((await s.listScans({ ref: "web" })).map((x) => x.digest)).toEqual([b]);
      expect((await s.listScans({ ref: "%" })).map((x) => x.digest)).toEqual([]); // LIKE wildcards are literal
      expect((await s.listScans({ limit: 1, offset: 1 })).map((x) => x.digest)).toEqual([a]);
      await expect(s.listScans({ minSeverity: "bogus" })).rejects.toThrow(
        /severity: unknown severity "bogus"/,
      );
      const trend = await s.severityTrend(5);
      expect(trend).toHaveLength(5);
      expect(trend.at(-1)?.day).toBe(new Date().toISOString().slice(0, 10));
      // 4 days ago: only a's first scan (from before the window) counts
      expect(trend[0]!.counts).toEqual(counts(2, 1));
      // 2 days ago a was rescanned (replaces, not adds); 1 day ago b appeared
      expect(trend[2]!.counts).toEqual(counts(1, 0));
      expect(trend[3]!.counts).toEqual(counts(1, 0, 3));
      expect(trend[4]!.counts).toEqual(counts(1, 0, 3));
    }),
  );

  it.skipIf(skip)(
    "keeps job records",
    withStore(async (s) => {
      const job = {
        id: "j1",
        target: "docker-archive:/x.tar",
        state: "queued" as const,
        origin: "api",
        createdAt: daysAgo(0),
        attempts: 0,
      };
      await s.putJob(job);
      await s.putJob({ ...job, id: "j2", target: "docker-archive:/y.tar", createdAt: daysAgo(0) });
      await s.putJob({
        ...job,
        state: "done",
        attempts: 1,
        worker: "w1",
        digest: "sha256:d",
        startedAt: daysAgo(0),
        finishedAt: daysAgo(0),
      });
      expect(await s.getJob("j1")).toMatchObject({
        state: "done",
        worker: "w1",
        digest: "sha256:d",
        attempts: 1,
      });
      expect((await s.listJobs({ state: "queued" })).map((j) => j.id)).toEqual(["j2"]);
      expect(await s.listJobs()).toHaveLength(2);
      await expect(s.listJobs({ state: "nope" as never })).rejects.toThrow(/state: unknown state "nope"/);
    }),
  );

  it.skipIf(skip)(
    "ingests agent events once per (host, seq), in one transaction",
    withStore(async (s) => {
      const events: AgentEvent[] = [
        {
          seq: 1,
          at: "2026-01-01T00:00:01.000Z",
          type: "inventory",
          containers: [{ id: "c1", name: "m1", image: "bb:1", state: "running" }],
        },
        { seq: 2, at: "2026-01-01T00:00:02.000Z", type: "detection", detection: detection("miner.process") },
        { seq: 3, at: "2026-01-01T00:00:03.000Z", type: "alert", alert: alert("al-1") },
        {
          seq: 4,
          at: "2026-01-01T00:00:04.000Z",
          type: "action",
          container: "c1",
          outcome: { type: "isolate", status: "pending" },
        },
        { seq: 5, at: "2026-01-01T00:00:05.000Z", type: "approval-request", approval: approval("ap-1") },
      ];
      expect(await s.ingest("node-1", "0.1.0", events)).toBe(5);
      // redelivery after a lost response, plus one new event: stored once
      expect(
        await s.ingest("node-1", "0.1.0", [
          ...events,
          {
            seq: 6,
            at: "2026-01-01T00:00:06.000Z",
            type: "detection",
            detection: detection("miner.stratum"),
          },
        ]),
      ).toBe(6);
      expect((await s.listDetections()).map((d) => d.detection.id)).toEqual([
        "miner.stratum",
        "miner.process",
      ]);
      expect(await s.listAlerts({ host: "node-1" })).toMatchObject([{ id: "al-1", host: "node-1" }]);
      expect(await s.listAlerts({ host: "node-2" })).toEqual([]);
      expect(await s.listApprovals({ state: "pending" })).toMatchObject([
        { id: "ap-1", host: "node-1", delivered: false, rule: "isolate-miners" },
      ]);
      // an older inventory arriving late does not replace a newer one
      await s.ingest("node-1", "0.1.1", [
        { seq: 8, at: "2026-01-01T00:00:08.000Z", type: "inventory", containers: [] },
      ]);
      await s.ingest("node-1", "0.1.1", [
        {
          seq: 7,
          at: "2026-01-01T00:00:07.000Z",
          type: "inventory",
          containers: [{ id: "old", name: "o", image: "x", state: "running" }],
        },
      ]);
      const host = await s.getHost("node-1");
      expect(host).toMatchObject({ host: "node-1", agentVersion: "0.1.1", ackSeq: 8, containers: [] });
      expect(await s.listHosts()).toHaveLength(1);
      expect(await s.getHost("node-9")).toBeUndefined();
      // a failing batch leaves nothing behind (the transaction rolls back)
      const bad = [
        { seq: 9, at: "2026-01-01T00:00:09.000Z", type: "detection", detection: detection("x") },
        { seq: 10, at: "not a time", type: "alert", alert: null },
      ] as unknown as AgentEvent[];
      await expect(s.ingest("node-1", "0.1.1", bad)).rejects.toThrow();
      expect((await s.getHost("node-1"))?.ackSeq).toBe(8);
      expect(await s.listDetections()).toHaveLength(2);
    }),
  );

  it.skipIf(skip)(
    "first decision wins, decisions are delivered once, settlement keeps the human's decision",
    withStore(async (s) => {
      await s.ingest("node-1", "0.1.0", [
        { seq: 1, at: "2026-01-01T00:00:01.000Z", type: "approval-request", approval: approval("ap-1") },
        { seq: 2, at: "2026-01-01T00:00:02.000Z", type: "approval-request", approval: approval("ap-2") },
      ]);
      const decide = (verdict: "approve" | "deny", by: string) =>
        s.decideApproval("ap-1", { id: "ap-1", verdict, by, at: new Date().toISOString() });
      const results = await Promise.all([
        decide("approve", "alice"),
        decide("deny", "bob"),
        decide("deny", "carol"),
      ]);
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      const won = winners[0]!;
      expect(won.state).toBe(won.decision?.verdict === "approve" ? "approved" : "denied");
      expect(await s.getApproval("ap-1")).toMatchObject({
        state: won.state,
        decision: { by: won.decision?.by },
      });
      expect(await decide("approve", "dave")).toBeUndefined();
      expect(await s.takeDecisions("node-1")).toEqual([won.decision]);
      // resent until the agent confirms: a lost answer must not lose the decision
      expect(await s.takeDecisions("node-1")).toEqual([won.decision]);
      // the agent settles ap-1 (by itself) and lets ap-2 time out
      await s.ingest("node-1", "0.1.0", [
        {
          seq: 3,
          at: "2026-01-01T00:01:00.000Z",
          type: "approval-settled",
          id: "ap-1",
          state: won.state as "approved",
          by: "agent",
        },
        { seq: 4, at: "2026-01-01T00:16:00.000Z", type: "approval-settled", id: "ap-2", state: "expired" },
      ]);
      expect((await s.getApproval("ap-1"))?.decision).toEqual(won.decision);
      expect(await s.takeDecisions("node-1")).toEqual([]); // confirmed by approval-settled
      expect(await s.getApproval("ap-2")).toMatchObject({ state: "expired", delivered: true });
      expect((await s.getApproval("ap-2"))?.decision).toBeUndefined();
      expect(
        await s.decideApproval("ap-2", { id: "ap-2", verdict: "approve", by: "x", at: daysAgo(0) }),
      ).toBeUndefined();
      expect(await s.listApprovals({ state: "pending" })).toEqual([]);
      expect(await s.getApproval("nope")).toBeUndefined();
    }),
  );

  it.skipIf(skip)(
    "keeps bench results and versioned fleet policies",
    withStore(async (s) => {
      await s.putBench({ host: "node-1", at: daysAgo(2), score: 10, percent: 71.5, summary: counts(0, 2) });
      await s.putBench({ host: "node-2", at: daysAgo(1), score: 12, percent: 80, summary: counts(0, 1) });
      expect((await s.listBench()).map((b) => b.host)).toEqual(["node-2", "node-1"]);
      expect(await s.listBench({ host: "node-1" })).toMatchObject([
        { score: 10, percent: 71.5, summary: counts(0, 2) },
      ]);
      expect(await s.getPolicy()).toBeUndefined();
      expect(await s.putPolicy("mode: dry-run\n", "alice")).toBe(1);
      expect(await s.putPolicy("mode: enforce\n", "bob")).toBe(2);
      expect(await s.getPolicy()).toMatchObject({ version: 2, yaml: "mode: enforce\n", by: "bob" });
    }),
  );
});

describe("openStore", () => {
  it("rejects a bad --database value with an input error naming the flag", async () => {
    for (const bad of ["mysql://db/x", "sqlite:", "postgres://[::bad"]) {
      const err = await openStore(bad).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(AirbagError);
      expect((err as Error).message).toMatch(/^--database /);
    }
  });

  it("refuses a file that is not a SQLite database", async () => {
    const f = join(tmp, "not-sqlite.txt");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(f, "hello, this is not a database at all".repeat(200)),
    );
    await expect(openStore(`sqlite:${f}`)).rejects.toThrow(
      /--database .*not-sqlite\.txt: not a SQLite database/,
    );
  });

  it.skipIf(skipPg)("two processes migrating a fresh PostgreSQL database at once do not race", async () => {
    const url = await postgres.fresh();
    const stores = await Promise.all([PgStore.open(url), PgStore.open(url), PgStore.open(url)]);
    for (const s of stores) await s.close();
    expect((await pgQuery(url, "SELECT version FROM schema_migrations")).rows).toEqual([{ version: 1 }]);
  });
});
