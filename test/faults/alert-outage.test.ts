import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAlerts } from "../../src/cli/alerts.js";
import type { AlertMessage } from "../../src/model/index.js";
import {
  freePort,
  type HttpReceiver,
  startHttpReceiver,
} from "../../src/policy/channels/receivers.testutil.js";
import { parsePolicy } from "../../src/policy/policy-file.js";
import { runMonitor } from "../../src/runtime/run-monitor.js";
import { runCommands } from "../support/cli-in-process.js";
import {
  importBusyboxImage,
  type PodmanService,
  podmanBusyboxSkipReason,
  startPodman,
} from "../support/podman.js";

/**
 * The monitor's alert channels during an outage: a real monitor (runMonitor on a hermetic podman)
 * raises alerts for privileged containers to an email channel and a webhook whose receivers are both
 * down. Every alert lands in the dead-letter file (once per channel); when the SMTP server and the
 * webhook receiver come back on the same ports, `airbag alerts replay` delivers each of them exactly
 * once, empties the file, and a second replay sends nothing.
 */

const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[faults/alert-outage] skipped: ${skip}`);

interface Mail {
  delivery: string;
  raw: string;
}

/** smtp-server on 127.0.0.1:port, keeping each message's X-Airbag-Delivery header (the alert id). */
async function startSmtp(port: number): Promise<{ mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => {
        raw += c.toString("utf8");
      });
      stream.on("end", () => {
        mails.push({ delivery: /^X-Airbag-Delivery: *(.+?)\r?$/im.exec(raw)?.[1] ?? "", raw });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  expect((server.server.address() as AddressInfo).port).toBe(port);
  return { mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)("alert channels down under the monitor", () => {
  let podman: PodmanService;
  let tmp: string;

  beforeAll(async () => {
    podman = await startPodman();
    tmp = await mkdtemp(join(tmpdir(), "airbag-fault-alerts-"));
    await importBusyboxImage(podman, tmp, ["sleep"]);
  }, 60_000);

  afterAll(async () => {
    await podman?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("dead-letters every alert while SMTP and the webhook are down; replay delivers each once", async () => {
    const smtpPort = await freePort();
    const hookPort = await freePort();
    const deadLetter = join(tmp, "dead-letter.jsonl");
    const policyFile = join(tmp, "policy.yaml");
    await writeFile(
      policyFile,
      `mode: dry-run
deadLetter: ${JSON.stringify(deadLetter)}
channels:
  mail: { type: email, to: ["oncall@example.com"], from: "airbag@example.com", smtp: "smtp://127.0.0.1:${smtpPort}" }
  hook: { type: webhook, url: "http://127.0.0.1:${hookPort}/alerts", secret: "k" }
rules:
  - name: risky
    when: { detector: risky-container, name: "risky-*" }
    then: [{ alert: [mail, hook] }]
`,
    );
    const sent: { channel: string; id: string }[] = [];
    const warnings: string[] = [];
    const stop = new AbortController();
    const monitor = runMonitor({
      policy: parsePolicy(await readFile(policyFile, "utf8"), policyFile),
      engine: `unix://${podman.socket}`,
      signal: stop.signal,
      stateDir: join(tmp, "state"),
      db: join(tmp, "no-db.sqlite"),
      only: ["risky-container"],
      sampleIntervalMs: 500,
      channelOptions: { backoffMs: 10, maxBackoffMs: 20, retries: 1, timeoutMs: 2000 },
      onAlert: (channel: string, m: AlertMessage) => sent.push({ channel, id: m.id }),
      onWarning: (m) => warnings.push(m),
    });
    const engine = (method: string, path: string, body?: unknown) => {
      const args = ["-s", "-X", method, "--unix-socket", podman.socket, `http://d/v1.41${path}`];
      if (body) args.push("-H", "Content-Type: application/json", "-d", JSON.stringify(body));
      return execFileSync("curl", args, { encoding: "utf8" });
    };
    const letters = async () =>
      (await readFile(deadLetter, "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { channel: string; alert: AlertMessage; error: string });
    try {
      await until(
        "monitor start",
        async () =>
          (await readFile(join(tmp, "state", "audit.jsonl"), "utf8").catch(() => "")).includes('"start"'),
        30_000,
      );
      for (const n of [1, 2]) {
        engine("POST", `/containers/create?name=risky-${n}`, {
          Image: "localhost/bb:1",
          Cmd: ["sleep", "600"],
          HostConfig: { Privileged: true },
        });
        engine("POST", `/containers/risky-${n}/start`);
      }
      const names = () => new Set(sent.map((s) => s.id));
      await until("alerts for both containers", () => names().size >= 2, 20_000);
      // (the monitor's warnings say where each one went when this times out)
      await until(
        "every alert dead-lettered",
        async () => (await letters()).length === sent.length,
        10_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${sent.length} sent; warnings: ${warnings.join(" | ")}`);
      });
    } finally {
      stop.abort();
      await monitor.catch(() => {});
    }
    const kept = await letters();
    // each (channel, alert) the monitor tried is in the file exactly once, with the reason it failed
    const key = (c: string, id: string) => `${c} ${id}`;
    expect(kept.map((k) => key(k.channel, k.alert.id)).sort()).toEqual(
      sent.map((s) => key(s.channel, s.id)).sort(),
    );
    expect(new Set(kept.map((k) => key(k.channel, k.alert.id))).size).toBe(kept.length);
    expect(kept.find((k) => k.channel === "mail")?.error).toMatch(/ECONNREFUSED/);
    expect(kept.find((k) => k.channel === "hook")?.error).toMatch(/ECONNREFUSED/);
    expect(warnings.some((w) => w.includes(`kept in ${deadLetter}`))).toBe(true);
    const mailIds = sent
      .filter((s) => s.channel === "mail")
      .map((s) => s.id)
      .sort();
    const hookIds = sent
      .filter((s) => s.channel === "hook")
      .map((s) => s.id)
      .sort();
    expect(mailIds.length).toBeGreaterThanOrEqual(2);

    // both receivers back on the same ports
    const smtp = await startSmtp(smtpPort);
    let hook: HttpReceiver | undefined;
    try {
      hook = await startHttpReceiver(() => ({ status: 200 }), hookPort);
      const replay = await runCommands(registerAlerts, [
        "alerts",
        "replay",
        "--policy",
        policyFile,
        "--format",
        "json",
      ]);
      expect(replay.code, replay.stderr).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({
        total: kept.length,
        delivered: kept.length,
        kept: 0,
      });
      expect(smtp.mails.map((m) => m.delivery).sort()).toEqual(mailIds);
      expect(hook.requests.map((r) => (JSON.parse(r.raw.toString()) as AlertMessage).id).sort()).toEqual(
        hookIds,
      );
      expect(await readFile(deadLetter, "utf8")).toBe("");

      const again = await runCommands(registerAlerts, [
        "alerts",
        "replay",
        "--policy",
        policyFile,
        "--format",
        "json",
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ total: 0, delivered: 0 });
      expect(smtp.mails).toHaveLength(mailIds.length); // nothing delivered twice
      expect(hook.requests).toHaveLength(hookIds.length);
    } finally {
      await hook?.close();
      await smtp.close();
    }
  }, 40_000);
});
