import { afterEach, describe, expect, it } from "vitest";
import { createChannel } from "./index.js";
import { type HttpReceiver, sampleAlert, startHttpReceiver } from "./receivers.testutil.js";
import { renderTemplate, truncate } from "./sms.js";

const fast = { backoffMs: 10, timeoutMs: 2000 };
let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("sms channel", () => {
  it("form-encodes the filled-in template for a POST gateway", async () => {
    receiver = await startHttpReceiver();
    const sms = createChannel(
      "pager",
      {
        type: "sms",
        url: receiver.url,
        body: "to=+3610000000&text={{summary}}&sev={{severity}}&c={{container}}&r={{rule}}",
      },
      fast,
    );
    const alert = sampleAlert({
      summary: "[critical] miner & co in web=1 (100%)",
      container: { id: "x", name: "web&db", image: "i" },
    });
    await sms.send(alert);
    const req = receiver.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(req.raw.toString("utf8"));
    expect(form.get("to")).toBe("+3610000000");
    expect(form.get("text")).toBe(alert.summary);
    expect(form.get("sev")).toBe("critical");
    expect(form.get("c")).toBe("web&db");
    expect(form.get("r")).toBe("isolate-miners");
  });

  it("GET puts the template in the query string", async () => {
    receiver = await startHttpReceiver();
    await createChannel(
      "pager",
      { type: "sms", url: `${receiver.url}?key=k1`, method: "GET", body: "text={{summary}}" },
      fast,
    ).send(sampleAlert({ summary: "a b&c?d" }));
    const req = receiver.requests[0]!;
    expect(req.method).toBe("GET");
    const q = new URL(req.url, "http://x").searchParams;
    expect(q.get("key")).toBe("k1");
    expect(q.get("text")).toBe("a b&c?d");
    expect(req.raw.length).toBe(0);
  });

  it("JSON templates get JSON-escaped values", async () => {
    receiver = await startHttpReceiver();
    await createChannel(
      "pager",
      { type: "sms", url: receiver.url, body: '{"to":"+36","msg":"{{summary}}"}' },
      fast,
    ).send(sampleAlert({ summary: 'say "hi"\\ now' }));
    const req = receiver.requests[0]!;
    expect(req.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req.raw.toString("utf8"))).toEqual({ to: "+36", msg: 'say "hi"\\ now' });
  });

  it("cuts {{summary}} to 160 characters with an ellipsis", () => {
    const long = `[critical] ${"x".repeat(300)}`;
    const out = renderTemplate("{{summary}}", sampleAlert({ summary: long }), "text");
    expect(Array.from(out)).toHaveLength(160);
    expect(out.endsWith("…")).toBe(true);
    expect(truncate("😀".repeat(200), 160)).toBe(`${"😀".repeat(159)}…`);
    expect(renderTemplate("{{summary}}", sampleAlert({ summary: "short" }), "text")).toBe("short");
  });

  it("refuses an unknown placeholder when the channel is created", () => {
    expect(() =>
      createChannel("pager", { type: "sms", url: "http://127.0.0.1:1/", body: "t={{sumary}}" }),
    ).toThrow(/^channels\.pager\.body: unknown placeholder \{\{sumary\}\}/);
  });
});
