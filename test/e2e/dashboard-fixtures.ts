import type {
  AgentEvent,
  AlertMessage,
  ApprovalRequestWire,
  Detection,
  Report,
} from "../../src/model/index.js";
import type { Server } from "../../src/server/app.js";
import type { StoredScan } from "../../src/server/store/types.js";

/**
 * A small fleet for dashboard tests: three stored scans (one with critical/high/medium findings, one
 * clean, one whose reference is an HTML injection attempt), a host whose agent reported its running
 * containers, an alert and two pending approvals, and a CIS bench score — put in through the store and
 * the agents' real API.
 */

export const CRITICAL_IMAGE = `sha256:${"c".repeat(64)}`;
export const CLEAN_IMAGE = `sha256:${"0".repeat(64)}`;
export const HOSTILE_IMAGE = `sha256:${"e".repeat(64)}`;
export const HOSTILE_REF = `evil/<img src=x onerror="document.title='owned'">:1`;
export const HOST = "node-1.example";
export const APPROVAL_ID = "appr-1";
export const APPROVAL_DENY_ID = "appr-2";

export const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();

function report(digest: string, findings: Report["findings"]): Report {
  const summary = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const f of findings) summary[f.severity]++;
  return {
    schemaVersion: 1,
    target: { name: "test", kind: "oci", digest, os: { family: "debian", version: "12" }, layers: [] },
    packages: [
      {
        id: "pkg-openssl",
        ecosystem: "Debian:12",
        name: "libssl3",
        version: "3.0.11-1~deb12u1",
        purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1",
        type: "deb",
        locations: [{ path: "var/lib/dpkg/status", layer: "sha256:1" }],
        licenses: [],
        metadata: {},
      },
    ],
    warnings: [],
    findings,
    suppressed: [],
    summary,
    metadata: { tool: "airbag", version: "test", durationMs: 1 },
  } as unknown as Report;
}

export function scan(
  digest: string,
  refs: string[],
  scannedAt: string,
  findings: Report["findings"],
): StoredScan {
  const r = report(digest, findings);
  const kinds: Record<string, number> = {};
  for (const f of findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  return { digest, refs, scannedAt, summary: r.summary, kinds, report: r };
}

export const vuln = (id: string, severity: "critical" | "high" | "medium") => ({
  kind: "vulnerability" as const,
  id,
  aliases: [],
  severity,
  package: "pkg-openssl",
  installedVersion: "3.0.11-1~deb12u1",
  fixedVersion: "3.0.13-1~deb12u1",
  status: "fixed" as const,
  cvss: [],
  kev: severity === "critical",
  references: [],
  dataSource: "debian-tracker",
});

export const container = { id: "c0ffee", name: "web", image: "registry.example/web:1" };

export function approvalRequest(id: string): ApprovalRequestWire {
  const detection: Detection = {
    detector: "cryptominer",
    id: "miner.process",
    kind: "runtime",
    severity: "critical",
    title: "Cryptominer process",
    container,
    evidence: "xmrig -o stratum+tcp://127.0.0.1:3333",
    at: day(0),
    host: HOST,
  };
  return {
    id,
    rule: "stop-miners",
    detection,
    actions: [{ type: "stop" }],
    requestedAt: day(0),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    onTimeout: "deny",
  };
}

export const alert: AlertMessage = {
  id: "alert-1",
  event: "approval",
  rule: "stop-miners",
  mode: "enforce",
  detector: "cryptominer",
  detection: "miner.process",
  severity: "critical",
  container,
  evidence: "xmrig -o stratum+tcp://127.0.0.1:3333",
  actions: [{ type: "stop", status: "pending", detail: `approval ${APPROVAL_ID} pending` }],
  summary: "[critical] cryptominer in web (registry.example/web:1): xmrig",
  count: 1,
  time: day(0),
  host: HOST,
  approval: { id: APPROVAL_ID, state: "pending" },
};

/** A JSON call to the server with a bearer token, as the CLI or an agent makes it. */
export async function apiCall(base: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export type FleetTokens = Record<"operator" | "viewer" | "agent", string>;

/** Seed a running server (see the module comment); returns one token per role. */
export async function seedFleet(server: Server, base: string): Promise<FleetTokens> {
  const { store } = server.ctx;
  const tokens: FleetTokens = { operator: "", viewer: "", agent: "" };
  for (const role of ["operator", "viewer", "agent"] as const) {
    const host = role === "agent" ? { host: "*" } : {};
    tokens[role] = (await store.createToken({ name: `${role}-user`, role, ...host })).secret;
  }

  // two scans of the vulnerable image on different days (trend history), a clean one, a hostile reference
  await store.putScan(
    scan(CRITICAL_IMAGE, ["registry.example/web:1"], day(3), [vuln("CVE-2024-0001", "high")]),
  );
  await store.putScan(
    scan(CRITICAL_IMAGE, ["registry.example/web:1"], day(0), [
      vuln("CVE-2024-0001", "high"),
      vuln("CVE-2024-0002", "critical"),
      vuln("CVE-2024-0003", "medium"),
    ]),
  );
  await store.putScan(scan(CLEAN_IMAGE, ["alpine:3.20"], day(1), []));
  await store.putScan(scan(HOSTILE_IMAGE, [HOSTILE_REF], day(2), []));

  // the host, its containers, an alert and two pending approvals arrive the way an agent sends them
  const events: AgentEvent[] = [
    {
      seq: 1,
      at: day(0),
      type: "inventory",
      containers: [
        { ...container, state: "running", imageDigest: CRITICAL_IMAGE, privileged: true },
        { id: "beef", name: "cache", image: "alpine:3.20", state: "running", imageDigest: CLEAN_IMAGE },
        { id: "f00d", name: "batch", image: "unknown/batch:7", state: "running" },
      ],
    },
    { seq: 2, at: day(0), type: "approval-request", approval: approvalRequest(APPROVAL_ID) },
    { seq: 3, at: day(0), type: "approval-request", approval: approvalRequest(APPROVAL_DENY_ID) },
    { seq: 4, at: day(0), type: "alert", alert },
  ];
  const report = { host: HOST, agentVersion: "test", events };
  const posted = await apiCall(base, "POST", "/api/v1/agents/report", tokens.agent, report);
  if (posted.status !== 200) throw new Error(`agent report: ${posted.status} ${JSON.stringify(posted.body)}`);
  const bench = await apiCall(base, "POST", "/api/v1/bench", tokens.agent, {
    schemaVersion: 1,
    host: HOST,
    score: { score: 17, percent: 68 },
    summary: { critical: 0, high: 2, medium: 1, low: 0, unknown: 0 },
  });
  if (bench.status !== 201) throw new Error(`bench upload: ${bench.status} ${JSON.stringify(bench.body)}`);
  return tokens;
}
