import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonBody, load } from "./common.mjs";

const { buildServer } = await load("server/app.js");

// one in-process server per worker (fastify inject: no socket), SQLite in a private temp dir; started
// on first use, because listing the targets (the test, scripts/fuzz.mjs) imports this module too
const problems = [];
let started;
function start() {
  started ??= (async () => {
    const state = mkdtempSync(join(tmpdir(), "airbag-fuzz-serve-"));
    const server = await buildServer({
      stateDir: state,
      database: `sqlite:${join(state, "server.sqlite")}`,
      // pushes only enqueue: no worker may pull a mutated (maybe non-loopback) registry reference
      inProcessWorkers: 0,
      warn: (m) => problems.push(m),
    });
    const admin = (await server.ctx.store.createToken({ name: "fuzz", role: "admin" })).secret;
    return { state, server, admin };
  })();
  return started;
}
let host = 0;

/** A 5xx means a body reached code that did not expect it; 2xx/4xx are clean answers. */
const post = (url) => async (buf) => {
  const body = jsonBody(buf);
  if (body === undefined) return;
  // a fresh host per input, so earlier inputs' sequence numbers do not shadow this one's
  if (url.includes("agents") && body && typeof body === "object" && typeof body.host === "string")
    body.host = `${body.host}-${host++}`;
  const { server, admin } = await start();
  problems.length = 0;
  const res = await server.app.inject({
    method: "POST",
    url,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    payload: JSON.stringify(body),
  });
  if (res.statusCode >= 500)
    throw new Error(
      `HTTP ${res.statusCode} from ${url}: ${problems[0]?.split("\n").slice(0, 2).join(" ") ?? res.body}`,
    );
};

/** The HTTP routes that take attacker-reachable JSON, end to end through schema, parser and store. */
export const targets = [
  {
    name: "http-agent-report",
    corpus: "agent-report",
    kind: "json",
    clean: () => false,
    run: post("/api/v1/agents/report"),
  },
  {
    name: "http-registry-events",
    corpus: "registry-events",
    kind: "json",
    clean: () => false,
    run: post("/api/v1/registry/events"),
  },
];

/**
 * Found by the fuzzer (test/fuzz/regressions/agent-report/): event payloads of the wrong shape (an
 * alert without id, an approval-settled id that is an array, a detection that is a string) reached the
 * store and answered 500 — a batch the agent resends forever. Fixed by routes/agent-event-schema.ts.
 */
targets.push({ ...targets[0], name: "regression-http-agent-report", regression: true });

export async function teardown() {
  if (!started) return;
  const { server, state } = await started;
  await server.close();
  rmSync(state, { recursive: true, force: true });
}
