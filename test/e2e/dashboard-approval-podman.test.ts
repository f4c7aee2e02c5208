import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Detection } from "../../src/model/index.js";
import {
  type AgentServerRig,
  agentServerSkipReason,
  startAgentServerRig,
  waitFor,
} from "../integration/agent-server-helpers.js";
import {
  approvalCard,
  chromiumAvailable,
  decideInBrowser,
  launchBrowser,
  login,
  openDashboard,
} from "./dashboard-helpers.js";

/**
 * Issue 9's whole loop with real parts: a privileged container starts in a hermetic podman, the agent
 * (`airbag monitor --server`) holds the stop for a human and reports the approval to `airbag serve`; an
 * operator logs into the dashboard in headless Chromium and clicks Approve; the decision travels back
 * to the agent with its next report, and the agent stops the real container.
 */

const skip = agentServerSkipReason() ?? (chromiumAvailable() ? undefined : "no /usr/bin/chromium");
if (skip) console.warn(`[e2e/dashboard-approval] skipped: ${skip}`);

describe.skipIf(!!skip)("approve in the browser → the agent stops the real container", () => {
  let rig: AgentServerRig;
  let browser: Browser;

  beforeAll(async () => {
    rig = await startAgentServerRig({
      hostName: "e2e-host",
      policy: `mode: enforce
channels: {}
rules:
  - name: stop-privileged
    when: { detector: risky-container, id: "CIS-5.5", name: "priv-*" }
    then: [stop]
    approval: required
    timeout: 5m
`,
    });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
  });

  it("an operator's click on Approve stops the container; nothing happens before it", async () => {
    rig.startContainer("priv-web", ["sleep", "600"], { Privileged: true });
    const approval = await waitFor("the agent's approval request on the server", async () => {
      const r = await rig.api("GET", "/api/v1/approvals?state=pending&host=e2e-host", "viewer");
      return (r.json.items as { id: string; detection: Detection }[]).find(
        (a) => a.detection.container.name === "priv-web",
      );
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.inspect("priv-web").State.Running).toBe(true);

    const { page, problems } = await openDashboard(browser, rig.base);
    expect((await login(page, rig.tokens.operator)).role).toBe("operator");
    const card = await approvalCard(page, approval.id);
    expect(await card.textContent()).toContain("priv-web");
    const t0 = Date.now();
    const answer = await decideInBrowser(page, approval.id, "approve", "privileged web container, not ours");
    expect(answer.status).toBe(200);
    await waitFor("priv-web stopped by the agent", () => !rig.inspect("priv-web").State.Running, 60_000);
    console.log(`[e2e/dashboard-approval] click → container stopped: ${Date.now() - t0} ms`);

    // the agent reported the outcome; the dashboard's approved list shows who decided
    const settled = await waitFor("approval settled", async () => {
      const r = await rig.api("GET", `/api/v1/approvals/${approval.id}`, "viewer");
      return r.json.state === "approved" ? r.json : undefined;
    });
    expect(settled.decision).toMatchObject({
      by: "it-operator",
      reason: "privileged web container, not ours",
    });
    const stop = await waitFor("the agent's audit entry for the stop", async () =>
      (await rig.audit("action"))
        .map((e) => e.data as { type: string; status: string })
        .find((a) => a.type === "stop"),
    );
    expect(stop.status).toBe("done");
    expect(problems).toEqual([]);
  }, 180_000);
});
