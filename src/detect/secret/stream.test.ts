import { generateKeyPairSync } from "node:crypto";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskSecret } from "./mask.js";
import { createSecretScanner } from "./scanner.js";
import { ALNUM, B64, fake, fakeJwt, scanBuffer, UPPER32 } from "./secret.testutil.js";

/**
 * Streaming behaviour: results must not depend on how the walker chunks a file, line numbers count
 * across chunks, memory stays fixed whatever the input, binaries get the cheap rule subset and
 * compressed files are dropped after the sniff.
 */

const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  type: "sec1",
  format: "pem",
}) as string;

/** Fragments a file is assembled from: secrets, near misses, filler of every size, very long lines. */
const FRAGMENTS = [
  `aws_access_key_id = AKIA${fake(UPPER32, 16, 1)}\n`,
  `token: ghp_${fake(ALNUM, 36, 2)}\n`,
  `DATABASE_URL=postgres://app:${fake(ALNUM, 12, 3)}@db:5432/app\n`,
  `Authorization: Bearer ${fakeJwt(4)}\n`,
  `client_secret = "${fake(ALNUM, 24, 5)}"\n`,
  key,
  `password = "\${DB_PASSWORD}"\nsee https://example.org/docs\n`,
  `${fake(B64, 40, 6)} ASIA${fake(UPPER32, 16, 6)}\n`,
  "a quiet line of prose without anything to find in it\n",
  `${"x".repeat(5000)} token = "${fake(ALNUM, 20, 7)}" ${"y".repeat(3000)}\n`,
  `${"lorem ipsum ".repeat(2000)}\n`,
  `${"z".repeat(70_000)}\n`,
];

const documents = fc
  .array(fc.nat(FRAGMENTS.length - 1), { minLength: 1, maxLength: 40 })
  .map((ix) => Buffer.from(ix.map((i) => FRAGMENTS[i]).join("")));

describe("secret scanner streaming", () => {
  it("finds the same secrets whatever the chunk boundaries (property)", () => {
    fc.assert(
      fc.property(
        documents,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }),
        (doc, cuts) => {
          const whole = scanBuffer("srv/app/config.txt", doc);
          const split = scanBuffer(
            "srv/app/config.txt",
            doc,
            cuts.map((c) => Math.floor(c * doc.length)),
          );
          expect(split).toEqual(whole);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("finds the same secrets when fed one byte at a time", () => {
    const doc = Buffer.from(FRAGMENTS.slice(0, 9).join(""));
    expect(scanBuffer("srv/app/a.txt", doc, 1)).toEqual(scanBuffer("srv/app/a.txt", doc));
    expect(scanBuffer("srv/app/a.txt", doc).length).toBeGreaterThanOrEqual(7);
  });

  it("finds a secret at every offset around the window boundary (80 KiB)", () => {
    const secret = `AKIA${fake(UPPER32, 16, 13)}`;
    for (let at = 81_920 - 60; at <= 81_920 + 10; at++) {
      const doc = Buffer.from(`${"a".repeat(at - 1)}\n${secret} ${"b".repeat(100)}\n`);
      expect(scanBuffer("srv/a.txt", doc, 4096)).toMatchObject([{ id: "aws-access-key-id", line: 2 }]);
    }
  });

  it("bounds the work on adversarial input (a keyword every few bytes)", () => {
    const started = performance.now();
    const doc = Buffer.from("token=a PRIVATE KEY ://x ".repeat(400_000)); // 10 MB
    expect(scanBuffer("srv/a.txt", doc)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("counts lines across chunks (LF and CRLF) for a secret far into the file", () => {
    const filler = Array.from({ length: 9999 }, (_, i) => `line ${i} of filler text`).join("\r\n");
    const doc = Buffer.from(`${filler}\r\nexport GH=ghp_${fake(ALNUM, 36, 8)}\r\nlast\r\n`);
    for (const chunk of [7, 4096, 65536, 1 << 20])
      expect(scanBuffer("srv/app/run.sh", doc, chunk)).toMatchObject([{ id: "github-pat", line: 10000 }]);
  });

  it("never reports a whole secret: masks show at most 40 % of it (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }).filter((s) => !s.includes("*")),
        (s) => {
          const m = maskSecret(s);
          expect(m).not.toBe(s);
          expect(m.replace(/\*/g, "").length).toBeLessThanOrEqual(Math.floor(0.4 * s.length));
          expect(s.startsWith(m.slice(0, m.indexOf("*")))).toBe(true);
        },
      ),
    );
  });

  it("keeps every generated token out of the output (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.constantFrom("ghp_", "npm_", "glpat-", "sk_live_"),
        (seed, prefix) => {
          const token = `${prefix}${fake(ALNUM, 36, seed)}`;
          const out = JSON.stringify(scanBuffer("srv/app/x.txt", Buffer.from(`export T=${token}\n`)));
          expect(out).not.toContain(token);
          expect(out).not.toContain(token.slice(prefix.length, prefix.length + 12));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("scans binaries with the cheap rules only, without line numbers", () => {
    const elf = (s: string) =>
      Buffer.concat([
        Buffer.from("\x7fELF\x02\x01\x01\0", "latin1"),
        Buffer.alloc(64),
        Buffer.from(`${s}\0`),
      ]);
    expect(scanBuffer("usr/bin/app", elf(`AKIA${fake(UPPER32, 16, 9)}`))).toMatchObject([
      { id: "aws-access-key-id", line: undefined },
    ]);
    // generic keyword rules do not run on binaries (format strings, symbol names)
    expect(scanBuffer("usr/bin/app", elf(`password = "Tr0ub4dor&3-${fake(ALNUM, 4, 9)}"`))).toEqual([]);
  });

  it("stops reading compressed files after the sniff: no plaintext secret can be in them", () => {
    const gz = gzipSync(Buffer.from(`token: ghp_${fake(ALNUM, 36, 10)}\n`.repeat(5000)));
    const c = createSecretScanner().consume("srv/app/data.gz", gz.length, 0o644);
    const more = c.write(Buffer.concat([gz, Buffer.alloc(10_000)]));
    expect(more).toBe(false);
    expect(c.end()).toEqual([]);
  });

  it("stops a file at maxHitsPerFile and skips files above maxFileBytes", () => {
    const scanner = createSecretScanner({ maxHitsPerFile: 3, maxFileBytes: 1000 });
    const doc = Buffer.from(
      Array.from({ length: 10 }, (_, i) => `AKIA${fake(UPPER32, 16, 20 + i)}\n`).join(""),
    );
    expect(scanBuffer("a.txt", doc, 1 << 20, scanner)).toHaveLength(3);
    expect(scanner.wants("a.txt", 1001, 0o644)).toBe(false);
    expect(scanner.wants("a.txt", 0, 0o644)).toBe(false);
    expect(scanner.wants("a.txt", 1000, 0o644)).toBe(true);
  });

  it("streams a 200 MB single-line file in bounded memory", () => {
    // one line, no newline anywhere; keywords every ~64 KiB keep the rules busy (placeholders: no hit)
    const block = Buffer.from(`${fake(ALNUM, 65_000, 11)} token="\${API_TOKEN}" https://user:\${PASS}@host `);
    const c = createSecretScanner().consume("srv/app/huge.min.js", 200e6, 0o644);
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
    const before = used();
    let peak = 0;
    let fed = 0;
    for (let i = 0; fed < 200e6; i++) {
      expect(c.write(block)).toBe(true);
      fed += block.length;
      if (i % 128 === 0) peak = Math.max(peak, used());
    }
    expect(c.end()).toEqual([]);
    expect(peak - before).toBeLessThan(64 * 2 ** 20);
  });
});
