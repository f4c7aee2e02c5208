import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createChannel } from "./index.js";
import { sampleAlert } from "./receivers.testutil.js";

describe("stdout channel", () => {
  it("writes one JSON line per alert", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => {
      text += c.toString("utf8");
    });
    const ch = createChannel("siem", { type: "stdout" }, { stdout: out });
    const a = sampleAlert({ evidence: "line1\nline2" });
    const b = sampleAlert({ id: "second" });
    await ch.send(a);
    await ch.send(b);
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(JSON.parse(lines[0]!)).toEqual(a);
    expect(JSON.parse(lines[1]!).id).toBe("second");
  });

  it("refuses an unknown channel type naming the field", () => {
    expect(() => createChannel("x", { type: "pigeon" } as never)).toThrow(
      /^channels\.x\.type: unknown channel type "pigeon"$/,
    );
  });
});
