import { afterEach, describe, expect, it } from "vitest";
import { createChannel } from "./index.js";
import { type HttpReceiver, sampleAlert, startHttpReceiver } from "./receivers.testutil.js";

const fast = { backoffMs: 10, timeoutMs: 2000 };
// a container name and evidence an attacker controls: link, mention, markup
const hostile = sampleAlert({
  container: { id: "abc", name: "<!channel> *web*", image: "evil:1" },
  evidence: "curl <http://evil.example|click> @all `rm -rf` [x](http://e) & more",
  summary: "[critical] cryptominer in <!channel> *web*",
});

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function deliver(type: "slack" | "teams" | "mattermost") {
  receiver = await startHttpReceiver();
  await createChannel(`${type}-room`, { type, url: receiver.url }, fast).send(hostile);
  expect(receiver.requests).toHaveLength(1);
  expect(receiver.requests[0]!.headers["content-type"]).toBe("application/json");
  return JSON.parse(receiver.requests[0]!.raw.toString("utf8"));
}

describe("chat channels", () => {
  it("slack: {text, blocks} with <, >, & escaped so no link or mention survives", async () => {
    const body = await deliver("slack");
    expect(Object.keys(body).sort()).toEqual(["blocks", "text"]);
    expect(body.text).toBe("[critical] cryptominer in &lt;!channel&gt; *web*");
    expect(body.blocks[0].type).toBe("section");
    expect(body.blocks[1].fields.length).toBeLessThanOrEqual(10);
    const all = JSON.stringify(body.blocks);
    expect(all).not.toMatch(/<!channel>|<http/);
    const evidence = body.blocks[1].fields.find((f: { text: string }) => f.text.startsWith("*Evidence*"));
    expect(evidence.text).toBe(
      "*Evidence*\n`curl &lt;http://evil.example|click&gt; @all ˋrm -rfˋ [x](http://e) &amp; more`",
    );
  });

  it("mattermost: {text, attachments} with markdown and @mentions neutralised", async () => {
    const body = await deliver("mattermost");
    expect(body.text).toMatch(/^#### \\\[critical\\\] cryptominer in \\<\\!channel\\> \\\*web\\\*$/);
    const att = body.attachments[0];
    expect(att.color).toBe("#8b0000");
    expect(att.fallback).toBe(hostile.summary);
    const evidence = att.fields.find((f: { title: string }) => f.title === "Evidence");
    expect(evidence.short).toBe(false);
    expect(evidence.value).toContain("@\u200dall");
    expect(evidence.value).toContain("\\`rm \\-rf\\`");
    expect(evidence.value).toContain("\\[x\\]\\(http://e\\)");
  });

  it("teams: an Adaptive Card whose alert values are TextRuns (never parsed as markdown)", async () => {
    const body = await deliver("teams");
    expect(body.type).toBe("message");
    const att = body.attachments[0];
    expect(att.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(att.content.type).toBe("AdaptiveCard");
    expect(att.content.version).toBe("1.4");
    const blocks = att.content.body as { type: string; inlines: { type: string; text: string }[] }[];
    expect(
      blocks.every((b) => b.type === "RichTextBlock" && b.inlines.every((i) => i.type === "TextRun")),
    ).toBe(true);
    expect(blocks[0]!.inlines[0]!.text).toBe(hostile.summary);
    const evidence = blocks.find((b) => b.inlines[0]!.text === "Evidence: ");
    expect(evidence!.inlines[1]!.text).toBe(hostile.evidence);
  });
});
