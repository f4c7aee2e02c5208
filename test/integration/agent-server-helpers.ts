import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditEntry } from "../../src/policy/audit.js";
import { parsePolicy } from "../../src/policy/policy-file.js";
import type { RuntimeDetectorName } from "../../src/runtime/detectors/index.js";
import { type MonitorServerOptions, runMonitor } from "../../src/runtime/run-monitor.js";
import { buildServer, type Server } from "../../src/server/app.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";

/**
 * A real agent and a real server on one machine, for the agent ↔ server tests and the dashboard's
 * "approve in the browser" test: a hermetic podman (test/support/podman.ts) with a busybox image
 * `localhost/bb:1`, `airbag serve` (buildServer, SQLite in a temp dir) on 127.0.0.1 that can be
 * stopped and started again on the same port with the same data, and `runMonitor` with `--server`
 * pointed at it. Everything lives under one temp dir; only processes started here are stopped.
 */

export const agentServerSkipReason = podmanBusyboxSkipReason;

export type TokenRole = "admin" | "operator" | "viewer" | "agent";

export interface AgentServerRigOptions {
  /** the monitor's policy YAML */
  policy: string;
  /** host name the agent reports as (default "agent-it") */
  hostName?: string;
  detectors?: RuntimeDetectorName[];
  sampleIntervalMs?: number;
  /** extra delivery knobs for the agent */
  server?: Partial<MonitorServerOptions>;
}

export interface AgentServerRig {
  podman: PodmanService;
  tmp: string;
  /** the server's base URL (stays the same across stopServer/startServer) */
  base: string;
  hostName: string;
  /** the monitor's state dir (audit.jsonl, approvals/, agent-spool.jsonl) */
  stateDir: string;
  tokens: Record<TokenRole, string>;
  /** the running server, undefined while stopped */
  server(): Server | undefined;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, read by tests
  api(method: string, path: string, role: TokenRole, body?: unknown): Promise<{ status: number; json: any }>;
  /** Docker API of the hermetic podman (curl over its socket) */
  engine(method: string, path: string, body?: unknown): string;
  inspect(name: string): { State: { Running: boolean; Status: string } };
  startContainer(name: string, cmd: string[], hostConfig?: Record<string, unknown>): void;
  /** entries of the monitor's audit log of one type */
  audit(type: string): Promise<AuditEntry[]>;
  warnings: string[];
  /** stop the monitor (flushes its spool), the server and podman; remove the temp dir */
  close(): Promise<void>;
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startAgentServerRig(o: AgentServerRigOptions): Promise<AgentServerRig> {
  const podman = await startPodman();
  const tmp = await mkdtemp(join(tmpdir(), "airbag-agent-server-"));
  const hostName = o.hostName ?? "agent-it";
  const stateDir = join(tmp, "agent-state");
  const serverDir = join(tmp, "server-state");
  const warnings: string[] = [];
  let server: Server | undefined;
  let port = 0;
  const startServer = async () => {
    server = await buildServer({ stateDir: serverDir, dbWatchMs: 0, inProcessWorkers: 0, warn: () => {} });
    const url = await server.listen("127.0.0.1", port);
    port = Number(new URL(url).port);
  };
  const stopServer = async () => {
    const s = server;
    server = undefined;
    await s?.close();
  };
  const stop = new AbortController();
  let monitor: Promise<void> | undefined;
  try {
    await importBusyboxImage(podman, tmp, ["sh", "sleep", "mkdir", "chmod", "printf"]);
    await startServer();
    const tokens = {} as Record<TokenRole, string>;
    for (const role of ["admin", "operator", "viewer"] as const)
      tokens[role] = (await (server as Server).ctx.store.createToken({ name: `it-${role}`, role })).secret;
    tokens.agent = (
      await (server as Server).ctx.store.createToken({
        name: `agent-${hostName}`,
        role: "agent",
        host: hostName,
      })
    ).secret;
    const base = `http://127.0.0.1:${port}`;
    monitor = runMonitor({
      policy: parsePolicy(o.policy, "agent-server-policy.yaml"),
      engine: `unix://${podman.socket}`,
      signal: stop.signal,
      stateDir,
      db: join(tmp, "no-db.sqlite"),
      only: o.detectors ?? ["risky-container"],
      sampleIntervalMs: o.sampleIntervalMs ?? 500,
      approvalPollMs: 200,
      hostName,
      server: {
        url: base,
        token: tokens.agent,
        idlePollMs: 300,
        backoffMs: 100,
        maxBackoffMs: 1000,
        flushTimeoutMs: 2000,
        ...o.server,
      },
      onWarning: (m) => warnings.push(m),
    });
    const engine = (method: string, path: string, body?: unknown): string => {
      const args = ["-s", "-X", method, "--unix-socket", podman.socket, `http://d/v1.41${path}`];
      if (body) args.push("-H", "Content-Type: application/json", "-d", JSON.stringify(body));
      return execFileSync("curl", args, { encoding: "utf8" });
    };
    const rig: AgentServerRig = {
      podman,
      tmp,
      base,
      hostName,
      stateDir,
      tokens,
      server: () => server,
      stopServer,
      startServer,
      async api(method, path, role, body) {
        const res = await fetch(base + path, {
          method,
          headers: {
            authorization: `Bearer ${tokens[role]}`,
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : undefined };
      },
      engine,
      inspect: (name) => JSON.parse(engine("GET", `/containers/${name}/json`)),
      startContainer(name, cmd, hostConfig = {}) {
        engine("POST", `/containers/create?name=${name}`, {
          Image: "localhost/bb:1",
          Cmd: cmd,
          HostConfig: hostConfig,
        });
        engine("POST", `/containers/${name}/start`);
      },
      async audit(type) {
        const text = await readFile(join(stateDir, "audit.jsonl"), "utf8").catch(() => "");
        return text
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AuditEntry)
          .filter((e) => e.type === type);
      },
      warnings,
      async close() {
        stop.abort();
        await monitor?.catch(() => {});
        await stopServer();
        await podman.stop();
        await rm(tmp, { recursive: true, force: true });
      },
    };
    // the monitor has listed the containers and follows events once its start entry is written
    await waitFor("monitor start", async () => (await rig.audit("start")).length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    return rig;
  } catch (err) {
    stop.abort();
    await monitor?.catch(() => {});
    await stopServer().catch(() => {});
    await podman.stop();
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
