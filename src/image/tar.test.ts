import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { layerTar } from "../../test/support/image-builder.js";
import { AirbagError } from "../model/index.js";
import { type TarHeader, TarReader } from "./tar.js";

interface Seen {
  header: TarHeader;
  body: string;
}

function readAll(buf: Buffer, chunkSizes: number[] = [buf.length]): Seen[] {
  const out: Seen[] = [];
  const reader = new TarReader((header) => {
    const parts: Buffer[] = [];
    const seen = { header, body: "" };
    out.push(seen);
    return {
      data: (c) => parts.push(Buffer.from(c)),
      end: () => {
        seen.body = Buffer.concat(parts).toString();
      },
    };
  }, "test");
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const n = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
    reader.write(buf.subarray(off, off + n));
    off += n;
  }
  reader.end();
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "airbag-tar-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("TarReader", () => {
  const longName = `${"d".repeat(120)}/${"f".repeat(150)}.txt`;

  it("reads names, types, links and bodies written by GNU tar in gnu and pax formats", () => {
    const root = join(tmp, "src");
    mkdirSync(join(root, "d".repeat(120)), { recursive: true });
    writeFileSync(join(root, longName), "long");
    writeFileSync(join(root, "plain"), "hello\n");
    symlinkSync("plain", join(root, "link"));
    execFileSync("ln", [join(root, "plain"), join(root, "hard")]);
    for (const format of ["gnu", "pax"]) {
      const tar = execFileSync("tar", ["-C", root, `--format=${format}`, "-cf", "-", "."], {
        maxBuffer: 1 << 26,
      });
      const seen = readAll(tar);
      const byPath = new Map(seen.map((s) => [s.header.path.replace(/^\.\//, "").replace(/\/$/, ""), s]));
      expect(byPath.get(longName)?.body).toBe("long");
      expect(byPath.get("link")?.header).toMatchObject({ type: "symlink", linkname: "plain" });
      // whichever of the two hardlinked names tar meets first carries the body, the other links to it
      const pair = [byPath.get("hard"), byPath.get("plain")];
      expect(pair.find((s) => s?.header.type === "file")?.body).toBe("hello\n");
      expect(pair.find((s) => s?.header.type === "hardlink")?.header.linkname).toMatch(
        /^(\.\/)?(plain|hard)$/,
      );
      expect(byPath.get("d".repeat(120))?.header.type).toBe("dir");
    }
  });

  it("gives the same entries whatever the chunking (property)", async () => {
    const tar = await layerTar({
      a: "alpha",
      [longName]: "x".repeat(1500),
      "b/c": "",
      e: Buffer.alloc(513, 7),
    });
    const whole = readAll(tar);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        expect(readAll(tar, sizes)).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it("reads base-256 sizes", () => {
    const tar = execFileSync("tar", ["-C", tmp, "--format=gnu", "-cf", "-", "src/plain"]);
    const hdr = Buffer.from(tar.subarray(0, 512));
    // rewrite the 6-byte body size as base-256 and fix the checksum
    hdr.fill(0, 124, 136);
    hdr[124] = 0x80;
    hdr[135] = 6;
    hdr.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of hdr) sum += b;
    hdr.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    const seen = readAll(Buffer.concat([hdr, tar.subarray(512)]));
    expect(seen[0]!.header.size).toBe(6);
    expect(seen[0]!.body).toBe("hello\n");
  });

  it("rejects a truncated archive and a corrupt header with input errors", async () => {
    const tar = await layerTar({ a: "x".repeat(2000) });
    expect(() => readAll(tar.subarray(0, 1200))).toThrow(/truncated tar/);
    const bad = Buffer.from(tar);
    bad[10] = bad[10]! ^ 0xff;
    expect(() => readAll(bad)).toThrow(AirbagError);
  });

  it("never throws anything but an AirbagError on arbitrary bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), (bytes) => {
        try {
          readAll(Buffer.from(bytes), [97]);
        } catch (err) {
          expect(err).toBeInstanceOf(AirbagError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("survives mutations of a real archive: AirbagError or a parse, never a crash (property)", async () => {
    const tar = await layerTar({ "etc/os-release": "ID=debian\n", [longName]: "z", "x/y": "w".repeat(700) });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(tar.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (muts) => {
          const b = Buffer.from(tar);
          for (const [i, v] of muts) b[i] = v;
          try {
            readAll(b, [300]);
          } catch (err) {
            expect(err).toBeInstanceOf(AirbagError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
