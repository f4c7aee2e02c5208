import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EngineClient, parseEngineUrl } from "../engine/index.js";
import { type EventStreamState, followEvents } from "./events.js";
import type { EngineEvent } from "./types.js";

/**
 * followEvents against a small Engine-API server on a unix socket whose /events misbehaves on purpose:
 * objects split mid-way across writes, the connection dropped, a 500 while "restarting", a replay of
 * events already delivered when asked `since`. The real-engine behaviour (podman restart) is covered by
 * test/integration/runtime-podman.test.ts.
 */

type Handler = (res: ServerResponse, query: URLSearchParams, n: number) => void;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fakeEngine(onEvents: Handler) {
  const dir = await mkdtemp(join(tmpdir(), "airbag-events-"));
  dirs.push(dir);
  const socket = join(dir, "engine.sock");
  const queries: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://d");
    if (url.pathname === "/version") return res.end(JSON.stringify({ ApiVersion: "1.41" }));
    if (url.pathname === "/v1.41/events") {
      queries.push(url.searchParams);
      return onEvents(res, url.searchParams, queries.length);
    }
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(socket, r));
  const client = await EngineClient.connect(parseEngineUrl(`unix://${socket}`, "test"));
  return {
    client,
    queries,
    close: () => {
      client.close();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const T0 = Math.floor(Date.now() / 1000) + 30;
const ev = (action: string, id: string, dt: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    Type: "container",
    Action: action,
    Actor: { ID: id, Attributes: { name: id, image: "bb:1", containerExitCode: "0" } },
    time: T0 + dt,
    timeNano: (T0 + dt) * 1e9,
    ...extra,
  });

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("followEvents", () => {
  it("reassembles split objects, reconnects after a drop and a 500, resumes with since, drops replays", async () => {
    const engine = await fakeEngine(async (res, _q, n) => {
      if (n === 1) {
        res.writeHead(200, { "content-type": "application/json" });
        const a = ev("start", "c1", 0);
        res.write(a.slice(0, 20));
        await tick(30);
        res.write(`${a.slice(20)}\n${ev("died", "c1", 1)}`); // podman: no newline after the last object
        await tick(30);
        res.socket?.destroy(); // the engine went away mid-stream
      } else if (n === 2) {
        res.statusCode = 500;
        res.end('{"message":"restarting"}');
      } else {
        res.writeHead(200);
        // a resumed stream replays what was already delivered, then continues
        res.write(`${ev("start", "c1", 0)}\n${ev("die", "c1", 1)}\n${ev("start", "c2", 2)}\n`);
      }
    });
    const got: EngineEvent[] = [];
    const states: EventStreamState[] = [];
    const ac = new AbortController();
    const done = followEvents(engine.client, {
      signal: ac.signal,
      initialDelayMs: 20,
      onState: (s) => states.push(s),
      onEvent: (e) => {
        got.push(e);
        if (got.length === 3) ac.abort();
      },
    });
    await done;
    await engine.close();
    expect(got.map((e) => `${e.action}:${e.id}`)).toEqual(["start:c1", "die:c1", "start:c2"]);
    expect(got[1]?.attributes.exitCode).toBe("0");
    // first stream from "now"; each later one since a little (5 s) before the last delivered event
    expect(engine.queries[0]?.has("since")).toBe(false);
    expect(engine.queries[1]?.get("since")).toBe(String(T0 + 1 - 5));
    expect(engine.queries[2]?.get("since")).toBe(String(T0 + 1 - 5));
    expect(states.map((s) => s.state)).toEqual([
      "connected",
      "disconnected",
      "reconnecting",
      "reconnecting",
      "connected",
      "disconnected",
    ]);
    const retry = states[3] as Extract<EventStreamState, { state: "reconnecting" }>;
    expect(retry.reason).toMatch(/HTTP 500 restarting/);
    expect(retry.attempt).toBe(2);
    // equal jitter: between half and all of 2 × initial delay
    expect(retry.delayMs).toBeGreaterThanOrEqual(20);
    expect(retry.delayMs).toBeLessThanOrEqual(40);
  });

  it("keeps retrying while the engine is unreachable, with growing capped delays", async () => {
    const engine = await fakeEngine((res) => {
      res.statusCode = 503;
      res.end("{}");
    });
    const states: EventStreamState[] = [];
    const ac = new AbortController();
    await followEvents(engine.client, {
      signal: ac.signal,
      initialDelayMs: 4,
      maxDelayMs: 16,
      random: () => 1,
      onEvent: () => {},
      onState: (s) => {
        states.push(s);
        if (states.length === 5) ac.abort();
      },
    });
    await engine.close();
    expect(states.map((s) => (s.state === "reconnecting" ? s.delayMs : s.state))).toEqual([4, 8, 16, 16, 16]);
  });

  it("applies the event filter after normalising, and sends the others to the engine", async () => {
    const engine = await fakeEngine((res) => {
      res.writeHead(200);
      res.write(`${ev("exec", "c1", 0)}\n${ev("start", "c1", 1)}\n${ev("exec_died", "c1", 2)}\n`);
    });
    const got: string[] = [];
    const ac = new AbortController();
    await followEvents(engine.client, {
      signal: ac.signal,
      filters: { type: ["container"], event: ["exec_start", "exec_die"] },
      onEvent: (e) => {
        got.push(e.action);
        if (got.length === 2) ac.abort();
      },
    });
    await engine.close();
    expect(got).toEqual(["exec_start", "exec_die"]);
    expect(JSON.parse(engine.queries[0]?.get("filters") ?? "")).toEqual({ type: ["container"] });
  });

  it("delivers only events from an explicit since on, and stops on an answer that will not change (400)", async () => {
    const engine = await fakeEngine((res, q, n) => {
      if (n === 1) {
        expect(q.get("since")).toBe(String(T0));
        res.writeHead(200);
        res.end(`${ev("start", "old", -3)}\n${ev("start", "new", 0)}\n`);
      } else {
        res.statusCode = 400;
        res.end('{"message":"invalid filter"}');
      }
    });
    const got: string[] = [];
    const run = followEvents(engine.client, {
      signal: new AbortController().signal,
      since: T0,
      initialDelayMs: 1,
      onEvent: (e) => {
        got.push(e.id);
      },
    });
    await expect(run).rejects.toThrow(/HTTP 400 invalid filter/);
    await engine.close();
    expect(got).toEqual(["new"]);
  });

  it("ends with the error when onEvent throws", async () => {
    const engine = await fakeEngine((res) => {
      res.writeHead(200);
      res.write(`${ev("start", "c1", 0)}\n`);
    });
    const run = followEvents(engine.client, {
      signal: new AbortController().signal,
      onEvent: () => {
        throw new Error("monitor bug");
      },
    });
    await expect(run).rejects.toThrow("monitor bug");
    await engine.close();
  });
});
