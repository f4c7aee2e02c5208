import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { createChannel } from "./index.js";
import { freePort, type HttpReceiver, sampleAlert, startHttpReceiver } from "./receivers.testutil.js";

const fast = { backoffMs: 20, maxBackoffMs: 100, timeoutMs: 2000 };
let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("webhook channel", () => {
  it("POSTs the alert as JSON with an HMAC-SHA256 signature over the exact body", async () => {
    receiver = await startHttpReceiver();
    const hook = createChannel(
      "ops-hook",
      { type: "webhook", url: receiver.url, secret: "change-me", headers: { "X-Team": "sec" } },
      fast,
    );
    const alert = sampleAlert({ evidence: "naïve ünïcode ✓ evidence" });
    await hook.send(alert);

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.headers["content-type"]).toBe("application/json");
    const expected = `sha256=${createHmac("sha256", "change-me").update(req.raw).digest("hex")}`;
    expect(req.headers["x-airbag-signature"]).toBe(expected);
    expect(req.headers["x-airbag-event"]).toBe("detection");
    expect(req.headers["x-airbag-delivery"]).toBe(alert.id);
    expect(req.headers["x-team"]).toBe("sec");
    expect(JSON.parse(req.raw.toString("utf8"))).toEqual(alert);
  });

  it("sends no signature header without a secret", async () => {
    receiver = await startHttpReceiver();
    await createChannel("h", { type: "webhook", url: receiver.url }, fast).send(sampleAlert());
    expect(receiver.requests[0]!.headers["x-airbag-signature"]).toBeUndefined();
  });

  it("retries 503 twice, then succeeds on the third attempt", async () => {
    receiver = await startHttpReceiver((n) => ({ status: n <= 2 ? 503 : 200 }));
    await createChannel("h", { type: "webhook", url: receiver.url, retries: 3 }, fast).send(sampleAlert());
    expect(receiver.requests).toHaveLength(3);
    // every attempt carries the same delivery id, so the receiver can de-duplicate
    expect(new Set(receiver.requests.map((r) => r.headers["x-airbag-delivery"])).size).toBe(1);
  });

  it("waits for Retry-After on 429 before the next attempt", async () => {
    receiver = await startHttpReceiver((n) =>
      n === 1 ? { status: 429, headers: { "Retry-After": "1" } } : { status: 200 },
    );
    await createChannel("h", { type: "webhook", url: receiver.url }, fast).send(sampleAlert());
    expect(receiver.requests).toHaveLength(2);
    const gap = receiver.times[1]! - receiver.times[0]!;
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it("gives up at once when Retry-After is beyond what it may wait", async () => {
    receiver = await startHttpReceiver(() => ({ status: 503, headers: { "Retry-After": "3600" } }));
    const err = await createChannel(
      "h",
      { type: "webhook", url: receiver.url },
      { ...fast, maxRetryAfterMs: 5000 },
    )
      .send(sampleAlert())
      .catch((e: unknown) => e);
    expect(receiver.requests).toHaveLength(1);
    expect((err as Error).message).toMatch(/retry after 3600s/);
  });

  it("does not retry a 400 and says why in one line naming the channel", async () => {
    receiver = await startHttpReceiver(() => ({ status: 400 }));
    const err = await createChannel("ops-hook", { type: "webhook", url: receiver.url, retries: 5 }, fast)
      .send(sampleAlert())
      .catch((e: unknown) => e);
    expect(receiver.requests).toHaveLength(1);
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("NETWORK");
    expect((err as Error).message).toMatch(
      /^channel ops-hook: POST http:\/\/127\.0\.0\.1:\d+\/… answered 400: nope \(1 attempt\)$/,
    );
  });

  it("fails after its retries when the receiver is down", async () => {
    const port = await freePort();
    const err = await createChannel(
      "h",
      { type: "webhook", url: `http://127.0.0.1:${port}/x`, retries: 2 },
      fast,
    )
      .send(sampleAlert())
      .catch((e: unknown) => e);
    expect((err as AirbagError).code).toBe("NETWORK");
    expect((err as Error).message).toMatch(/ECONNREFUSED \(3 attempts\)/);
  });

  it("times out an attempt that never answers (policy timeout)", async () => {
    receiver = await startHttpReceiver((n) => (n === 1 ? { status: 0, hang: true } : { status: 200 }));
    const started = performance.now();
    await createChannel("h", { type: "webhook", url: receiver.url, timeout: "300ms" }, fast).send(
      sampleAlert(),
    );
    expect(receiver.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
