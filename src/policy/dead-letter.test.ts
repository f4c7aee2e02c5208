import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannels } from "./channels/index.js";
import { freePort, sampleAlert, startHttpReceiver } from "./channels/receivers.testutil.js";
import { type DeadLetter, deadLetterPath, replayDeadLetters, sendOrDeadLetter } from "./dead-letter.js";

const fast = { backoffMs: 10, maxBackoffMs: 40, timeoutMs: 2000, retries: 2 };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "airbag-dl-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = async (file: string) => (await readFile(file, "utf8")).split("\n").filter(Boolean);

describe("dead letters", () => {
  it("receiver down → retried, dead-lettered; replay after it comes up delivers all, file emptied", async () => {
    const file = join(dir, "a", "dead-letter.jsonl");
    const port = await freePort();
    const channels = createChannels(
      { hook: { type: "webhook", url: `http://127.0.0.1:${port}/hook`, secret: "k" } },
      fast,
    );
    const alerts = [
      sampleAlert({ id: "a1" }),
      sampleAlert({ id: "a2", severity: "high" }),
      sampleAlert({ id: "a3" }),
    ];
    for (const a of alerts) {
      const r = await sendOrDeadLetter(channels.get("hook")!, a, file);
      expect(r.delivered).toBe(false);
    }
    const kept = (await lines(file)).map((l) => JSON.parse(l) as DeadLetter);
    expect(kept.map((k) => k.alert.id)).toEqual(["a1", "a2", "a3"]);
    expect(kept[0]!.channel).toBe("hook");
    expect(kept[0]!.error).toMatch(/^channel hook: POST .* ECONNREFUSED \(3 attempts\)$/);
    expect(kept[1]!.alert).toEqual(alerts[1]);

    const receiver = await startHttpReceiver(() => ({ status: 200 }), port);
    try {
      const result = await replayDeadLetters(file, channels);
      expect(result).toEqual({ total: 3, delivered: 3, kept: 0, unreadable: 0, errors: {} });
      expect(receiver.requests.map((r) => JSON.parse(r.raw.toString()).id)).toEqual(["a1", "a2", "a3"]);
      expect(JSON.parse(receiver.requests[1]!.raw.toString())).toEqual(alerts[1]);
      expect(await readFile(file, "utf8")).toBe("");
      expect(await readdir(join(dir, "a"))).toEqual(["dead-letter.jsonl"]); // no work file left behind
    } finally {
      await receiver.close();
    }
  });

  it("keeps what still fails (with the new error), unknown channels and unreadable lines; delivers the rest", async () => {
    const file = join(dir, "b.jsonl");
    const up = await startHttpReceiver(() => ({ status: 200 }));
    const downPort = await freePort();
    const channels = createChannels(
      {
        up: { type: "webhook", url: up.url },
        down: { type: "webhook", url: `http://127.0.0.1:${downPort}/` },
      },
      fast,
    );
    const entry = (channel: string, id: string): string =>
      JSON.stringify({
        time: "2026-11-29T08:00:00.000Z",
        channel,
        error: "old",
        replays: 0,
        alert: sampleAlert({ id }),
      });
    await writeFile(
      file,
      `${[
        entry("down", "d1"),
        entry("up", "u1"),
        "{not json",
        entry("gone", "g1"),
        entry("down", "d2"),
        entry("up", "u2"),
      ].join("\n")}\n`,
    );
    try {
      const result = await replayDeadLetters(file, channels);
      expect(result.total).toBe(5);
      expect(result.delivered).toBe(2);
      expect(result.kept).toBe(3);
      expect(result.unreadable).toBe(1);
      expect(Object.keys(result.errors).sort()).toEqual(["down", "gone"]);
      expect(result.errors.gone).toBe("channel gone is not in the policy");
      expect(up.requests.map((r) => JSON.parse(r.raw.toString()).id)).toEqual(["u1", "u2"]);
      const after = await lines(file);
      expect(after).toContain("{not json");
      const parsed = after.filter((l) => l.startsWith('{"')).map((l) => JSON.parse(l) as DeadLetter);
      expect(parsed.map((p) => p.alert.id)).toEqual(["d1", "g1", "d2"]);
      expect(parsed[0]!.replays).toBe(1);
      expect(parsed[0]!.error).toMatch(/ECONNREFUSED/);
      expect(parsed[0]!.lastTry).toBeDefined();
      expect(parsed[2]!.replays).toBe(0); // "down" already failed in this replay: not tried again
    } finally {
      await up.close();
    }
  });

  it("picks up the work file of a replay that died, and keeps appends made meanwhile", async () => {
    const file = join(dir, "c.jsonl");
    const up = await startHttpReceiver(() => ({ status: 200 }));
    const channels = createChannels({ up: { type: "webhook", url: up.url } }, fast);
    const entry = (id: string) =>
      `${JSON.stringify({ time: "t", channel: "up", error: "e", replays: 0, alert: sampleAlert({ id }) })}\n`;
    // pid 0x7fffffff does not exist: that replay died mid-way
    await writeFile(`${file}.replay-2147483647-deadbeef`, entry("orphan"));
    await appendFile(file, entry("fresh"));
    try {
      const result = await replayDeadLetters(file, channels);
      expect(result.delivered).toBe(2);
      expect(up.requests.map((r) => JSON.parse(r.raw.toString()).id).sort()).toEqual(["fresh", "orphan"]);
      expect(await readFile(file, "utf8")).toBe("");
    } finally {
      await up.close();
    }
  });

  it("a missing file is an empty replay", async () => {
    const result = await replayDeadLetters(join(dir, "none.jsonl"), new Map());
    expect(result.total).toBe(0);
  });

  it("path: flag, else the policy's deadLetter, else the state dir", () => {
    const env = { XDG_STATE_HOME: "/state" };
    expect(deadLetterPath({ deadLetter: "/p.jsonl" }, "/flag.jsonl", env)).toBe("/flag.jsonl");
    expect(deadLetterPath({ deadLetter: "/p.jsonl" }, undefined, env)).toBe("/p.jsonl");
    expect(deadLetterPath({}, undefined, env)).toBe("/state/airbag/dead-letter.jsonl");
  });
});
