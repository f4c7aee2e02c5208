import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Detection } from "../model/index.js";
import { AgentSpool } from "./agent-spool.js";

const detection = (n: number): Detection => ({
  detector: "cryptominer",
  id: "miner.process",
  kind: "runtime",
  severity: "critical",
  title: "miner",
  container: { id: `c${n}`, name: `m${n}`, image: "bb:1" },
  evidence: `xmrig #${n}`,
  at: new Date(0).toISOString(),
});

const inventory = (n: number, pad = 0) => ({
  type: "inventory" as const,
  containers: [{ id: `c${n}`, name: `n${n}`, image: `img:${"x".repeat(pad)}`, state: "running" }],
});

describe("AgentSpool", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "airbag-spool-"));
    file = join(dir, "agent-spool.jsonl");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("numbers events from 1 and keeps counting after a restart", async () => {
    const a = await AgentSpool.open(file);
    expect((await a.append({ type: "detection", detection: detection(1) })).seq).toBe(1);
    expect((await a.append(inventory(2))).seq).toBe(2);
    await a.close();
    const b = await AgentSpool.open(file);
    expect(b.seq).toBe(2);
    const ev = await b.append({ type: "detection", detection: detection(3) });
    expect(ev.seq).toBe(3);
    expect(ev.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await b.pending(10)).map((e) => e.seq)).toEqual([1, 2, 3]);
    await b.close();
  });

  it("pending reads after the ack, the ack survives a restart, and limits hold", async () => {
    const a = await AgentSpool.open(file);
    for (let i = 1; i <= 10; i++) await a.append({ type: "detection", detection: detection(i) });
    expect((await a.pending(3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    await a.ack(4);
    expect((await a.pending(3)).map((e) => e.seq)).toEqual([5, 6, 7]);
    const one = await a.pending(100, 10); // byte limit still yields at least one event
    expect(one.map((e) => e.seq)).toEqual([5]);
    expect((await a.pending(100))[0]).toMatchObject({
      type: "detection",
      detection: { evidence: "xmrig #5" },
    });
    await a.close();
    const b = await AgentSpool.open(file);
    expect(b.acked).toBe(4);
    expect((await b.pending(100)).map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    await b.ack(10);
    expect(await b.pending(100)).toEqual([]);
    await b.close();
  });

  it("compaction drops acknowledged lines only, and the seq survives an empty file", async () => {
    const a = await AgentSpool.open(file, { compactAtBytes: 2000 });
    for (let i = 1; i <= 40; i++) await a.append({ type: "detection", detection: detection(i) });
    const before = (await stat(file)).size;
    expect(before).toBeGreaterThan(2000);
    await a.ack(30);
    const after = (await stat(file)).size;
    expect(after).toBeLessThan(before / 2);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    await a.ack(40);
    expect((await readFile(file, "utf8")).length).toBe(0);
    await a.close();
    const b = await AgentSpool.open(file);
    expect((await b.append(inventory(41))).seq).toBe(41);
    await b.close();
  });

  it("over the cap drops the oldest inventories, never detections, and keeps the newest inventory", async () => {
    const warnings: string[] = [];
    const a = await AgentSpool.open(file, { maxBytes: 20_000, warn: (m) => warnings.push(m) });
    await a.append({ type: "detection", detection: detection(0) });
    for (let i = 1; i <= 60; i++) {
      await a.append(inventory(i, 400));
      if (i % 10 === 0) await a.append({ type: "detection", detection: detection(i) });
    }
    expect((await stat(file)).size).toBeLessThanOrEqual(20_000);
    expect(a.droppedInventories).toBeGreaterThan(0);
    const all = await a.pending(1000);
    const detections = all.filter((e) => e.type === "detection").map((e) => e.seq);
    expect(detections).toHaveLength(7); // every one of them
    const last = all[all.length - 1];
    expect(last?.type).toBe("detection");
    expect(all.filter((e) => e.type === "inventory").at(-1)?.seq).toBe(66); // the newest snapshot
    const seqs = all.map((e) => e.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(warnings.some((w) => /dropped \d+ old inventory/.test(w))).toBe(true);
    await a.close();
  });

  it("past the cap with only detections left, keeps them all and warns once", async () => {
    const warnings: string[] = [];
    const a = await AgentSpool.open(file, { maxBytes: 3000, warn: (m) => warnings.push(m) });
    for (let i = 1; i <= 30; i++) await a.append({ type: "detection", detection: detection(i) });
    expect((await a.pending(1000)).length).toBe(30);
    expect(warnings.filter((w) => /keeping them all/.test(w))).toHaveLength(1);
    await a.close();
  });

  it("cuts a torn last line from a crash mid-append and goes on", async () => {
    const a = await AgentSpool.open(file);
    await a.append({ type: "detection", detection: detection(1) });
    await a.close();
    await appendFile(file, '{"seq":2,"type":"detec');
    const warnings: string[] = [];
    const b = await AgentSpool.open(file, { warn: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/partial last line/);
    expect((await b.append({ type: "detection", detection: detection(2) })).seq).toBe(2);
    expect((await b.pending(10)).map((e) => e.seq)).toEqual([1, 2]);
    await b.close();
  });

  it("renumbers unsent events after a server that already holds higher seqs", async () => {
    const a = await AgentSpool.open(file);
    await a.append({ type: "detection", detection: detection(1) });
    await a.append({ type: "detection", detection: detection(2) });
    await a.continueAfter(100);
    const p = await a.pending(10);
    expect(p.map((e) => e.seq)).toEqual([101, 102]);
    expect(p.map((e) => (e.type === "detection" ? e.detection.evidence : ""))).toEqual([
      "xmrig #1",
      "xmrig #2",
    ]);
    expect((await a.append(inventory(3))).seq).toBe(103);
    await a.close();
    expect((await AgentSpool.open(file).then(async (s) => [s.seq, await s.close()]))[0]).toBe(103);
  });

  it("refuses a corrupt ack file with a message naming it", async () => {
    await writeFile(`${file}.ack`, "{nope");
    await expect(AgentSpool.open(file)).rejects.toThrow(/agent-spool\.jsonl\.ack: field "ackSeq"/);
  });
});
