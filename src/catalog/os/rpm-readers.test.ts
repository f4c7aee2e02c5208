import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { type RpmBlob, readBdbPackages } from "./rpm-bdb.js";
import { parseRpmHeader } from "./rpm-header.js";
import { readNdbPackages } from "./rpm-ndb.js";
import { readSqlitePackages } from "./rpm-sqlite.js";

const FIXTURES = new URL("../../../test/fixtures/rpm/", import.meta.url);
const load = (rel: string): Buffer => {
  const raw = readFileSync(new URL(rel, FIXTURES));
  return rel.endsWith(".gz") ? gunzipSync(raw) : raw;
};
const names = (blobs: RpmBlob[]): string[] => blobs.map((b) => parseRpmHeader(b.blob).name);
const byId = (blobs: RpmBlob[]): Map<number, string> =>
  new Map(blobs.map((b) => [b.id, Buffer.from(b.blob).toString("hex")]));

/** Reader contract on hostile input: return (possibly with warnings) or throw AirbagError; never another error. */
function readsOrAirbagError(
  read: (b: Uint8Array, w: (m: string) => void) => RpmBlob[],
  bytes: Uint8Array,
): void {
  try {
    for (const b of read(bytes, () => {})) expect(b.blob.byteLength).toBeLessThanOrEqual(bytes.length);
  } catch (err) {
    if (!(err instanceof AirbagError)) throw err;
  }
}

/** Random byte edits, biased toward the structural start of pages/slots where they do the most damage. */
const mutations = (size: number, hot: number) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: size - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean()), {
        minLength: 1,
        maxLength: 16,
      }),
      fc.option(fc.nat({ max: size }), { nil: undefined }),
    )
    .map(([edits, cut]) => (buf: Buffer): Buffer => {
      const b = Buffer.from(buf);
      for (const [pos, val, nearHeader] of edits) b[nearHeader ? pos - (pos % hot) + (pos % 64) : pos] = val;
      return cut === undefined ? b : b.subarray(0, cut);
    });

describe("readBdbPackages", () => {
  const mariner = readSqlitePackages(load("sqlite-mariner2/rpmdb.sqlite.gz"));
  const marinerById = byId(mariner);

  it.each([
    ["bdb-libuuid/Packages", 1, "libuuid"],
    ["bdb-syft/Packages", 1, "dive"],
    ["bdb-epoch/Packages", 4, "hello"],
  ])("reads the single package of %s", (file, id, name) => {
    const blobs = readBdbPackages(load(file));
    expect(blobs.map((b) => b.id)).toEqual([id]);
    expect(names(blobs)).toEqual([name]);
  });

  // The three generated databases hold the same 30 headers as the sqlite fixture, under the same header numbers.
  it.each(["le", "be", "inline"])("reads bdb-mariner-%s byte-for-byte like the sqlite source", (variant) => {
    const warnings: string[] = [];
    const blobs = readBdbPackages(load(`bdb-mariner-${variant}/Packages.gz`), (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(blobs).toHaveLength(30);
    expect(blobs.some((b) => b.id === 0)).toBe(false); // rpm's counter record is not a package
    for (const [id, hex] of byId(blobs)) expect(hex).toBe(marinerById.get(id));
  });

  it("rejects files that are not a Berkeley DB hash database", () => {
    expect(() => readBdbPackages(Buffer.alloc(4096))).toThrow(/bad magic/);
    const btree = Buffer.alloc(4096);
    btree.writeUInt32LE(0x053162, 12);
    expect(() => readBdbPackages(btree)).toThrow(/btree/);
    const badPage = Buffer.from(load("bdb-libuuid/Packages"));
    badPage.writeUInt32LE(1000, 20);
    expect(() => readBdbPackages(badPage)).toThrow(/page size/);
  });

  it("fails a cyclic overflow chain instead of looping", () => {
    const buf = Buffer.from(load("bdb-libuuid/Packages"));
    buf.writeUInt32LE(3, 4 * 4096 + 16); // page 4 → page 3, which leads back to 4
    const warnings: string[] = [];
    expect(readBdbPackages(buf, (m) => warnings.push(m))).toEqual([]);
    expect(warnings.join("\n")).toMatch(/overflow chain broken at page 3/);
  });

  it("warns about a truncated file and still reads complete records", () => {
    const full = load("bdb-mariner-le/Packages.gz");
    const warnings: string[] = [];
    const blobs = readBdbPackages(full.subarray(0, full.length / 2), (m) => warnings.push(m));
    expect(warnings[0]).toMatch(/truncated/);
    expect(blobs.length).toBeGreaterThan(0);
    expect(blobs.length).toBeLessThan(30);
    for (const b of blobs) expect(Buffer.from(b.blob).toString("hex")).toBe(marinerById.get(b.id));
  });

  it("never throws a non-Airbag error on arbitrary bytes behind a valid metadata page", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat({ max: 64 }),
        fc.uint8Array({ minLength: 512, maxLength: 8192 }),
        (le, last, body) => {
          const meta = Buffer.alloc(512);
          const w = (v: number, at: number) => (le ? meta.writeUInt32LE(v, at) : meta.writeUInt32BE(v, at));
          w(0x061561, 12);
          w(512, 20);
          w(last, 32);
          meta[25] = 8;
          readsOrAirbagError(readBdbPackages, Buffer.concat([meta, body]));
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => readsOrAirbagError(readBdbPackages, b)));
  });

  it.each([
    ["bdb-mariner-be/Packages.gz", 512],
    ["bdb-libuuid/Packages", 4096],
  ])("never throws a non-Airbag error on mutations of %s", (file, pageSize) => {
    const buf = load(file);
    fc.assert(
      fc.property(mutations(buf.length, pageSize), (mutate) =>
        readsOrAirbagError(readBdbPackages, mutate(buf)),
      ),
      { numRuns: 300 },
    );
  });
});

describe("readNdbPackages", () => {
  const sle = load("ndb-sle15-bci/Packages.db.gz");

  it("reads all 35 packages of the SLE 15 BCI database", () => {
    const warnings: string[] = [];
    const blobs = readNdbPackages(sle, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(blobs).toHaveLength(35);
    expect(names(blobs).slice(0, 3)).toEqual(["system-user-root", "filesystem", "glibc"]);
    expect(new Set(blobs.map((b) => b.id)).size).toBe(35);
  });

  it("skips free slots and reports a blob that does not match its slot", () => {
    const buf = Buffer.from(sle);
    buf.writeUInt32LE(0, 32 + 4); // first slot freed: package 1 disappears
    const slot2 = buf.readUInt32LE(48 + 8) * 16;
    buf.write("XXXX", slot2, "latin1"); // package 2's blob magic destroyed
    const warnings: string[] = [];
    const blobs = readNdbPackages(buf, (m) => warnings.push(m));
    expect(blobs).toHaveLength(33);
    expect(blobs.map((b) => b.id)).not.toContain(1);
    expect(warnings).toEqual([expect.stringMatching(/package 2: blob header does not match/)]);
  });

  it("rejects files that are not an ndb Packages.db", () => {
    expect(() => readNdbPackages(Buffer.alloc(64))).toThrow(/bad magic/);
    const v1 = Buffer.from(sle);
    v1.writeUInt32LE(1, 4);
    expect(() => readNdbPackages(v1)).toThrow(/version/);
    const pages = Buffer.from(sle);
    pages.writeUInt32LE(0xffff, 12);
    expect(() => readNdbPackages(pages)).toThrow(/slot area/);
  });

  it("never throws a non-Airbag error on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.uint8Array({ maxLength: 20000 }), (pages, body) => {
        const head = Buffer.alloc(32);
        head.write("RpmP", 0, "latin1");
        head.writeUInt32LE(pages, 12);
        readsOrAirbagError(readNdbPackages, Buffer.concat([head, body]));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws a non-Airbag error on mutations of the real database", () => {
    // Most structure lives in the first (slot) page; aim half of the edits there.
    fc.assert(
      fc.property(
        mutations(sle.length, 4096),
        fc.array(fc.tuple(fc.nat({ max: 4095 }), fc.nat({ max: 255 }))),
        (mutate, slotEdits) => {
          const b = mutate(sle);
          for (const [pos, val] of slotEdits) if (pos < b.length) b[pos] = val;
          readsOrAirbagError(readNdbPackages, b);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("readSqlitePackages", () => {
  it("reads all rows of a WAL-mode database without modifying the caller's buffer", () => {
    const buf = load("sqlite-mariner2/rpmdb.sqlite.gz");
    expect(buf[18]).toBe(2); // precondition: the fixture really is in WAL mode
    const before = Buffer.from(buf);
    const blobs = readSqlitePackages(buf);
    expect(blobs).toHaveLength(129);
    expect(blobs.map((b) => b.id)).toEqual([...blobs.map((b) => b.id)].sort((a, b) => a - b));
    expect(names(blobs)).toContain("openssl-libs");
    expect(buf.equals(before)).toBe(true);
  });

  it("reports non-SQLite input and a database without a Packages table as AirbagError", () => {
    expect(() => readSqlitePackages(Buffer.from("not a database".repeat(20)))).toThrow(AirbagError);
    const other = new Database(":memory:");
    other.exec("CREATE TABLE Other (x)");
    const bytes = other.serialize();
    other.close();
    expect(() => readSqlitePackages(bytes)).toThrow(/no such table: Packages/);
  });

  it("warns about rows without a blob", () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)");
    db.prepare("INSERT INTO Packages VALUES (?, ?)").run(1, null);
    db.prepare("INSERT INTO Packages VALUES (?, ?)").run(2, Buffer.from([1, 2, 3]));
    const bytes = db.serialize();
    db.close();
    const warnings: string[] = [];
    expect(readSqlitePackages(bytes, (m) => warnings.push(m)).map((b) => b.id)).toEqual([2]);
    expect(warnings).toEqual([expect.stringMatching(/row 1 has no blob/)]);
  });
});
