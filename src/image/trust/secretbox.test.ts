import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hsalsa20, poly1305, secretboxOpen, secretboxSeal, xsalsa20Stream } from "./secretbox.js";

const hex = (s: string) => Buffer.from(s, "hex");

function opensslPoly1305(key: Buffer, msg: Buffer): string | undefined {
  try {
    return execFileSync("openssl", ["mac", "-macopt", `hexkey:${key.toString("hex")}`, "poly1305"], {
      input: msg,
    })
      .toString()
      .trim()
      .toLowerCase();
  } catch {
    return undefined;
  }
}

describe("secretbox primitives", () => {
  it("HSalsa20 matches the NaCl paper's vector (shared secret → firstkey)", () => {
    const shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    expect(hsalsa20(shared, Buffer.alloc(16)).toString("hex")).toBe(
      "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389",
    );
  });

  it("XSalsa20 key stream matches NaCl's stream test (4 MiB, SHA-256 of the output)", () => {
    const key = hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    const nonce = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    const stream = xsalsa20Stream(key, nonce, 4194304);
    expect(createHash("sha256").update(stream).digest("hex")).toBe(
      "662b9d0e3463029156069b12f918691a98f7dfb2ca0393c96bbfc6b1fbd630a2",
    );
    // a shorter request is a prefix of the longer stream
    expect(xsalsa20Stream(key, nonce, 100)).toEqual(stream.subarray(0, 100));
  });

  it("Poly1305 matches RFC 8439 §2.5.2 and openssl on random inputs", () => {
    const key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    expect(poly1305(key, Buffer.from("Cryptographic Forum Research Group")).toString("hex")).toBe(
      "a8061dc1305136c6c22b8baf0c0127a9",
    );
    if (opensslPoly1305(key, Buffer.from("x")) === undefined) return; // openssl without poly1305
    for (const len of [0, 1, 15, 16, 17, 31, 32, 33, 200]) {
      const k = randomBytes(32);
      const m = randomBytes(len);
      expect(poly1305(k, m).toString("hex"), `length ${len}`).toBe(opensslPoly1305(k, m));
    }
  });

  it("seal/open round-trips; a flipped bit, wrong key or wrong nonce is refused", () => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const msg = randomBytes(150);
    const box = secretboxSeal(msg, nonce, key);
    expect(box.length).toBe(msg.length + 16);
    expect(secretboxOpen(box, nonce, key)).toEqual(msg);
    const flipped = Buffer.from(box);
    flipped[40]! ^= 1;
    expect(secretboxOpen(flipped, nonce, key)).toBeUndefined();
    expect(secretboxOpen(box, nonce, randomBytes(32))).toBeUndefined();
    expect(secretboxOpen(box, randomBytes(24), key)).toBeUndefined();
    expect(secretboxOpen(box.subarray(0, 10), nonce, key)).toBeUndefined();
    expect(() => secretboxSeal(msg, nonce.subarray(1), key)).toThrow(/nonce/);
  });
});
