import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunksOf, jarTool, writeTree, type ZipSpec, zipBuffer } from "./zip.testutil.js";
import { type ZipEntry, ZipStreamReader } from "./zip-stream.js";

interface Read {
  entries: (ZipEntry & { data: Buffer; complete: boolean })[];
  warnings: string[];
  state: string;
}

/** Read every entry of `chunks` in full. */
function readZip(chunks: Buffer[], opts: { maxEntries?: number; maxInflated?: number } = {}): Read {
  const out: Read = { entries: [], warnings: [], state: "" };
  const r = new ZipStreamReader({
    warn: (m) => out.warnings.push(m),
    budget: {
      entries: 0,
      inflated: 0,
      maxEntries: opts.maxEntries ?? 1e6,
      maxInflated: opts.maxInflated ?? 2 ** 31,
    },
    onEntry(e) {
      const parts: Buffer[] = [];
      const rec = { ...e, data: Buffer.alloc(0), complete: false };
      out.entries.push(rec);
      return {
        data: (c) => {
          parts.push(Buffer.from(c));
          return true;
        },
        end(complete) {
          rec.data = Buffer.concat(parts);
          rec.complete = complete;
        },
      };
    },
  });
  for (const c of chunks) if (!r.write(c)) break;
  r.end();
  out.state = r.state;
  return out;
}

const summary = (r: Read) => ({
  entries: r.entries.map((e) => [e.name, e.complete, e.data.toString("base64")]),
  warnings: r.warnings,
  state: r.state,
});

let tmp: string;
const tree: Record<string, string | Buffer> = {
  "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\nImplementation-Title: demo\r\n\r\n",
  "com/example/App.class": randomBytes(3000),
  "text/lines.txt": Array.from({ length: 3000 }, (_, i) => `line ${i}\n`).join(""),
  "empty.txt": "",
};
const archives: Record<string, Buffer> = {};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "zip-stream-"));
  writeTree(join(tmp, "src"), tree);
  const src = join(tmp, "src");
  execFileSync("zip", ["-qr", "../seekable.zip", "."], { cwd: src });
  // zip writing to a pipe cannot seek back: data descriptors, stored ones included
  execFileSync("sh", ["-c", "zip -qr - . | cat > ../piped.zip && zip -qr0 - . | cat > ../piped0.zip"], {
    cwd: src,
  });
  jarTool(["cf", "../jar.jar", "-C", ".", "."], src);
  jarTool(["cf0M", "../jar0.jar", "-C", ".", "."], src);
  for (const n of ["seekable.zip", "piped.zip", "piped0.zip", "jar.jar", "jar0.jar"])
    archives[n] = readFileSync(join(tmp, n));
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("ZipStreamReader on archives written by real tools", () => {
  it.each(["seekable.zip", "piped.zip", "piped0.zip", "jar.jar", "jar0.jar"])(
    "%s: same entries and bytes as unzip",
    (n) => {
      const file = join(tmp, n);
      const listed = execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n");
      const bytes = (name: string) => execFileSync("unzip", ["-p", file, name], { maxBuffer: 1 << 26 });
      for (const max of [1 << 20, 977, 31]) {
        const r = readZip(chunksOf(archives[n]!, 7, max));
        expect(r.warnings).toEqual([]);
        expect(r.state).toBe("done");
        expect(r.entries.map((e) => e.name)).toEqual(listed);
        for (const e of r.entries) {
          expect(e.complete).toBe(true);
          if (!e.name.endsWith("/")) expect(e.data.equals(bytes(e.name))).toBe(true);
        }
      }
      // and the tree went in unchanged (jar writes its own manifest)
      const r = readZip([archives[n]!]);
      const lines = r.entries.find((e) => e.name === "text/lines.txt")!;
      expect(lines.data.toString()).toBe(tree["text/lines.txt"]);
    },
  );

  it("jar's deflated entries have no sizes up front; the inflater found their ends", () => {
    const r = readZip([archives["jar.jar"]!]);
    const cls = r.entries.find((e) => e.name === "com/example/App.class")!;
    expect(cls.flags & 8).toBe(8);
    expect(cls.compressedSize).toBeUndefined();
  });
});

const content = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `${i % 97},`).join(""));
const nestedZip = zipBuffer([
  { name: "inner/a.txt", data: "inner a", descriptor: true },
  { name: "inner/b.bin", data: randomBytes(500), method: 0 },
]);
const variants: ZipSpec[] = [
  { name: "deflate.txt", data: content(5000) },
  { name: "deflate-dd.txt", data: content(4000), descriptor: true },
  { name: "deflate-dd-nosig.txt", data: content(3000), descriptor: true, descriptorSig: false },
  { name: "stored.bin", data: randomBytes(2000), method: 0 },
  { name: "stored-dd-sizes.bin", data: randomBytes(1000), method: 0, descriptor: true, headerSizes: true },
  // no size anywhere before the data: found by scanning for the descriptor — even across a nested zip
  { name: "stored-dd.jar", data: nestedZip, method: 0, descriptor: true },
  {
    name: "stored-dd-nosig.bin",
    data: Buffer.concat([Buffer.from("PK\x03\x04"), randomBytes(700)]),
    method: 0,
    descriptor: true,
    descriptorSig: false,
  },
  { name: "stored-dd-empty/", data: "", method: 0, descriptor: true },
  { name: "zip64.txt", data: content(2500), zip64: true },
  { name: "zip64-stored.bin", data: randomBytes(900), method: 0, zip64: true },
  { name: "zip64-dd.txt", data: content(2200), zip64: true, descriptor: true },
  { name: "zip64-stored-dd.bin", data: randomBytes(800), method: 0, zip64: true, descriptor: true },
  { name: "last.txt", data: "the end" },
];
const variantZip = zipBuffer(variants);

describe("ZipStreamReader on every local-header variant", () => {
  it("the test writer's archive is valid for unzip", () => {
    const f = join(tmp, "variants.zip");
    writeFileSync(f, variantZip);
    expect(execFileSync("unzip", ["-tq", f], { encoding: "utf8" })).toMatch(/No errors/);
  });

  it("reads each entry's exact content", () => {
    const r = readZip([variantZip]);
    expect(r.warnings).toEqual([]);
    expect(r.state).toBe("done");
    expect(r.entries.map((e) => e.name)).toEqual(variants.map((v) => v.name));
    variants.forEach((v, i) => {
      expect(r.entries[i]!.complete).toBe(true);
      expect(r.entries[i]!.data.equals(Buffer.from(v.data as Buffer | string))).toBe(true);
    });
    expect(r.entries.find((e) => e.name === "zip64-stored.bin")!.compressedSize).toBe(900);
  });

  it("property: the result does not depend on how the bytes are chunked", () => {
    const whole = summary(readZip([variantZip]));
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 3000 }), (seed, max) => {
        expect(summary(readZip(chunksOf(variantZip, seed, max)))).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it("skips a launch script before the first entry (executable Spring Boot jars)", () => {
    const script = Buffer.from(`#!/bin/bash\n# launch script\n${"x".repeat(9000)}\nexit 0\n`);
    const r = readZip(chunksOf(zipBuffer(variants.slice(0, 2), { preamble: script }), 3, 1000));
    expect(r.warnings).toEqual([]);
    expect(r.entries.map((e) => e.name)).toEqual(["deflate.txt", "deflate-dd.txt"]);
  });

  it("an empty archive is just an end record", () => {
    const r = readZip([zipBuffer([])]);
    expect(r).toMatchObject({ entries: [], warnings: [], state: "done" });
  });
});

/** Read only the entries named in `wanted` (the others get no sink); returns names seen and contents. */
function readSome(chunks: Buffer[], wanted: Set<string>) {
  const budget = { entries: 0, inflated: 0, maxEntries: 1e6, maxInflated: 2 ** 31 };
  const seen: string[] = [];
  const got = new Map<string, Buffer>();
  const warnings: string[] = [];
  const r = new ZipStreamReader({
    budget,
    warn: (m) => warnings.push(m),
    onEntry(e) {
      seen.push(e.name);
      if (!wanted.has(e.name)) return undefined;
      const parts: Buffer[] = [];
      return {
        data: (c) => {
          parts.push(Buffer.from(c));
          return true;
        },
        end: (complete) => {
          if (complete) got.set(e.name, Buffer.concat(parts));
        },
      };
    },
  });
  for (const c of chunks) if (!r.write(c)) break;
  r.end();
  return { seen, got, warnings, state: r.state, inflated: budget.inflated };
}

describe("ZipStreamReader skipping unwanted entries", () => {
  // `jar`-style archive: every deflated entry has its sizes only in a data descriptor
  const many: ZipSpec[] = [
    ...Array.from(
      { length: 40 },
      (_, i): ZipSpec => ({
        name: `c/C${i}.class`,
        data: i % 2 ? randomBytes(700 + i * 13) : content(900 + i * 17),
        descriptor: true,
        descriptorSig: i % 3 !== 0,
      }),
    ),
    {
      name: "META-INF/maven/g/a/pom.properties",
      data: "groupId=g\nartifactId=a\nversion=1\n",
      descriptor: true,
    },
    { name: "z/last.class", data: content(3000), descriptor: true },
  ];
  const zip = zipBuffer(many);
  const pom = "META-INF/maven/g/a/pom.properties";

  it("finds where an unwanted flag-bit-3 deflated entry ends without decoding it", () => {
    const r = readSome([zip], new Set([pom]));
    expect(r.warnings).toEqual([]);
    expect(r.state).toBe("done");
    expect(r.seen).toEqual(many.map((m) => m.name));
    expect(r.got.get(pom)?.toString()).toBe("groupId=g\nartifactId=a\nversion=1\n");
    // only the wanted entry was inflated
    expect(r.inflated).toBe(Buffer.byteLength(many[40]!.data as string));
  });

  it("property: the same entries whatever the chunking, wanted or not", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5000 }), (seed, max) => {
        const r = readSome(chunksOf(zip, seed, max), new Set([pom, "c/C7.class", "z/last.class"]));
        expect(r.warnings).toEqual([]);
        expect(r.seen).toEqual(many.map((m) => m.name));
        expect([...r.got.keys()].sort()).toEqual(["c/C7.class", pom, "z/last.class"].sort());
        expect(r.got.get("c/C7.class")!.equals(many[7]!.data as Buffer)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("the variants archive reads the same with nothing wanted", () => {
    const r = readSome(chunksOf(variantZip, 5, 700), new Set());
    expect(r).toMatchObject({ warnings: [], state: "done", inflated: 0 });
    expect(r.seen).toEqual(variants.map((v) => v.name));
  });
});

describe("ZipStreamReader on damaged input", () => {
  it("not a zip: one warning", () => {
    const r = readZip([Buffer.from("this is a text file named .jar\n".repeat(10))]);
    expect(r.warnings).toEqual(["not a zip archive (no local file header)"]);
  });

  it("truncated inside an entry: earlier entries kept, the cut one incomplete", () => {
    const cut = variantZip.subarray(0, 6000);
    const r = readZip(chunksOf(cut, 1, 512));
    expect(r.entries[0]).toMatchObject({ name: "deflate.txt", complete: true });
    expect(r.entries.at(-1)!.complete).toBe(false);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^truncated at offset 6000 inside entry "/);
  });

  it("truncated before the central directory", () => {
    const z = zipBuffer([{ name: "a.txt", data: "a" }]);
    const r = readZip([z.subarray(0, z.indexOf(Buffer.from("PK\x01\x02")))]);
    expect(r.entries[0]!.complete).toBe(true);
    expect(r.warnings[0]).toMatch(/central directory is missing/);
  });

  it("encrypted and unsupported methods are skipped with a warning, the next entries still read", () => {
    const z = zipBuffer([
      { name: "secret.txt", data: "xx", method: 0, flags: 1 },
      { name: "bz.txt", data: "yy", method: 0 },
      { name: "after.txt", data: "after" },
    ]);
    z.writeUInt16LE(12, z.indexOf(Buffer.from("PK\x03\x04", "latin1"), 1) + 8); // claim bzip2 for the second entry
    const r = readZip([z]);
    expect(r.warnings).toEqual([
      'entry "secret.txt": encrypted; not read',
      'entry "bz.txt": compression method 12; not read',
    ]);
    expect(r.entries.map((e) => [e.name, e.complete, e.data.toString()])).toEqual([
      ["secret.txt", false, ""],
      ["bz.txt", false, ""],
      ["after.txt", true, "after"],
    ]);
  });

  it("corrupt deflate data with a known size spoils only that entry", () => {
    const z = zipBuffer([
      { name: "bad.txt", data: content(3000) },
      { name: "good.txt", data: "good" },
    ]);
    const dataAt = 30 + "bad.txt".length;
    z.fill(0xff, dataAt, dataAt + 40);
    const r = readZip([z]);
    expect(r.warnings[0]).toMatch(/^entry "bad.txt": corrupt deflate data/);
    expect(r.entries[1]).toMatchObject({ name: "good.txt", complete: true });
    expect(r.state).toBe("done");
  });

  it("corrupt deflate data without a size stops the reader", () => {
    const z = zipBuffer([
      { name: "bad.txt", data: content(3000), descriptor: true },
      { name: "good.txt", data: "good" },
    ]);
    z.fill(0xff, 30 + 7, 30 + 7 + 40);
    const r = readZip([z]);
    expect(r.state).toBe("failed");
    expect(r.warnings).toHaveLength(1);
    expect(r.entries).toHaveLength(1);
  });

  it("entry and inflate budgets stop the reader with a warning", () => {
    expect(readZip([variantZip], { maxEntries: 3 }).warnings).toEqual(["stopped after 3 entries"]);
    const bomb = zipBuffer([{ name: "zeros", data: Buffer.alloc(5 << 20) }]);
    expect(bomb.length).toBeLessThan(10_000);
    const r = readZip([bomb], { maxInflated: 1 << 20 });
    expect(r.warnings[0]).toMatch(/stopped after inflating 1048576 bytes/);
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), fc.integer(), (d, seed) => {
        readZip(chunksOf(Buffer.from(d), seed, 300));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on damaged archives (random bytes overwritten, random cut)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(variantZip.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(variantZip.length),
        fc.integer(),
        (edits, cut, seed) => {
          const z = Buffer.from(variantZip);
          for (const [at, v] of edits) z[at] = v;
          const r = readZip(chunksOf(z.subarray(0, cut), seed, 2000));
          if (r.state !== "done") expect(r.warnings.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
