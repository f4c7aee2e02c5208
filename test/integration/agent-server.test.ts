import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent, AlertMessage, Detection } from "../../src/model/index.js";
import { type HttpReceiver, startHttpReceiver } from "../../src/policy/channels/receivers.testutil.js";
import {
  type AgentServerRig,
  agentServerSkipReason,
  startAgentServerRig,
  waitFor,
} from "./agent-server-helpers.js";

/**
 * `airbag monitor --server` against a real `airbag serve` on 127.0.0.1, with a hermetic podman: the
 * server goes down while privileged containers start, comes back, and every detection the monitor
 * audited is on the server exactly once (alerts too, once per alert id although each goes to two
 * channels); an approval decided through the server's API with an operator token makes the agent stop
 * the real container.
 */

const skip = agentServerSkipReason();
if (skip) console.warn(`[integration/agent-server] skipped: ${skip}`);

const key = (d: Detection) => `${d.container.id}/${d.detector}/${d.id}/${d.at}`;

describe.skipIf(!!skip)("agent ↔ server: nothing lost, nothing twice, approvals carried out", () => {
  let rig: AgentServerRig;
  let hook: HttpReceiver;
  const hookAlerts = () => hook.requests.map((r) => JSON.parse(r.raw.toString()) as AlertMessage);

  beforeAll(async () => {
    hook = await startHttpReceiver();
    rig = await startAgentServerRig({
      policy: `mode: enforce
channels:
  hook-a: { type: webhook, url: "${hook.url}/a" }
  hook-b: { type: webhook, url: "${hook.url}/b" }
rules:
  - name: stop-privileged
    when: { detector: risky-container, id: "CIS-5.5", name: "priv-*" }
    then: [stop, { alert: [hook-a, hook-b] }]
    approval: required
    timeout: 5m
  - name: note-risky
    when: { detector: risky-container, name: "risky-*" }
    mode: dry-run
    then: [stop, { alert: [hook-a, hook-b] }]
`,
    });
  }, 300_000);

  afterAll(async () => {
    await rig?.close();
    await hook?.close();
  });

  const serverDetections = async () => {
    const r = await rig.api("GET", `/api/v1/detections?host=${rig.hostName}&limit=500`, "viewer");
    expect(r.status).toBe(200);
    return r.json.items as { seq: number; detection: Detection }[];
  };
  const localDetections = async () => (await rig.audit("detection")).map((e) => e.data as Detection);

  it("delivers every detection exactly once across a server outage", async () => {
    rig.startContainer("risky-1", ["sleep", "600"], { Privileged: true });
    await waitFor("risky-1 on the server", async () =>
      (await serverDetections()).some((d) => d.detection.container.name === "risky-1"),
    );

    await rig.stopServer();
    const t0 = Date.now();
    for (const n of [2, 3, 4]) rig.startContainer(`risky-${n}`, ["sleep", "600"], { Privileged: true });
    await waitFor("detections audited while the server is down", async () => {
      const names = new Set((await localDetections()).map((d) => d.container.name));
      return names.has("risky-2") && names.has("risky-3") && names.has("risky-4");
    });
    // the agent noticed, and the events wait in its spool
    await waitFor("the outage warned about", () =>
      rig.warnings.some((w) => /ECONNREFUSED/.test(w) && /kept in/.test(w)),
    );
    const spool = (await readFile(join(rig.stateDir, "agent-spool.jsonl"), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AgentEvent);
    expect(spool.some((e) => e.type === "detection" && e.detection.container.name === "risky-3")).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // a few retries against the closed port

    await rig.startServer();
    const local = await localDetections();
    const onServer = await waitFor("every audited detection on the server", async () => {
      const s = await serverDetections();
      return s.length >= local.length ? s : undefined;
    });
    console.log(
      `[integration/agent-server] ${local.length} detections, outage ${Date.now() - t0} ms, all delivered after restart`,
    );
    const serverKeys = onServer.map((d) => key(d.detection));
    expect(new Set(serverKeys).size).toBe(serverKeys.length); // nothing twice
    expect([...serverKeys].sort()).toEqual(local.map(key).sort()); // nothing lost, nothing invented
    expect(onServer.map((d) => d.seq)).toEqual([...new Set(onServer.map((d) => d.seq))]);
    // the agent's side of the same answer: it says it is connected again
    await waitFor("the agent back in touch", () => rig.warnings.some((w) => /reachable again/.test(w)));

    // alerts: each went to two channels, the server holds each alert id once
    const ids = await waitFor("each alert on both channels", () => {
      const counts = new Map<string, number>();
      for (const a of hookAlerts()) counts.set(a.id, (counts.get(a.id) ?? 0) + 1);
      return counts.size > 0 && [...counts.values()].every((n) => n === 2) ? [...counts.keys()] : undefined;
    });
    const alerts = await waitFor("alerts on the server", async () => {
      const r = await rig.api("GET", `/api/v1/alerts?host=${rig.hostName}&limit=500`, "viewer");
      const items = r.json.items as { alert: AlertMessage }[];
      return items.length >= ids.length ? items : undefined;
    });
    expect(alerts.map((a) => a.alert.id).sort()).toEqual([...ids].sort());

    // the host's inventory lists the running containers, privileged flag and all
    const risky4 = await waitFor("risky-4 in the host's inventory", async () => {
      const host = await rig.api("GET", `/api/v1/hosts/${rig.hostName}`, "viewer");
      return (host.json.containers as { name: string; privileged?: boolean }[]).find(
        (c) => c.name === "risky-4",
      );
    });
    expect(risky4?.privileged).toBe(true);
  });

  it("an approval decided on the server makes the agent stop the real container", async () => {
    rig.startContainer("priv-1", ["sleep", "600"], { Privileged: true });
    const approval = await waitFor("pending approval on the server", async () => {
      const r = await rig.api("GET", `/api/v1/approvals?state=pending&host=${rig.hostName}`, "viewer");
      return (r.json.items as { id: string; detection: Detection }[]).find(
        (a) => a.detection.container.name === "priv-1",
      );
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(rig.inspect("priv-1").State.Running).toBe(true); // nothing happens without a human

    // a viewer may not decide
    expect((await rig.api("POST", `/api/v1/approvals/${approval.id}/approve`, "viewer", {})).status).toBe(
      403,
    );
    const t0 = Date.now();
    const ok = await rig.api("POST", `/api/v1/approvals/${approval.id}/approve`, "operator", {
      reason: "miner",
    });
    expect(ok.status).toBe(200);
    await waitFor("priv-1 stopped", () => !rig.inspect("priv-1").State.Running);
    console.log(
      `[integration/agent-server] approve on the server → container stopped: ${Date.now() - t0} ms`,
    );

    const done = await waitFor("the stop alert", () =>
      hookAlerts().find((a) => a.rule === "stop-privileged" && a.event === "action"),
    );
    expect(done.actions[0]).toMatchObject({ type: "stop", status: "done" });
    expect(done.approval?.state).toBe("approved");
    // the agent reported the outcome: the server's record is settled, by the operator
    const settled = await waitFor("approval settled on the server", async () => {
      const r = await rig.api("GET", `/api/v1/approvals/${approval.id}`, "viewer");
      return r.json.state === "approved" ? r.json : undefined;
    });
    expect(settled.decision?.by).toBe("it-operator");
    const local = (await rig.audit("approval")).map((e) => e.data as { id: string; result: string });
    expect(local).toContainEqual(expect.objectContaining({ id: approval.id, result: "approved" }));
  });
});
