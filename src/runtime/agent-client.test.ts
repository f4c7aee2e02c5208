import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentReport, ApprovalDecisionWire } from "../model/fleet.js";
import type { Detection } from "../model/index.js";
import { AgentClient, agentReportUrl } from "./agent-client.js";
import { AgentSpool } from "./agent-spool.js";

/**
 * The agent's delivery against a real HTTP server on 127.0.0.1 that behaves like `airbag serve`'s
 * report endpoint: stores each (host, seq) once, answers the highest seq stored, hands out decisions.
 * It can answer 503, or be down altogether (nothing listening on the port).
 */

const TOKEN = "agent-token-never-logged-0123456789";

const detection = (n: number): Detection => ({
  detector: "shell",
  id: "shell.spawned",
  kind: "runtime",
  severity: "high",
  title: "shell",
  container: { id: `c${n}`, name: `web${n}`, image: "bb:1" },
  evidence: `sh #${n}`,
  at: new Date(0).toISOString(),
});

interface FakeServer {
  port: number;
  url: string;
  /** every seq in every request, in arrival order (duplicates included) */
  received: number[];
  stored: Map<number, unknown>;
  attempts: { at: number; status: number; auth?: string; count: number }[];
  mode: "ok" | "503";
  decisions: ApprovalDecisionWire[];
  listen(port?: number): Promise<void>;
  close(): Promise<void>;
}

function fakeServer(tls?: { key: string; cert: string }): FakeServer {
  let server: Server | undefined;
  const s: FakeServer = {
    port: 0,
    url: "",
    received: [],
    stored: new Map(),
    attempts: [],
    mode: "ok",
    decisions: [],
    async listen(port = 0) {
      const handler = (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const report = JSON.parse(Buffer.concat(chunks).toString()) as AgentReport;
          const status = req.url !== "/api/v1/agents/report" ? 404 : s.mode === "503" ? 503 : 200;
          s.attempts.push({
            at: Date.now(),
            status,
            count: report.events.length,
            ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
          });
          if (status !== 200) {
            res.writeHead(status, { "content-type": "application/json" }).end('{"error":"unavailable"}');
            return;
          }
          for (const e of report.events) {
            s.received.push(e.seq);
            if (!s.stored.has(e.seq)) s.stored.set(e.seq, e);
          }
          const ackSeq = Math.max(0, ...s.stored.keys());
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ ackSeq, decisions: s.decisions }));
        });
      };
      server = tls ? createHttps(tls, handler) : createHttp(handler);
      await new Promise<void>((r) => server?.listen(port, "127.0.0.1", r));
      s.port = (server.address() as AddressInfo).port;
      s.url = `${tls ? "https" : "http"}://127.0.0.1:${s.port}`;
    },
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
    },
  };
  return s;
}

async function until(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("AgentClient", () => {
  let dir: string;
  let file: string;
  let srv: FakeServer;
  const stops: AbortController[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "airbag-agent-client-"));
    file = join(dir, "agent-spool.jsonl");
    srv = fakeServer();
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) s.abort();
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  function start(spool: AgentSpool, extra: Partial<ConstructorParameters<typeof AgentClient>[0]> = {}) {
    const warnings: string[] = [];
    const client = new AgentClient({
      server: srv.url,
      token: TOKEN,
      host: "host-a",
      spool,
      backoffMs: 20,
      maxBackoffMs: 1000,
      idlePollMs: 100,
      random: () => 1,
      warn: (m) => warnings.push(m),
      ...extra,
    });
    const stop = new AbortController();
    stops.push(stop);
    const done = client.run(stop.signal);
    const end = () => {
      stop.abort();
      return done;
    };
    return { client, warnings, stop: end };
  }

  it("backs off while the server answers 503, then delivers everything in order, exactly once", async () => {
    await srv.listen();
    srv.mode = "503";
    const spool = await AgentSpool.open(file);
    for (let i = 1; i <= 1200; i++) await spool.append({ type: "detection", detection: detection(i) });
    const agent = start(spool);
    await until("6 refused attempts", () => srv.attempts.length >= 6);
    const gaps = srv.attempts.slice(0, 6).map((a, i, all) => (i === 0 ? 0 : a.at - (all[i - 1]?.at ?? 0)));
    // waits of 20, 40, 80, 160, 320 ms (jitter pinned to its top) on top of the request time: each doubles
    expect((gaps[5] ?? 0) - (gaps[1] ?? 0)).toBeGreaterThanOrEqual(200);
    expect(gaps[5]).toBeGreaterThan(gaps[3] ?? 0);
    expect(srv.received).toEqual([]);
    expect(spool.backlog).toBe(1200);
    srv.mode = "ok";
    await until("all delivered", () => spool.backlog === 0);
    await agent.stop();
    expect(srv.received).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(Math.max(...srv.attempts.map((a) => a.count))).toBeLessThanOrEqual(500);
    expect(new Set(srv.attempts.map((a) => a.auth))).toEqual(new Set([`Bearer ${TOKEN}`]));
    expect(agent.warnings.join("\n")).toMatch(/answered 503/);
    expect(agent.warnings.join("\n")).not.toContain(TOKEN);
    await spool.close();
  });

  it("keeps events while the server is down, delivers when it is back, and a restarted agent sends no repeats", async () => {
    await srv.listen();
    const port = srv.port;
    await srv.close(); // down: nothing listens on the port
    const spool = await AgentSpool.open(file);
    const agent = start(spool);
    for (let i = 1; i <= 30; i++) {
      await spool.append({ type: "detection", detection: detection(i) });
      agent.client.notify();
    }
    await until("the outage noticed", () => agent.warnings.some((w) => /ECONNREFUSED/.test(w)));
    await new Promise((r) => setTimeout(r, 300));
    expect(spool.backlog).toBe(30);
    await srv.listen(port);
    await until("delivered after the outage", () => spool.backlog === 0);
    expect(agent.warnings.some((w) => /reachable again/.test(w))).toBe(true);
    await agent.stop();
    await spool.close();

    // the agent restarts: 20 more events, and only those go out
    const again = await AgentSpool.open(file);
    for (let i = 31; i <= 50; i++) await again.append({ type: "detection", detection: detection(i) });
    const second = start(again);
    await until("second run delivered", () => again.backlog === 0 && srv.stored.size === 50);
    await second.stop();
    expect(srv.received).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(srv.stored.get(50)).toMatchObject({ type: "detection", detection: { evidence: "sh #50" } });
    expect([...agent.warnings, ...second.warnings].join("\n")).not.toContain(TOKEN);
    await again.close();
  });

  it("polls when idle, hands each decision over once, and flush empties the spool on shutdown", async () => {
    await srv.listen();
    const spool = await AgentSpool.open(file);
    const got: ApprovalDecisionWire[] = [];
    const agent = start(spool, {
      onDecisions: async (d) => {
        got.push(...d);
      },
    });
    await until("idle polls", () => srv.attempts.length >= 2);
    expect(srv.attempts.every((a) => a.count === 0)).toBe(true);
    srv.decisions = [{ id: "a1b2c3", verdict: "approve", by: "alice", at: new Date().toISOString() }];
    const polls = srv.attempts.length;
    await until("decision repeated by the server", () => srv.attempts.length >= polls + 3);
    expect(got.map((d) => [d.id, d.verdict, d.by])).toEqual([["a1b2c3", "approve", "alice"]]);
    await agent.stop();
    for (let i = 1; i <= 3; i++) await spool.append({ type: "detection", detection: detection(i) });
    expect(await agent.client.flush(2000)).toBe(true);
    expect(srv.received).toEqual([1, 2, 3]);
    await spool.close();
  });

  it("flush gives up within its timeout when the server is down, and the events stay", async () => {
    await srv.listen();
    const url = srv.url;
    await srv.close();
    const spool = await AgentSpool.open(file);
    await spool.append({ type: "detection", detection: detection(1) });
    const warnings: string[] = [];
    const client = new AgentClient({
      server: url,
      token: TOKEN,
      host: "h",
      spool,
      warn: (m) => warnings.push(m),
    });
    const t0 = Date.now();
    expect(await client.flush(500)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(warnings.join()).toMatch(/stay in/);
    await spool.close();
    const reopened = await AgentSpool.open(file);
    expect(reopened.backlog).toBe(1);
    await reopened.close();
  });

  it("talks TLS to a server whose certificate a --server-ca file vouches for", async () => {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    srv = fakeServer({ key: await readFile(key, "utf8"), cert: await readFile(cert, "utf8") });
    await srv.listen();
    const spool = await AgentSpool.open(file);
    await spool.append({ type: "detection", detection: detection(1) });
    // without the CA the certificate is refused and the event stays
    const plain = new AgentClient({ server: srv.url, token: TOKEN, host: "h", spool, warn: () => {} });
    expect(await plain.flush(1000)).toBe(false);
    expect(srv.received).toEqual([]);
    const withCa = new AgentClient({ server: srv.url, token: TOKEN, host: "h", spool, caFile: cert });
    expect(await withCa.flush(3000)).toBe(true);
    expect(srv.received).toEqual([1]);
    await withCa.close();
    await spool.close();
  });

  it("refuses server URLs that are not http(s) or carry credentials", () => {
    expect(agentReportUrl("https://airbag.example:8443/base/").href).toBe(
      "https://airbag.example:8443/base/api/v1/agents/report",
    );
    expect(() => agentReportUrl("ftp://x")).toThrow(/--server: "ftp:\/\/x" must be an http/);
    expect(() => agentReportUrl("https://u:p@x")).toThrow(/--token/);
    expect(() => agentReportUrl("nope")).toThrow(/not a URL/);
  });
});
