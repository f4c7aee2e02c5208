import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentEvent, AgentReport, ApprovalDecisionWire } from "../model/fleet.js";
import type { AlertMessage, Detection } from "../model/index.js";
import { ApprovalStore } from "../policy/approvals.js";
import { AgentLink, fleetContainer } from "./agent-link.js";
import type { ContainerState } from "./types.js";

/**
 * The monitor's side of `--server` against a real loopback HTTP server: alerts once per id, inventory
 * snapshots coalesced, server decisions applied to the real file-backed approval store (which the
 * waiting responder polls), and the outcome reported back.
 */

const detection: Detection = {
  detector: "risky-container",
  id: "CIS-5.5",
  kind: "runtime",
  severity: "high",
  title: "privileged",
  container: { id: "c1", name: "priv-1", image: "bb:1" },
  evidence: "Privileged: true",
  at: new Date(0).toISOString(),
};

const state = (name: string, privileged: boolean): ContainerState => ({
  ref: { id: `id-${name}`, name, image: "bb:1", imageId: `sha256:${"b".repeat(64)}`, labels: { team: "a" } },
  inspect: { State: { Status: "running", Running: true }, HostConfig: { Privileged: privileged } },
});

describe("AgentLink", () => {
  let dir: string;
  let srv: Server;
  let url: string;
  const events: AgentEvent[] = [];
  const decisions: ApprovalDecisionWire[] = [];
  const stop = new AbortController();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "airbag-agent-link-"));
    events.length = 0;
    srv = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        events.push(...(JSON.parse(body) as AgentReport).events);
        const ackSeq = Math.max(0, ...events.map((e) => e.seq));
        res.end(JSON.stringify({ ackSeq, decisions: decisions.splice(0) }));
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    stop.abort();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const until = async (what: string, fn: () => boolean) => {
    const end = Date.now() + 10_000;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("forwards each alert once, coalesces inventory bursts, and applies the server's decisions", async () => {
    const approvals = new ApprovalStore(dir);
    const warnings: string[] = [];
    const link = await AgentLink.open({
      server: url,
      token: "t0k",
      spoolFile: join(dir, "agent-spool.jsonl"),
      host: "h1",
      approvals,
      signal: stop.signal,
      warn: (m) => warnings.push(m),
      idlePollMs: 50,
    });
    const running = [state("web", false), state("priv-1", true)];
    link.start(() => running);
    for (let i = 0; i < 5; i++) link.inventoryChanged(); // one burst → one snapshot
    const alert = { id: "alert-1", event: "detection" } as AlertMessage;
    link.alert(alert);
    link.alert(alert); // the same alert to a second channel
    link.detection(detection);

    const id = await approvals.request({
      rule: "stop-privileged",
      detection,
      actions: [{ type: "stop" }],
      timeoutMs: 60_000,
      onTimeout: "deny",
    });
    await link.approvalRequested(id);
    const waiting = approvals.waitFor(id, { pollMs: 20 });
    await until("the request on the server", () => events.some((e) => e.type === "approval-request"));
    decisions.push(
      { id, verdict: "approve", by: "alice", at: new Date().toISOString() },
      { id: "feedbeef0000", verdict: "deny", by: "bob", at: new Date().toISOString() },
    );
    expect(await waiting).toBe("approved");
    await link.approvalSettled(id);
    await until("the outcome on the server", () => events.some((e) => e.type === "approval-settled"));
    await link.close();

    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "alert")).toHaveLength(1);
    const inventories = events.filter((e) => e.type === "inventory");
    expect(inventories).toHaveLength(1);
    expect(inventories[0]).toMatchObject({
      containers: [
        { name: "web", privileged: false, state: "running", imageDigest: `sha256:${"b".repeat(64)}` },
        { name: "priv-1", privileged: true, labels: { team: "a" } },
      ],
    });
    expect(events.find((e) => e.type === "approval-request")).toMatchObject({
      approval: { id, rule: "stop-privileged", actions: [{ type: "stop" }], onTimeout: "deny" },
    });
    expect(events.find((e) => e.type === "approval-settled")).toMatchObject({
      id,
      state: "approved",
      by: "alice",
    });
    expect((await approvals.get(id)).decision?.by).toBe("alice");
    expect(warnings.join("\n")).toMatch(/server decision on approval feedbeef0000: .*no such approval/);
  });

  it("maps a container without privileged or image id facts", () => {
    const c: ContainerState = {
      ref: { id: "x", name: "x", image: "i" },
      inspect: { State: { Running: true } },
    };
    expect(fleetContainer(c)).toEqual({ id: "x", name: "x", image: "i", state: "running" });
  });
});
