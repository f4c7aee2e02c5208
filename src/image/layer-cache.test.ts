import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LayerCache } from "./layer-cache.js";
import type { LayerRecord } from "./replay.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-layer-cache-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
const file = () => join(tmp, `c${n++}`, "layer-cache.sqlite");
const id = (i: number) => `sha256:${String(i).padStart(64, "0")}`;

/** a record whose compressed size is about `bytes` (random content does not deflate) */
const record = (bytes = 100): LayerRecord => ({
  ops: [
    { op: "dir", path: "etc" },
    {
      op: "file",
      path: "etc/x",
      mode: 0o644,
      size: bytes,
      cap: bytes,
      content: randomBytes(bytes),
      results: { t: new Map([["k", 1n]]) },
    },
    { op: "warn", message: "something" },
  ],
});

describe("layer cache store", () => {
  it("round-trips records (buffers, maps, bigints) by diffID and fingerprint", () => {
    const c = LayerCache.open(file());
    const r = record();
    c.put(id(1), "fp", r);
    expect(c.get(id(1), "fp")).toEqual(r);
    expect(c.get(id(1), "other")).toBeUndefined();
    expect(c.get(id(2), "fp")).toBeUndefined();
    c.setBlobSize("sha256:abc", id(1), 1234);
    expect(c.blobSize("sha256:abc")).toBe(1234);
    c.close();
  });

  it("evicts the least recently used layers past the size cap", () => {
    let t = 0;
    const c = LayerCache.open(file(), { maxBytes: 10_000, now: () => ++t });
    for (const i of [1, 2, 3, 4]) c.put(id(i), "fp", record(2000));
    expect(c.stats().layers).toBe(4);
    expect(c.get(id(1), "fp")).toBeDefined(); // 1 is now the most recently used
    c.put(id(5), "fp", record(2000));
    expect(c.stats().bytes).toBeLessThanOrEqual(10_000);
    expect(c.get(id(2), "fp")).toBeUndefined();
    for (const i of [1, 3, 4, 5]) expect(c.get(id(i), "fp"), `layer ${i}`).toBeDefined();
    // one layer may not take more than a quarter of the cache
    c.put(id(6), "fp", record(3000));
    expect(c.get(id(6), "fp")).toBeUndefined();
    c.close();
  });

  it("discards a file that is not a database, with a warning, and works on", async () => {
    const f = file();
    await mkdir(dirname(f), { recursive: true });
    await writeFile(f, randomBytes(8192));
    const warnings: string[] = [];
    const c = LayerCache.open(f, { warn: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/layer-cache\.sqlite: layer cache is corrupt .*discarded/);
    expect(c.enabled).toBe(true);
    c.put(id(1), "fp", record());
    expect(c.get(id(1), "fp")).toBeDefined();
    c.close();
  });

  it("discards a file corrupted after it was written, on first use", async () => {
    const f = file();
    const c = LayerCache.open(f);
    for (let i = 0; i < 20; i++) c.put(id(i), "fp", record(3000));
    c.close();
    new Database(f).pragma("wal_checkpoint(TRUNCATE)");
    // overwrite every page but the header page with garbage
    const h = await open(f, "r+");
    const { size } = await h.stat();
    await h.write(randomBytes(size - 4096), 0, size - 4096, 4096);
    await h.close();
    const warnings: string[] = [];
    const d = LayerCache.open(f, { warn: (m) => warnings.push(m) });
    expect(d.get(id(3), "fp")).toBeUndefined();
    expect(warnings.join("\n")).toMatch(/corrupt/);
    d.put(id(1), "fp", record());
    expect(d.get(id(1), "fp")).toBeDefined();
    d.close();
  });

  it("treats an undecodable value as a miss and drops it", () => {
    const f = file();
    const c = LayerCache.open(f);
    c.put(id(1), "fp", record());
    new Database(f).prepare("UPDATE layers SET value = ?").run(Buffer.from("not deflate"));
    expect(c.get(id(1), "fp")).toBeUndefined();
    expect(c.stats().layers).toBe(0);
    c.close();
  });

  it("never throws where it cannot create its file", () => {
    const warnings: string[] = [];
    const c = LayerCache.open("/dev/null/airbag/layer-cache.sqlite", { warn: (m) => warnings.push(m) });
    expect(c.enabled).toBe(false);
    c.put(id(1), "fp", record());
    expect(c.get(id(1), "fp")).toBeUndefined();
    expect(warnings.join()).toMatch(/unavailable/);
  });

  it("waits for another process's write lock and reads while it is held (WAL)", async () => {
    const f = file();
    const c = LayerCache.open(f);
    c.put(id(1), "fp", record());
    // a second process holds the write lock for 700 ms
    const script = `
      const Database = require("better-sqlite3");
      const db = new Database(process.argv[1], { timeout: 5000 });
      db.exec("BEGIN IMMEDIATE");
      db.prepare("INSERT INTO blobs (key, diff_id, size) VALUES ('other', 'x', 1)").run();
      console.log("locked");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700);
      db.exec("COMMIT");
    `;
    const child = spawn(process.execPath, ["-e", script, f], {
      cwd: resolve(import.meta.dirname, "../.."),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((res) => child.on("exit", res));
    await new Promise<void>((res) => child.stdout.once("data", () => res()));
    const started = Date.now();
    expect(c.get(id(1), "fp")).toBeDefined(); // readers are not blocked by the writer
    c.put(id(2), "fp", record()); // waits for the lock instead of failing
    expect(Date.now() - started).toBeGreaterThan(200);
    expect(c.get(id(2), "fp")).toBeDefined();
    expect(c.blobSize("other")).toBe(1);
    expect(await exited).toBe(0);
    c.close();
    expect(existsSync(f)).toBe(true);
  });
});
