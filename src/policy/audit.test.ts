import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, GENESIS_HASH, verifyAuditLog } from "./audit.js";
import { canonicalJson, sha256Hex, verifyAuditBytes } from "./audit-chain.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "airbag-audit-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const detection = (i: number) => ({
  detector: "cryptominer",
  id: "miner.stratum",
  container: { id: `c${i}`, name: "web", image: "nginx:1" },
  evidence: `stratum+tcp://127.0.0.1:3333 #${i} "quoted" ünïcode`,
  details: { pid: 100 + i, nested: { z: 1, a: [1, "two", null] } },
});

/** a valid log of n entries, returned as its lines */
async function writeLog(file: string, n: number): Promise<string[]> {
  const log = await AuditLog.open(file);
  const types = ["start", "detection", "decision", "action", "approval", "alert"] as const;
  for (let i = 0; i < n; i++) await log.append(types[i % types.length] ?? "detection", detection(i));
  await log.close();
  return (await readFile(file, "utf8")).split("\n").slice(0, -1);
}

const save = (file: string, lines: string[]) => writeFile(file, lines.map((l) => `${l}\n`).join(""));

describe("AuditLog", () => {
  it("chains entries: hash over the canonical entry, prev = previous hash, genesis zeros", async () => {
    const file = join(dir, "audit.jsonl");
    const lines = await writeLog(file, 3);
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0].prev).toBe(GENESIS_HASH);
    expect(entries[1].prev).toBe(entries[0].hash);
    expect(entries[2].prev).toBe(entries[1].hash);
    const { hash, ...rest } = entries[1];
    const canonical = `{"seq":2,"time":${JSON.stringify(rest.time)},"type":"detection","data":${canonicalJson(rest.data)},"prev":"${rest.prev}"}`;
    expect(hash).toBe(sha256Hex(canonical));
    expect(await verifyAuditLog(file)).toEqual({ ok: true, entries: 3, head: entries[2].hash });
  });

  it("reopening continues the chain from the last line", async () => {
    const file = join(dir, "audit.jsonl");
    await writeLog(file, 2);
    const log = await AuditLog.open(file);
    expect(log.entries).toBe(2);
    const e = await log.append("stop", { reason: "SIGTERM" });
    await log.close();
    expect(e.seq).toBe(3);
    const r = await verifyAuditLog(file);
    expect(r).toMatchObject({ ok: true, entries: 3, head: e.hash });
  });

  it("serialises concurrent appends in call order", async () => {
    const file = join(dir, "audit.jsonl");
    const log = await AuditLog.open(file);
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append("action", { i })));
    await log.close();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).data.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect((await verifyAuditLog(file)).ok).toBe(true);
  });

  it("refuses to chain over a torn last line (crash mid-write) and says so", async () => {
    const file = join(dir, "audit.jsonl");
    const lines = await writeLog(file, 3);
    const torn = `${lines.slice(0, 2).join("\n")}\n${(lines[2] as string).slice(0, 40)}`;
    await writeFile(file, torn);
    await expect(AuditLog.open(file)).rejects.toThrow(/last line is incomplete/);
    expect(await readFile(file, "utf8")).toBe(torn); // untouched
  });

  it("refuses an edited last line on reopen", async () => {
    const file = join(dir, "audit.jsonl");
    const lines = await writeLog(file, 2);
    lines[1] = (lines[1] as string).replace('"pid":101', '"pid":999');
    await save(file, lines);
    await expect(AuditLog.open(file)).rejects.toThrow(/not a valid audit entry .*edited/);
  });

  it("keeps a second writer out while the first is open; takes over a lock left by a dead process", async () => {
    const file = join(dir, "audit.jsonl");
    const a = await AuditLog.open(file);
    await expect(AuditLog.open(file)).rejects.toThrow(/already being written by process \d+/);
    await a.close();
    await writeFile(`${file}.lock`, "2147483646\n"); // no such pid
    const b = await AuditLog.open(file);
    await b.append("start", {});
    await b.close();
    expect((await verifyAuditLog(file)).entries).toBe(1);
  });
});

describe("verifyAuditLog: each kind of tampering", () => {
  let file: string;
  let lines: string[];
  beforeEach(async () => {
    file = join(dir, "audit.jsonl");
    lines = await writeLog(file, 6);
  });

  const verdict = async (l: string[], anchor = {}) => {
    await save(file, l);
    return verifyAuditLog(file, anchor);
  };

  it("an edited field (hash no longer matches)", async () => {
    lines[2] = (lines[2] as string).replace("#2", "#7");
    expect((await verdict(lines)).firstBad).toEqual({
      line: 3,
      reason: expect.stringMatching(/hash does not match.*edited/),
    });
  });

  it("an edit with a recomputed hash (chain breaks at the next line)", async () => {
    const e = JSON.parse(lines[2] as string);
    e.data.evidence = "nothing to see";
    const { hash: _h, ...rest } = e;
    const body = `{"seq":3,"time":${JSON.stringify(rest.time)},"type":${JSON.stringify(rest.type)},"data":${canonicalJson(rest.data)},"prev":"${rest.prev}"}`;
    lines[2] = `${body.slice(0, -1)},"hash":"${sha256Hex(body)}"}`;
    expect((await verdict(lines)).firstBad).toEqual({
      line: 4,
      reason: expect.stringMatching(/prev does not match line 3/),
    });
  });

  it("a deleted entry in the middle", async () => {
    lines.splice(3, 1);
    expect((await verdict(lines)).firstBad).toMatchObject({
      line: 4,
      reason: expect.stringMatching(/deleted/),
    });
  });

  it("the first entry deleted", async () => {
    lines.shift();
    expect((await verdict(lines)).firstBad).toMatchObject({
      line: 1,
      reason: expect.stringMatching(/removed/),
    });
  });

  it("two entries swapped", async () => {
    [lines[1], lines[2]] = [lines[2] as string, lines[1] as string];
    expect((await verdict(lines)).firstBad).toMatchObject({
      line: 2,
      reason: expect.stringMatching(/reordered/),
    });
  });

  it("an inserted entry (copied from elsewhere)", async () => {
    lines.splice(4, 0, lines[1] as string);
    expect((await verdict(lines)).firstBad).toMatchObject({ line: 5 });
  });

  it("the last line truncated", async () => {
    await writeFile(file, `${lines.join("\n")}\n`.slice(0, -20));
    expect((await verifyAuditLog(file)).firstBad).toEqual({
      line: 6,
      reason: expect.stringMatching(/incomplete last line/),
    });
  });

  it("whole trailing entries cut off: undetectable alone, caught by an anchor", async () => {
    const head = JSON.parse(lines[5] as string).hash as string;
    const cut = lines.slice(0, 4);
    expect(await verdict(cut)).toMatchObject({ ok: true, entries: 4 });
    expect((await verdict(cut, { expectHead: head })).firstBad).toMatchObject({
      line: 5,
      reason: expect.stringMatching(/not in the log/),
    });
    expect((await verdict(cut, { expectEntries: 6 })).firstBad).toMatchObject({
      line: 5,
      reason: expect.stringMatching(/at least 6/),
    });
    // an anchor taken earlier still holds after the log grew
    const early = JSON.parse(lines[2] as string).hash as string;
    expect(await verdict(lines, { expectHead: early, expectEntries: 3 })).toMatchObject({ ok: true });
    expect((await verdict(lines, { expectHead: early, expectEntries: 4 })).ok).toBe(false);
  });

  it("an unreadable file is an input error, not a verdict", async () => {
    await expect(verifyAuditLog(join(dir, "missing.jsonl"))).rejects.toThrow(
      /missing.jsonl: cannot read.*ENOENT/,
    );
  });
});

describe("verifyAuditBytes (property)", () => {
  it("detects any single-byte change of a valid log", async () => {
    const file = join(dir, "audit.jsonl");
    await writeLog(file, 5);
    const valid = await readFile(file);
    expect(verifyAuditBytes(valid).ok).toBe(true);
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, delta) => {
        const changed = Buffer.from(valid);
        changed[pos] = ((changed[pos] as number) + delta) % 256;
        return !verifyAuditBytes(changed).ok;
      }),
      { numRuns: 3000 },
    );
  });

  it("detects any single byte deleted or inserted", async () => {
    const file = join(dir, "audit.jsonl");
    await writeLog(file, 4);
    const valid = await readFile(file);
    fc.assert(
      fc.property(
        fc.nat({ max: valid.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (pos, byte, del) => {
          const changed = del
            ? Buffer.concat([valid.subarray(0, pos), valid.subarray(pos + 1)])
            : Buffer.concat([valid.subarray(0, pos), Buffer.from([byte]), valid.subarray(pos)]);
          return !verifyAuditBytes(changed).ok;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
