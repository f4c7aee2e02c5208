import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertMessage } from "../../src/model/index.js";
import { ApprovalStore } from "../../src/policy/approvals.js";
import { verifyAuditLog } from "../../src/policy/audit.js";
import { type HttpReceiver, startHttpReceiver } from "../../src/policy/channels/receivers.testutil.js";
import { parsePolicy } from "../../src/policy/policy-file.js";
import { runMonitor } from "../../src/runtime/run-monitor.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";

/**
 * `airbag monitor` end to end with real parts: a hermetic podman running a simulated miner (a busy loop
 * named xmrig with a stratum URL to 127.0.0.1 — nothing leaves the container), a real SMTP server and a
 * real HTTP webhook receiver on 127.0.0.1. Enforce isolates the miner (inspect: no networks, still
 * running); dry-run leaves its twin alone; a privileged container's stop waits for approval; the audit
 * chain verifies.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[e2e/monitor] skipped: ${skip}`);

const SECRET = "s3cret-hmac-key";
const MINER_CMD = [
  "sh",
  "-c",
  'mkdir -p /tmp; printf "#!/bin/sh\\nwhile :; do :; done\\n" > /tmp/xmrig; chmod +x /tmp/xmrig; exec /tmp/xmrig -o stratum+tcp://127.0.0.1:3333',
];

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!!skip)(
  "monitor: miners isolated, dry-run untouched, approvals, alerts by mail and webhook",
  () => {
    let podman: PodmanService;
    let tmp: string;
    let hook: HttpReceiver;
    let smtp: SMTPServer;
    const mails: string[] = [];
    const stop = new AbortController();
    let monitor: Promise<void>;
    const warnings: string[] = [];
    const alerts = () => hook.requests.map((r) => JSON.parse(r.raw.toString()) as AlertMessage);
    const api = (method: string, path: string, body?: unknown): string => {
      const args = ["-s", "-X", method, "--unix-socket", podman.socket, `http://d/v1.41${path}`];
      if (body) args.push("-H", "Content-Type: application/json", "-d", JSON.stringify(body));
      return execFileSync("curl", args, { encoding: "utf8" });
    };
    const inspect = (name: string) =>
      JSON.parse(api("GET", `/containers/${name}/json`)) as {
        State: { Running: boolean; Status: string };
        NetworkSettings: { Networks?: Record<string, unknown> };
      };
    const startContainer = (name: string, cmd: string[], hostConfig: Record<string, unknown> = {}) => {
      api("POST", `/containers/create?name=${name}`, {
        Image: "localhost/bb:1",
        Cmd: cmd,
        HostConfig: hostConfig,
      });
      api("POST", `/containers/${name}/start`);
      return Date.now();
    };

    beforeAll(async () => {
      podman = await startPodman();
      tmp = await mkdtemp(join(tmpdir(), "airbag-monitor-e2e-"));
      await importBusyboxImage(podman, tmp, ["sh", "sleep", "mkdir", "chmod", "printf"]);
      hook = await startHttpReceiver();
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS"],
        onData(stream, _session, cb) {
          let text = "";
          stream.on("data", (c: Buffer) => {
            text += c.toString();
          });
          stream.on("end", () => {
            mails.push(text);
            cb();
          });
        },
      });
      await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
      const smtpPort = (smtp.server.address() as AddressInfo).port;
      const policy = parsePolicy(
        `mode: enforce
channels:
  hook: { type: webhook, url: "${hook.url}/airbag", secret: "${SECRET}" }
  mail: { type: email, to: ["oncall@example.com"], smtp: "smtp://127.0.0.1:${smtpPort}" }
rules:
  - name: isolate-miners
    when: { detector: cryptominer, name: "miner-*" }
    then: [isolate, { alert: [hook, mail] }]
  - name: watch-miners
    when: { detector: cryptominer, name: "dry-*" }
    mode: dry-run
    then: [isolate, { alert: [hook] }]
  - name: stop-privileged
    when: { detector: risky-container, id: "CIS-5.5" }
    then: [stop, { alert: [hook] }]
    approval: required
    timeout: 5m
`,
        "e2e-policy.yaml",
      );
      monitor = runMonitor({
        policy,
        engine: `unix://${podman.socket}`,
        signal: stop.signal,
        stateDir: join(tmp, "state"),
        db: join(tmp, "no-db.sqlite"),
        only: ["cryptominer", "risky-container"],
        sampleIntervalMs: 500,
        // quiet containers are never re-read on a timer here: only a CPU change can make them looked at
        fullReadEvery: 100_000,
        approvalPollMs: 200,
        channelOptions: { retries: 1, backoffMs: 50 },
        onWarning: (m) => warnings.push(m),
      });
      await new Promise((r) => setTimeout(r, 1500)); // monitor connected and listening for events
    }, 240_000);

    afterAll(async () => {
      stop.abort();
      await monitor?.catch(() => {});
      await podman?.stop();
      await hook?.close();
      await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it("isolates a miner in enforce mode: signed webhook, e-mail, no networks, still running", async () => {
      const started = startContainer("miner-1", MINER_CMD);
      const alert = await waitFor("isolate alert", () =>
        alerts().find((a) => a.rule === "isolate-miners" && a.container.name === "miner-1"),
      );
      const isolatedAfterMs = Date.now() - started;
      console.log(`[e2e/monitor] miner start → detection → isolation → alert: ${isolatedAfterMs} ms`);
      expect(alert).toMatchObject({ event: "detection", mode: "enforce", detector: "cryptominer" });
      expect(alert.actions.find((a) => a.type === "isolate")?.status).toBe("done");
      const req = hook.requests.find((r) => JSON.parse(r.raw.toString()).id === alert.id);
      const expected = `sha256=${createHmac("sha256", SECRET)
        .update(req?.raw ?? Buffer.alloc(0))
        .digest("hex")}`;
      expect(req?.headers["x-airbag-signature"]).toBe(expected);
      const state = inspect("miner-1");
      expect(state.State.Running).toBe(true);
      expect(Object.keys(state.NetworkSettings.Networks ?? {})).toEqual([]);
      const mail = await waitFor("e-mail", () => mails.find((m) => m.includes("miner-1")));
      expect(mail).toMatch(/To: oncall@example\.com/i);
      expect(mail).toMatch(/cryptominer/);
    });

    it("leaves the miner alone in dry-run and says so", async () => {
      startContainer("dry-1", MINER_CMD);
      const alert = await waitFor("dry-run alert", () =>
        alerts().find((a) => a.rule === "watch-miners" && a.container.name === "dry-1"),
      );
      expect(alert.mode).toBe("dry-run");
      expect(alert.actions).toEqual([{ type: "isolate", status: "dry-run" }]);
      expect(Object.keys(inspect("dry-1").NetworkSettings.Networks ?? {}).length).toBeGreaterThan(0);
    });

    it("an approval-required stop waits, then runs once a human approves", async () => {
      startContainer("priv-1", ["sleep", "600"], { Privileged: true });
      const pending = await waitFor("approval alert", () =>
        alerts().find((a) => a.rule === "stop-privileged" && a.container.name === "priv-1" && a.approval),
      );
      expect(pending.approval?.state).toBe("pending");
      expect(pending.actions).toEqual([
        { type: "stop", status: "pending", detail: `approval ${pending.approval?.id}` },
      ]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(inspect("priv-1").State.Running).toBe(true); // nothing happens without a human
      await new ApprovalStore(join(tmp, "state")).decide(pending.approval?.id ?? "", "approve", "alice");
      const done = await waitFor("action alert", () =>
        alerts().find((a) => a.rule === "stop-privileged" && a.event === "action"),
      );
      expect(done.actions[0]).toMatchObject({ type: "stop", status: "done" });
      expect(inspect("priv-1").State.Running).toBe(false);
    });

    it("catches a miner exec'd into a container that sat idle for many rounds (quiet reuse is safe)", async () => {
      startContainer("miner-late", ["sleep", "600"]);
      // long enough for the monitor to have read it once and then found it quiet for several rounds
      await new Promise((r) => setTimeout(r, 4000));
      expect(alerts().find((a) => a.container.name === "miner-late")).toBeUndefined();
      const t0 = Date.now();
      await podman.podman(["exec", "-d", "miner-late", ...MINER_CMD]);
      const alert = await waitFor(
        "isolation of the exec'd miner",
        () => alerts().find((a) => a.rule === "isolate-miners" && a.container.name === "miner-late"),
        20_000,
      );
      console.log(`[e2e/monitor] exec'd miner in a quiet container → isolated: ${Date.now() - t0} ms`);
      expect(alert.actions.find((a) => a.type === "isolate")?.status).toBe("done");
    });

    it("wrote a hash chain that verifies", async () => {
      const r = await verifyAuditLog(join(tmp, "state", "audit.jsonl"));
      expect(r.ok, JSON.stringify(r.firstBad)).toBe(true);
      expect(r.entries).toBeGreaterThan(5);
      expect(warnings.filter((w) => /dead|channel/.test(w))).toEqual([]);
    });
  },
);
