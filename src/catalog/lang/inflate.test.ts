import { randomBytes } from "node:crypto";
import { constants, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RawInflater } from "./inflate.js";
import { chunksOf } from "./zip.testutil.js";

/** LSB-first bit packing; Huffman codes go most significant bit first (RFC 1951 3.1.1). */
class BitWriter {
  private bitsOut: number[] = [];
  put(v: number, n: number): this {
    for (let i = 0; i < n; i++) this.bitsOut.push((v >> i) & 1);
    return this;
  }
  code(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bitsOut.push((v >> i) & 1);
    return this;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bitsOut.length / 8));
    this.bitsOut.forEach((b, i) => {
      out[i >> 3]! |= b << (i & 7);
    });
    return out;
  }
}

/** Inflate `input` pushed in the given chunks; stops pushing once the stream is done. */
function inflate(chunks: Buffer[]) {
  const out: Buffer[] = [];
  const inf = new RawInflater((c) => {
    out.push(Buffer.from(c));
    return true;
  });
  let consumed = 0;
  for (const c of chunks) {
    if (inf.done || inf.failed) break;
    consumed += inf.push(c);
  }
  return { out: Buffer.concat(out), consumed, done: inf.done, failed: inf.failed, inf };
}

const text = Buffer.from(
  Array.from({ length: 3000 }, (_, i) => `line ${i} value=${(i * 7919) % 1000} ${"ab".repeat(i % 9)}\n`).join(
    "",
  ),
);

describe("RawInflater against zlib", () => {
  it("decodes every zlib level and strategy, in chunks of any size, and stops exactly at the stream end", () => {
    const trailer = Buffer.from("PK\x03\x04 next entry");
    const inputs = [Buffer.alloc(0), Buffer.from("a"), randomBytes(70_000), text, Buffer.alloc(200_000, 7)];
    for (const data of inputs)
      for (const level of [0, 1, 6, 9])
        for (const strategy of [
          constants.Z_DEFAULT_STRATEGY,
          constants.Z_FILTERED,
          constants.Z_HUFFMAN_ONLY,
          constants.Z_RLE,
          constants.Z_FIXED,
        ]) {
          const comp = deflateRawSync(data, { level, strategy });
          for (const max of [level === 6 ? 1 : 13, 4096, 1 << 20]) {
            const r = inflate(chunksOf(Buffer.concat([comp, trailer]), level * 31 + max, max));
            expect(r.done).toBe(true);
            expect(r.consumed).toBe(comp.length);
            expect(r.out.equals(data)).toBe(true);
          }
        }
  });

  it("property: random data, random chunking → the zlib input back", () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }),
      // compressible: a few symbols repeated, so back-references of all lengths and distances appear
      fc
        .array(fc.constantFrom("the ", "quick ", "brown ", "fox ", "\n", "0123456789"), { maxLength: 3000 })
        .map((a) => Buffer.from(a.join(""))),
    );
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer(),
        (d, level, max, seed) => {
          const buf = Buffer.from(d);
          const comp = deflateRawSync(buf, { level });
          const r = inflate(chunksOf(Buffer.concat([comp, Buffer.from([1, 2, 3])]), seed, max));
          expect(r.done).toBe(true);
          expect(r.consumed).toBe(comp.length);
          expect(r.out.equals(buf)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("spans windows: back-references across output flushes of a large stream", () => {
    const big = Buffer.concat(Array.from({ length: 40 }, () => text));
    const r = inflate(chunksOf(deflateRawSync(big, { level: 9 }), 5, 100_000));
    expect(r.out.equals(big)).toBe(true);
  });
});

describe("RawInflater on bad input", () => {
  it("reports invalid streams without throwing", () => {
    expect(inflate([Buffer.from([0x07])]).failed).toBe(true); // block type 3
    const stored = Buffer.from([0x01, 0x05, 0x00, 0x00, 0x00]); // LEN 5, NLEN 0: mismatch
    expect(inflate([stored]).inf.error).toMatch(/stored block length/);
    // fixed block whose first symbol is a back-reference: nothing to refer to yet
    const bits = new BitWriter();
    bits.put(1, 1).put(1, 2); // BFINAL, BTYPE=01
    bits.code(0b0000001, 7); // length symbol 257 (length 3)
    bits.code(0, 5); // distance code 0 (distance 1)
    expect(inflate([bits.bytes()]).inf.error).toMatch(/distance too far back/);
    // the same back-reference after one literal is valid: "a" then 3 × "a"
    const ok = new BitWriter();
    ok.put(1, 1).put(1, 2);
    ok.code(0x30 + 0x61, 8); // literal 'a' (0x00-0x8f: 8-bit codes from 0x30)
    ok.code(0b0000001, 7).code(0, 5);
    ok.code(0, 7); // end of block (256)
    expect(inflate([ok.bytes()]).out.toString()).toBe("aaaa");
  });

  it("a truncated stream is not done and keeps waiting", () => {
    const comp = deflateRawSync(text);
    const r = inflate([comp.subarray(0, comp.length - 10)]);
    expect(r.done).toBe(false);
    expect(r.failed).toBe(false);
    expect(r.out.length).toBeLessThan(text.length);
    expect(text.subarray(0, r.out.length).equals(r.out)).toBe(true);
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer(),
        (d, max, seed) => {
          const r = inflate(chunksOf(Buffer.from(d), seed, max));
          expect(r.consumed).toBeLessThanOrEqual(d.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a muted inflater still finds the end", () => {
    const big = Buffer.concat(Array.from({ length: 8 }, () => text));
    const comp = deflateRawSync(big);
    let got = 0;
    const inf = new RawInflater((c) => {
      got += c.length;
      return false; // wants nothing more after the first slice
    });
    expect(inf.push(Buffer.concat([comp, Buffer.from("tail")]))).toBe(comp.length);
    expect(inf.done).toBe(true);
    expect(got).toBeLessThan(big.length);
    expect(inf.totalOut).toBe(big.length);
  });
});
