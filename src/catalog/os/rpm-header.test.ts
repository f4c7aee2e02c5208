import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import Database from "better-sqlite3";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { parseRpmHeader, RPMTAG } from "./rpm-header.js";

const FIXTURES = new URL("../../../test/fixtures/rpm/", import.meta.url);

type Value =
  | { type: 4; v: number[] }
  | { type: 5; v: bigint }
  | { type: 6 | 8 | 9; v: string[] }
  | { type: 7; v: number[] };

/** Builds a header blob the way rpm lays it out (big-endian index, naturally aligned data). */
function makeHeader(tags: [number, Value][]): Buffer {
  const chunks: Buffer[] = [];
  let dl = 0;
  const index = Buffer.alloc(tags.length * 16);
  tags.forEach(([tag, val], i) => {
    const align = val.type === 4 ? 4 : val.type === 5 ? 8 : 1;
    const pad = (align - (dl % align)) % align;
    if (pad) chunks.push(Buffer.alloc(pad));
    dl += pad;
    let bytes: Buffer;
    let count: number;
    if (val.type === 4) {
      bytes = Buffer.alloc(4 * val.v.length);
      for (const [j, n] of val.v.entries()) bytes.writeUInt32BE(n, 4 * j);
      count = val.v.length;
    } else if (val.type === 5) {
      bytes = Buffer.alloc(8);
      bytes.writeBigUInt64BE(val.v);
      count = 1;
    } else if (val.type === 7) {
      bytes = Buffer.from(val.v);
      count = val.v.length;
    } else {
      bytes = Buffer.concat(val.v.map((s) => Buffer.from(`${s}\0`)));
      count = val.v.length;
    }
    index.writeUInt32BE(tag, i * 16);
    index.writeUInt32BE(val.type, i * 16 + 4);
    index.writeUInt32BE(dl, i * 16 + 8);
    index.writeUInt32BE(count, i * 16 + 12);
    chunks.push(bytes);
    dl += bytes.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0);
  head.writeUInt32BE(dl, 4);
  return Buffer.concat([head, index, ...chunks]);
}

const s = (v: string): Value => ({ type: 6, v: [v] });
const basic: [number, Value][] = [
  [RPMTAG.NAME, s("bash")],
  [RPMTAG.VERSION, s("5.1.8")],
  [RPMTAG.RELEASE, s("6.el9")],
];

/** Real header blobs from the Mariner sqlite fixture, read with SQL directly so this test is independent of rpm-sqlite.ts. */
function realBlobs(): Buffer[] {
  const buf = gunzipSync(readFileSync(new URL("sqlite-mariner2/rpmdb.sqlite.gz", FIXTURES)));
  // The fixture is in WAL mode; a deserialized copy needs the journal-mode bytes reset (see rpm-sqlite.ts).
  buf[18] = 1;
  buf[19] = 1;
  const db = new Database(buf);
  try {
    return (db.prepare("SELECT blob FROM Packages ORDER BY hnum").all() as { blob: Buffer }[]).map(
      (r) => r.blob,
    );
  } finally {
    db.close();
  }
}

/** The parser's contract: succeed, or fail with an AirbagError — never a RangeError/TypeError. */
function parsesOrAirbagError(blob: Uint8Array): void {
  try {
    parseRpmHeader(blob);
  } catch (err) {
    if (!(err instanceof AirbagError)) throw err;
  }
}

describe("parseRpmHeader", () => {
  it("reads the tags Airbag uses from a well-formed header", () => {
    const h = parseRpmHeader(
      makeHeader([
        ...basic,
        [RPMTAG.EPOCH, { type: 4, v: [2] }],
        [RPMTAG.ARCH, s("x86_64")],
        [RPMTAG.SOURCERPM, s("bash-5.1.8-6.el9.src.rpm")],
        [RPMTAG.LICENSE, s("GPLv3+")],
        [RPMTAG.VENDOR, s("Red Hat, Inc.")],
        [RPMTAG.SIZE, { type: 4, v: [7738634] }],
        [RPMTAG.MODULARITYLABEL, s("perl:5.32:8050020210601:abc")],
      ]),
    );
    expect(h).toEqual({
      name: "bash",
      version: "5.1.8",
      release: "6.el9",
      epoch: 2,
      arch: "x86_64",
      sourceRpm: "bash-5.1.8-6.el9.src.rpm",
      license: "GPLv3+",
      vendor: "Red Hat, Inc.",
      size: 7738634,
      modularityLabel: "perl:5.32:8050020210601:abc",
    });
  });

  it("keeps an explicit epoch 0 distinct from no epoch", () => {
    expect(parseRpmHeader(makeHeader([...basic, [RPMTAG.EPOCH, { type: 4, v: [0] }]])).epoch).toBe(0);
    expect(parseRpmHeader(makeHeader(basic))).not.toHaveProperty("epoch");
  });

  it("takes the untranslated value of an i18n string and prefers LONGSIZE over SIZE", () => {
    const h = parseRpmHeader(
      makeHeader([
        ...basic,
        [RPMTAG.LICENSE, { type: 9, v: ["MIT", "MIT-de"] }],
        [RPMTAG.SIZE, { type: 4, v: [1] }],
        [RPMTAG.LONGSIZE, { type: 5, v: 5_000_000_000n }],
      ]),
    );
    expect(h.license).toBe("MIT");
    expect(h.size).toBe(5_000_000_000);
  });

  it("ignores unknown tags and index entries for other data", () => {
    const h = parseRpmHeader(makeHeader([[1004, s("summary")], ...basic, [261, { type: 7, v: [1, 2, 3] }]]));
    expect(h.name).toBe("bash");
  });

  const patch = (b: Buffer, edit: (b: Buffer) => void): Buffer => {
    edit(b);
    return b;
  };
  const corrupt: [string, (b: Buffer) => Buffer][] = [
    ["truncated blob", (b) => b.subarray(0, b.length - 1)],
    ["index count 0", (b) => patch(b, (x) => x.writeUInt32BE(0, 0))],
    ["index count beyond rpm's limit", (b) => patch(b, (x) => x.writeUInt32BE(0x10000, 0))],
    ["data length beyond the blob", (b) => patch(b, (x) => x.writeUInt32BE(b.readUInt32BE(4) + 1, 4))],
    ["NAME offset past the data store", (b) => patch(b, (x) => x.writeUInt32BE(0xffffff, 8 + 8))],
    ["NAME with an integer type", (b) => patch(b, (x) => x.writeUInt32BE(4, 8 + 4))],
    [
      "string without a terminating NUL",
      (b) => {
        const c = Buffer.from(b.subarray(0, b.length - 1)); // drop RELEASE's NUL and shrink the data store
        c.writeUInt32BE(c.readUInt32BE(4) - 1, 4);
        return c;
      },
    ],
  ];
  it.each(corrupt)("rejects %s with an AirbagError", (_label, mutate) => {
    const good = makeHeader(basic);
    expect(() => parseRpmHeader(good)).not.toThrow();
    expect(() => parseRpmHeader(mutate(Buffer.from(good)))).toThrow(AirbagError);
  });

  it("rejects a header without NAME", () => {
    expect(() => parseRpmHeader(makeHeader([[RPMTAG.VERSION, s("1")]]))).toThrow(/no NAME/);
  });

  it("round-trips arbitrary well-formed headers", () => {
    const text = fc
      .string({ minLength: 1, maxLength: 40, unit: "grapheme" })
      .filter((x) => !x.includes("\0"));
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
        (name, version, release, epoch) => {
          const tags: [number, Value][] = [
            [RPMTAG.RELEASE, s(release)],
            [RPMTAG.NAME, s(name)],
            [RPMTAG.VERSION, s(version)],
          ];
          if (epoch !== undefined) tags.push([RPMTAG.EPOCH, { type: 4, v: [epoch] }]);
          const h = parseRpmHeader(makeHeader(tags));
          expect(h).toEqual({ name, version, release, ...(epoch === undefined ? {} : { epoch }) });
        },
      ),
    );
  });

  it("parses every real header blob of the Mariner database", () => {
    const blobs = realBlobs();
    expect(blobs).toHaveLength(129);
    const names = blobs.map((b) => parseRpmHeader(b).name);
    expect(names).toContain("glibc");
    expect(new Set(names).size).toBe(129);
  });

  it("never throws anything but AirbagError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => parsesOrAirbagError(bytes)),
      { numRuns: 2000 },
    );
    // Arbitrary bytes rarely pass the size check; a plausible prefix forces the index/data paths.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 1024 }), (il, rest) => {
        const head = Buffer.alloc(8);
        head.writeUInt32BE(il, 0);
        head.writeUInt32BE(Math.max(0, rest.length - il * 16), 4);
        parsesOrAirbagError(Buffer.concat([head, rest]));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws anything but AirbagError on mutated real blobs", () => {
    const blobs = realBlobs().slice(0, 20);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: blobs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const blob = Buffer.from(blobs[which] as Buffer);
          // Bias edits toward the index so offsets, types and counts get corrupted, not just string bytes.
          for (const [pos, val] of edits) blob[pos % Math.min(blob.length, 8 + 16 * 40)] = val;
          parsesOrAirbagError(cut === undefined ? blob : blob.subarray(0, cut % blob.length));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
