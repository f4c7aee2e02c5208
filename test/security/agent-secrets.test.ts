import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../../src/policy/audit.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";
import { CLI, occurrences, type ServeChild, startServe } from "./serve-child.js";

/**
 * `airbag monitor --server … ` as a real child process with its agent token in $AIRBAG_TOKEN, against
 * a real `airbag serve` child and a hermetic podman running a privileged container: the token and the
 * monitor policy's webhook secret never show in the monitor's output, its spool, its audit log or any
 * state file — nor does a wrong token the server refuses — and its state dir is 0700 with 0600 files.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[security/agent-secrets] skipped: ${skip}`);

const HOOK_SECRET = "agent-hook-secret-Vb41kQ9z";
const WRONG_TOKEN = "abt_refused_0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const HOST = "sec-agent";

interface Monitor {
  child: ChildProcess;
  out: () => string;
  stop: () => Promise<void>;
}

function startMonitor(o: {
  engine: string;
  policy: string;
  state: string;
  server: string;
  token: string;
}): Monitor {
  const child = spawn(
    process.execPath,
    [CLI, "monitor", "--engine", o.engine, "--policy", o.policy, "--state", o.state, "--server", o.server]
      .concat(["--db", join(o.state, "..", "no-db.sqlite"), "--interval", "500ms"])
      .concat(["--detectors", "risky-container", "--host", HOST, "--verbose"]),
    { env: { ...process.env, AIRBAG_TOKEN: o.token }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    out: () => out,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms = 45_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** every regular file under dir, with the modes of the dirs and files on the way */
async function walk(dir: string): Promise<{ path: string; dir: boolean; mode: number }[]> {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  for (const n of await readdir(dir)) {
    const p = join(dir, n);
    const st = await stat(p);
    out.push({ path: p, dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

describe.skipIf(!!skip)("airbag monitor --server keeps its token and channel secrets to itself", () => {
  let tmp: string;
  let podman: PodmanService;
  let serve: ServeChild;
  let hook: HttpServer;
  let monitor: Monitor;
  let refused: Monitor;
  let agentToken: string;
  const hookSigs: string[] = [];
  const state = () => join(tmp, "agent-state");
  const refusedState = () => join(tmp, "refused-state");

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "airbag-sec-agent-"));
    hook = createServer((req, res) => {
      hookSigs.push(String(req.headers["x-airbag-signature"]));
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    podman = await startPodman();
    await importBusyboxImage(podman, tmp, ["sh", "sleep"]);
    serve = await startServe(join(tmp, "server-state"), ["--workers", "0", "--allow-root"]);
    const res = await fetch(`${serve.base}/api/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${serve.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "agent", role: "agent", host: HOST }),
    });
    agentToken = ((await res.json()) as { secret: string }).secret;
    const policy = join(tmp, "policy.yaml");
    await writeFile(
      policy,
      `mode: dry-run
channels:
  hook: { type: webhook, url: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/a", secret: "${HOOK_SECRET}" }
rules:
  - name: privileged
    when: { detector: risky-container }
    then: [stop, { alert: [hook] }]
`,
    );
    const engine = `unix://${podman.socket}`;
    monitor = startMonitor({ engine, policy, state: state(), server: serve.base, token: agentToken });
    refused = startMonitor({ engine, policy, state: refusedState(), server: serve.base, token: WRONG_TOKEN });
    const curl = (method: string, path: string, body?: unknown) =>
      execFileSync(
        "curl",
        ["-s", "-X", method, "--unix-socket", podman.socket, `http://d/v1.41${path}`].concat(
          body ? ["-H", "Content-Type: application/json", "-d", JSON.stringify(body)] : [],
        ),
        { encoding: "utf8" },
      );
    // started once both monitors follow events (their audit logs have the start entry)
    await until("monitors started", async () => {
      const a = await readFile(join(state(), "audit.jsonl"), "utf8").catch(() => "");
      const b = await readFile(join(refusedState(), "audit.jsonl"), "utf8").catch(() => "");
      return a.includes('"start"') && b.includes('"start"');
    });
    curl("POST", "/containers/create?name=priv-sec", {
      Image: "localhost/bb:1",
      Cmd: ["sleep", "300"],
      HostConfig: { Privileged: true },
    });
    curl("POST", "/containers/priv-sec/start");
    await until("the detection on the server", async () => {
      const r = await fetch(`${serve.base}/api/v1/detections?host=${HOST}`, {
        headers: { authorization: `Bearer ${serve.adminToken}` },
      });
      return ((await r.json()) as { items: unknown[] }).items.length > 0;
    });
    await until("the signed alert", () => hookSigs.length > 0);
    await until("the refused agent's warning", () => /401|token/i.test(refused.out()));
    await monitor.stop();
    await refused.stop();
    await serve.stop();
  }, 120_000);

  afterAll(async () => {
    await monitor?.stop();
    await refused?.stop();
    await serve?.stop();
    await podman?.stop();
    await new Promise((r) => hook?.close(r));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("really used the token and the secret (a detection reached the server, the alert was signed)", () => {
    expect(hookSigs[0]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(refused.out()).toMatch(/401|token/i);
    // started with --allow-root: no root warning even when it runs as root
    expect(serve.stderr()).not.toMatch(/WARNING: running as root/);
  });

  it("prints neither token nor the webhook secret", () => {
    for (const out of [monitor.out(), refused.out(), serve.stdout(), serve.stderr()]) {
      expect(occurrences(out, agentToken)).toBe(0);
      expect(occurrences(out, WRONG_TOKEN)).toBe(0);
      expect(occurrences(out, HOOK_SECRET)).toBe(0);
    }
  });

  it("writes neither into its spool, audit log or any state file; the server keeps only hashes", async () => {
    const files = [
      ...(await walk(state())),
      ...(await walk(refusedState())),
      ...(await walk(join(tmp, "server-state"))),
    ];
    const names = files.map((f) => f.path);
    expect(names).toEqual(
      expect.arrayContaining([join(state(), "audit.jsonl"), join(state(), "agent-spool.jsonl")]),
    );
    for (const f of files.filter((x) => !x.dir)) {
      const bytes = await readFile(f.path);
      expect(occurrences(bytes, agentToken), f.path).toBe(0);
      expect(occurrences(bytes, WRONG_TOKEN), f.path).toBe(0);
      expect(occurrences(bytes, HOOK_SECRET), f.path).toBe(0);
    }
  });

  it("keeps its state private: dir 0700, files 0600; its audit log verifies", async () => {
    expect((await stat(state())).mode & 0o777).toBe(0o700);
    for (const f of await walk(state())) expect(f.mode, f.path).toBe(f.dir ? 0o700 : 0o600);
    const v = await verifyAuditLog(join(state(), "audit.jsonl"));
    expect(v.ok).toBe(true);
    expect(v.entries).toBeGreaterThan(1);
  });
});
