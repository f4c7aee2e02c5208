import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../../src/model/index.js";
import { verifyAuditLog } from "../../src/policy/audit.js";
import { occurrences, type ServeChild, startServe } from "./serve-child.js";

/**
 * `airbag serve` as a real child process: tokens (bootstrap admin, created ones, a wrong one) and the
 * fleet policy's channel credentials (webhook HMAC secret, SMTP password) must appear nowhere they do
 * not have to: not in stdout/stderr (except the bootstrap line, once), the audit log, error answers,
 * the OpenAPI document or what a viewer reads; tokens not even in the SQLite file (only their hashes).
 * The files it creates are private (umask 077), and its audit chain verifies and catches an edit.
 */

const WEBHOOK_SECRET = "whsec-Q7f3ZpL0vRk9-webhook";
const SMTP_PASSWORD = "smtp-pw-X8dT2mN5cJ";
const WRONG_TOKEN = "abt_wrong_9f8e7d6c5b4a39281706f5e4d3c2b1a0";

let tmp: string;
let state: string;
let serve: ServeChild;
let hook: HttpServer;
let smtp: SMTPServer;
const hookBodies: { sig?: string; body: string }[] = [];
const mails: string[] = [];
let smtpAuth = "";
const tokens: Record<string, string> = {};
const answers: string[] = [];

async function api(method: string, path: string, token: string | undefined, body?: unknown, type?: string) {
  const res = await fetch(serve.base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": type ?? "application/json" } : {}),
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

const listen = (s: { listen: (port: number, host: string, cb: () => void) => unknown }) =>
  new Promise<void>((r) => s.listen(0, "127.0.0.1", r));

const isHostRoot = () =>
  process.getuid?.() === 0 && /^\s*0\s+0\s/.test(readFileSync("/proc/self/uid_map", "utf8"));

const until = async (what: string, f: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-sec-serve-"));
  state = join(tmp, "state");
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hookBodies.push({ sig: req.headers["x-airbag-signature"] as string | undefined, body });
      res.end("ok");
    });
  });
  await listen(hook);
  smtp = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _s, cb) {
      smtpAuth = String(auth.password);
      cb(null, { user: auth.username });
    },
    onData(stream, _s, cb) {
      let m = "";
      stream.on("data", (c: Buffer) => (m += c.toString()));
      stream.on("end", () => {
        mails.push(m);
        cb();
      });
    },
    logger: false,
  });
  await listen(smtp.server as unknown as HttpServer);
  serve = await startServe(state, ["--workers", "0"]);
  tokens.admin = serve.adminToken;
  expect(tokens.admin).toMatch(/\S{20,}/);
}, 30_000);

afterAll(async () => {
  await serve?.stop();
  await new Promise((r) => hook?.close(r));
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  await rm(tmp, { recursive: true, force: true });
});

describe("airbag serve keeps tokens and channel credentials out of its output and files", () => {
  it("warns once when run as the host's root (it needs no privileges), never otherwise", () => {
    const warned = /WARNING: running as root/.test(serve.stderr());
    expect(warned).toBe(isHostRoot());
  });

  it("runs a session of changes, failed requests, agent reports and alerts", async () => {
    for (const role of ["viewer", "operator", "agent"] as const) {
      const r = await api("POST", "/api/v1/tokens", tokens.admin, {
        name: `sec-${role}`,
        role,
        ...(role === "agent" ? { host: "h1" } : {}),
      });
      expect(r.status).toBe(201);
      tokens[role] = r.json.secret;
    }
    // failing requests: a wrong token, a viewer doing admin things, a token for a host it is not bound to
    expect((await api("GET", "/api/v1/tokens", WRONG_TOKEN)).status).toBe(401);
    expect((await api("GET", "/api/v1/tokens", tokens.viewer)).status).toBe(403);
    expect(
      (
        await api("POST", "/api/v1/agents/report", tokens.agent, {
          host: "h2",
          agentVersion: "t",
          events: [],
        })
      ).status,
    ).toBe(403);
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/airbag`;
    const smtpUrl = `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
    const policy = `mode: enforce
channels:
  hook: { type: webhook, url: "${hookUrl}", secret: "${WEBHOOK_SECRET}" }
  mail: { type: email, to: ["oncall@example.com"], smtp: "${smtpUrl}" }
rules:
  - name: miners
    when: { detector: cryptominer }
    then: [{ alert: [hook, mail] }]
`;
    // a rejected policy: the error names the field, never echoes the credentials
    const bad = await api(
      "PUT",
      "/api/v1/policy",
      tokens.admin,
      policy.replace("mode: enforce", "mode: sometimes"),
      "application/yaml",
    );
    expect(bad.status).toBe(400);
    const put = await api("PUT", "/api/v1/policy", tokens.admin, policy, "application/yaml");
    expect(put.status).toBe(200);
    const at = new Date().toISOString();
    const events: AgentEvent[] = [
      {
        seq: 1,
        at,
        type: "inventory",
        containers: [{ id: "c1", name: "web", image: "nginx:1", state: "running" }],
      },
      {
        seq: 2,
        at,
        type: "detection",
        detection: {
          detector: "cryptominer",
          id: "miner.process",
          kind: "runtime",
          severity: "critical",
          title: "miner",
          container: { id: "c1", name: "web", image: "nginx:1" },
          evidence: "xmrig -o stratum+tcp://127.0.0.1:3333",
          at,
        },
      },
    ];
    const rep = await api("POST", "/api/v1/agents/report", tokens.agent, {
      host: "h1",
      agentVersion: "t",
      events,
    });
    expect(rep.status).toBe(200);
    await until("webhook and mail alerts", () => hookBodies.length >= 1 && mails.length >= 1);
    // the credentials were used (signed hook, authenticated SMTP) — so they are really in play
    expect(hookBodies[0]?.sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(smtpAuth).toBe(SMTP_PASSWORD);
    expect(
      (
        await api(
          "DELETE",
          `/api/v1/tokens/${(await api("GET", "/api/v1/tokens", tokens.admin)).json.items.find((t: { name: string }) => t.name === "sec-operator").id}`,
          tokens.admin,
        )
      ).status,
    ).toBe(200);
  }, 30_000);

  it("shows channel credentials to admins only; the OpenAPI document and token list hold no secrets", async () => {
    const asViewer = await api("GET", "/api/v1/policy", tokens.viewer);
    expect(asViewer.status).toBe(200);
    expect(asViewer.text).not.toContain(WEBHOOK_SECRET);
    expect(asViewer.text).not.toContain(SMTP_PASSWORD);
    expect(asViewer.json.yaml).toContain("<redacted>");
    const asAdmin = await api("GET", "/api/v1/policy", tokens.admin);
    expect(asAdmin.json.yaml).toContain(WEBHOOK_SECRET); // the admin edits it: the full text
    answers.pop(); // …so that one answer is allowed to carry it
    const list = await api("GET", "/api/v1/tokens", tokens.admin);
    expect(list.json.items.length).toBeGreaterThanOrEqual(4);
    const doc = await api("GET", "/api/v1/openapi.json", tokens.viewer);
    expect(doc.status).toBe(200);
    for (const secret of [...Object.values(tokens), WEBHOOK_SECRET, SMTP_PASSWORD, WRONG_TOKEN]) {
      expect(occurrences(doc.text, secret)).toBe(0);
      expect(occurrences(list.text, secret)).toBe(0);
    }
  });

  it("no answer but the token-creation ones carries a token or credential", () => {
    // token creation answers carry their own new secret by design (shown once): drop those three
    const others = answers.filter((a) => !/"secret":"/.test(a));
    for (const secret of [...Object.values(tokens), WEBHOOK_SECRET, SMTP_PASSWORD, WRONG_TOKEN])
      for (const a of others) expect(occurrences(a, secret), `${secret} in ${a.slice(0, 200)}`).toBe(0);
  });

  it("after shutdown: the bootstrap token printed exactly once, nothing else in stdout/stderr, files", async () => {
    await serve.stop();
    const out = serve.stdout() + serve.stderr();
    expect(occurrences(out, tokens.admin as string)).toBe(1);
    for (const s of [
      tokens.viewer,
      tokens.operator,
      tokens.agent,
      WRONG_TOKEN,
      WEBHOOK_SECRET,
      SMTP_PASSWORD,
    ])
      expect(occurrences(out, s as string)).toBe(0);
    const files = (await readdir(state)).map((f) => join(state, f));
    expect(files.map((f) => f.slice(state.length + 1))).toEqual(
      expect.arrayContaining(["server.sqlite", "server-audit.jsonl"]),
    );
    for (const f of files) {
      if ((await stat(f)).isDirectory()) continue;
      const bytes = await readFile(f);
      for (const t of Object.values(tokens)) expect(occurrences(bytes, t), `${t} in ${f}`).toBe(0);
      expect(occurrences(bytes, WRONG_TOKEN)).toBe(0);
      // the fleet policy is stored as written (its channels need the credentials): only in the store
      if (!/server\.sqlite/.test(f)) {
        expect(occurrences(bytes, WEBHOOK_SECRET), f).toBe(0);
        expect(occurrences(bytes, SMTP_PASSWORD), f).toBe(0);
      }
    }
  });

  it("creates its state dir 0700 and every file in it 0600", async () => {
    expect((await stat(state)).mode & 0o777).toBe(0o700);
    const names = await readdir(state);
    expect(names).toContain("server.sqlite");
    for (const n of names) {
      const st = await stat(join(state, n));
      expect(st.mode & 0o777, n).toBe(st.isDirectory() ? 0o700 : 0o600);
    }
  });

  it("its audit log verifies after the session, and an edited line is caught", async () => {
    const file = join(state, "server-audit.jsonl");
    const ok = await verifyAuditLog(file);
    expect(ok.ok).toBe(true);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const whats = lines.map((l) => JSON.parse(l).data?.what);
    expect(whats).toEqual(expect.arrayContaining(["token.create", "policy", "token.revoke"]));
    expect(ok.entries).toBe(lines.length);
    // a forger lowers the role of one created token in the middle of the log
    const i = whats.indexOf("token.create", 1);
    const forged = [...lines];
    forged[i] = (forged[i] as string).replace(/"role":"(viewer|operator|agent)"/, '"role":"admin"');
    expect(forged[i]).not.toBe(lines[i]);
    const copy = join(tmp, "forged-audit.jsonl");
    await writeFile(copy, `${forged.join("\n")}\n`);
    const bad = await verifyAuditLog(copy);
    expect(bad.ok).toBe(false);
    expect(bad.firstBad?.line).toBe(i + 1);
    expect(bad.entries).toBe(i);
  });
});
