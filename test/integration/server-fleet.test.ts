import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent, Detection } from "../../src/model/index.js";
import { buildServer, type Server } from "../../src/server/app.js";
import { reevaluateAll } from "../../src/server/reevaluate.js";
import { importIntoDatabase } from "../../src/vulndb/index.js";
import { buildImage, writeOciLayout } from "../support/image-builder.js";

/**
 * The fleet side of `airbag serve` over real HTTP: agents' reports stored once per (host, seq) however
 * often they are resent, the fleet policy alerting a real loopback webhook exactly once, approvals decided
 * by an operator reaching the agent once, scan jobs run by the in-process worker on a real image, and
 * re-evaluation when the vulnerability DB gains an advisory.
 */

const VULNDB = resolve(import.meta.dirname, "../fixtures/vulndb");
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
// chromium 97 in bookworm: the vunnel Debian fixture says CVE-2022-0456 is fixed in 98.0.4758.80-1
const STATUS =
  "Package: chromium\nStatus: install ok installed\nArchitecture: amd64\nVersion: 97.0.4692.99-1\n";

let tmp: string;
let server: Server;
let base: string;
let hook: HttpServer;
let hookUrl: string;
// biome-ignore lint/suspicious/noExplicitAny: alert bodies as received, read by the assertions
const received: { body: any; signature: string | undefined }[] = [];
const tok = { admin: "", operator: "", viewer: "", agent: "" };

async function api(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers, read by tests
  return { status: res.status, json: (await res.json()) as any };
}

const detection = (id: string): Detection => ({
  detector: "cryptominer",
  id,
  kind: "runtime",
  severity: "critical",
  title: "miner",
  container: { id: "c1", name: "web", image: "nginx:1" },
  evidence: "xmrig -o stratum+tcp://127.0.0.1:3333",
  at: new Date().toISOString(),
});

const until = async (f: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-fleet-"));
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({
        body: JSON.parse(body),
        signature: req.headers["x-airbag-signature"] as string | undefined,
      });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  // an empty DB first: the scan finds the package but no advisory yet
  await importIntoDatabase(join(tmp, "vuln.sqlite"), [join(VULNDB, "kev")], { warn: () => {} });
  server = await buildServer({
    stateDir: tmp,
    vulnDb: join(tmp, "vuln.sqlite"),
    dbWatchMs: 0,
    queue: { pollMs: 100 },
    warn: () => {},
  });
  base = await server.listen();
  for (const role of ["admin", "operator", "viewer"] as const) {
    tok[role] = (await server.ctx.store.createToken({ name: `u-${role}`, role })).secret;
  }
  tok.agent = (await server.ctx.store.createToken({ name: "agent-h1", role: "agent", host: "h1" })).secret;
  const policy = `mode: enforce\nchannels:\n  ops: { type: webhook, url: "${hookUrl}", secret: s3cret }\nrules:\n  - name: miners\n    when: { detector: cryptominer }\n    then: [{ alert: [ops] }]\n  - name: cves\n    when: { detector: new-cve }\n    then: [{ alert: [ops] }]\n`;
  const put = await fetch(`${base}/api/v1/policy`, {
    method: "PUT",
    headers: { authorization: `Bearer ${tok.admin}`, "content-type": "application/yaml" },
    body: policy,
  });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => hook?.close(r));
  await rm(tmp, { recursive: true, force: true });
});

describe("agents report to the server", () => {
  const events: AgentEvent[] = [
    {
      seq: 1,
      at: new Date().toISOString(),
      type: "inventory",
      containers: [
        {
          id: "c1",
          name: "web",
          image: "nginx:1",
          state: "running",
          imageDigest: `sha256:${"a".repeat(64)}`,
        },
      ],
    },
    { seq: 2, at: new Date().toISOString(), type: "detection", detection: detection("miner.process") },
    {
      seq: 3,
      at: new Date().toISOString(),
      type: "approval-request",
      approval: {
        id: "ap1",
        rule: "stop-miners",
        detection: detection("miner.process"),
        actions: [{ type: "stop" }],
        requestedAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        onTimeout: "deny",
      },
    },
  ];

  it("stores each (host, seq) once however often a batch is resent, and alerts the fleet policy once", async () => {
    const first = await api("POST", "/api/v1/agents/report", tok.agent, {
      host: "h1",
      agentVersion: "t",
      events,
    });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ ackSeq: 3, decisions: [] });
    const again = await api("POST", "/api/v1/agents/report", tok.agent, {
      host: "h1",
      agentVersion: "t",
      events,
    });
    expect(again.json.ackSeq).toBe(3);
    const dets = await api("GET", "/api/v1/detections?host=h1", tok.viewer);
    expect(dets.json.items).toHaveLength(1);
    await until(async () => received.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((r) => r.body.detector === "cryptominer")).toHaveLength(1);
    expect(received[0]?.body).toMatchObject({ rule: "miners", host: "h1", severity: "critical" });
    expect(received[0]?.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const hosts = await api("GET", "/api/v1/hosts", tok.viewer);
    expect(hosts.json.items[0]).toMatchObject({ host: "h1", ackSeq: 3 });
    expect(hosts.json.items[0].containers[0].name).toBe("web");
  });

  it("refuses an agent token bound to another host", async () => {
    const r = await api("POST", "/api/v1/agents/report", tok.agent, {
      host: "h2",
      agentVersion: "t",
      events: [],
    });
    expect(r.status).toBe(403);
  });

  it("hands an operator's decision to the agent until it confirms; the second decision is refused", async () => {
    const pending = await api("GET", "/api/v1/approvals?state=pending", tok.viewer);
    expect(pending.json.items.map((a: { id: string }) => a.id)).toEqual(["ap1"]);
    expect((await api("POST", "/api/v1/approvals/ap1/approve", tok.viewer, {})).status).toBe(403);
    const ok = await api("POST", "/api/v1/approvals/ap1/approve", tok.operator, {
      reason: "confirmed miner",
    });
    expect(ok.status).toBe(200);
    expect(ok.json.state).toBe("approved");
    expect((await api("POST", "/api/v1/approvals/ap1/deny", tok.operator, {})).status).toBe(409);
    const report = (events: AgentEvent[] = []) =>
      api("POST", "/api/v1/agents/report", tok.agent, { host: "h1", agentVersion: "t", events });
    const decision = expect.objectContaining({
      id: "ap1",
      verdict: "approve",
      by: "u-operator",
      reason: "confirmed miner",
    });
    expect((await report()).json.decisions).toEqual([decision]);
    // the answer may have been lost on the way: repeated until the agent confirms it
    expect((await report()).json.decisions).toEqual([decision]);
    const confirm: AgentEvent = {
      seq: 4,
      at: new Date().toISOString(),
      type: "approval-settled",
      id: "ap1",
      state: "approved",
      by: "u-operator",
    };
    expect((await report([confirm])).json.decisions).toEqual([]);
    expect((await api("GET", "/api/v1/approvals/ap1", tok.viewer)).json).toMatchObject({
      state: "approved",
      delivered: true,
    });
  });
});

describe("scan jobs and re-evaluation", () => {
  let digest: string;

  it("runs a queued scan in the server's worker and stores the result by digest", async () => {
    const img = await buildImage({
      layers: [{ "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS }],
    });
    const dir = join(tmp, "oci");
    await writeOciLayout(dir, img);
    const job = await api("POST", "/api/v1/scans", tok.operator, { target: `oci:${dir}` });
    expect(job.status).toBe(202);
    await until(
      async () => (await api("GET", `/api/v1/jobs/${job.json.id}`, tok.viewer)).json.state === "done",
    );
    const images = await api("GET", "/api/v1/images", tok.viewer);
    expect(images.json.items).toHaveLength(1);
    digest = images.json.items[0].digest;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(images.json.items[0].summary.high + images.json.items[0].summary.critical).toBe(0);
    const one = await api("GET", `/api/v1/images/${digest}`, tok.viewer);
    expect(one.json.report.packages.map((p: { name: string }) => p.name)).toContain("chromium");
    const trend = await api("GET", "/api/v1/trends?days=7", tok.viewer);
    expect(trend.json.items.length).toBeGreaterThan(0);
  });

  it("matches stored inventories again when the DB gains an advisory and alerts the fleet policy", async () => {
    const newer = join(tmp, "vuln2.sqlite");
    await importIntoDatabase(newer, [join(VULNDB, "debian/vunnel-debian.json")], { warn: () => {} });
    const before = received.length;
    const r = await reevaluateAll(server.ctx, newer);
    expect(r.changed.map((c) => c.digest)).toEqual([digest]);
    expect(r.changed[0]?.added).toContain("CVE-2022-0456");
    const one = await api("GET", `/api/v1/images/${digest}`, tok.viewer);
    expect(one.json.report.findings.map((f: { id: string }) => f.id)).toContain("CVE-2022-0456");
    await until(async () => received.length > before);
    expect(
      received
        .slice(before)
        .some((x) => x.body.detector === "new-cve" && x.body.detection === "CVE-2022-0456"),
    ).toBe(true);
    // a second pass finds nothing new
    expect((await reevaluateAll(server.ctx, newer)).changed).toEqual([]);
  });
});
