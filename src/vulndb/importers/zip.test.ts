import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { collectingSink, FIXTURES, recordingContext } from "../vulndb.testutil.js";
import { importPath } from "./index.js";
import { zipTextEntries } from "./zip.js";

/** A minimal zip writer (APPNOTE 4.3): stored or deflated members, optionally with zip64 records. */
function buildZip(members: { name: string; data: Buffer; deflate?: boolean }[], zip64 = false): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const body = m.deflate ? deflateRawSync(m.data) : m.data;
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(m.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(m.data.length), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(45, 6);
    c.writeUInt16LE(m.deflate ? 8 : 0, 10);
    c.writeUInt32LE(crc32(m.data), 16);
    c.writeUInt32LE(zip64 ? 0xffffffff : body.length, 20);
    c.writeUInt32LE(zip64 ? 0xffffffff : m.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    central.push(c, name, extra);
    parts.push(local, name, body);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeBigUInt64LE(BigInt(members.length), 24);
    z.writeBigUInt64LE(BigInt(members.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(zip64 ? 0xffff : members.length, 8);
  e.writeUInt16LE(zip64 ? 0xffff : members.length, 10);
  e.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12);
  e.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...parts, cd, ...tail, e]);
}

const work = mkdtempSync(join(tmpdir(), "airbag-zip-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const osv = (f: string) => readFileSync(join(FIXTURES, "osv", f));

describe("zip reader", () => {
  it.each([false, true])("reads stored and deflated members (zip64: %s)", async (zip64) => {
    const path = join(work, `t${zip64}.zip`);
    writeFileSync(
      path,
      buildZip(
        [
          { name: "GO-2022-0969.json", data: osv("GO-2022-0969.json"), deflate: true },
          { name: "dir/", data: Buffer.alloc(0) },
          { name: "MAL-2025-20690.json", data: osv("MAL-2025-20690.json") },
        ],
        zip64,
      ),
    );
    const got: string[] = [];
    for await (const e of zipTextEntries(path, recordingContext(), () => true))
      got.push(`${e.name} ${JSON.parse(e.text).id}`);
    expect(got).toEqual(["GO-2022-0969.json GO-2022-0969", "MAL-2025-20690.json MAL-2025-20690"]);
  });

  it("imports an osv.dev-style all.zip made by Info-ZIP", async () => {
    const path = join(work, "all.zip");
    execFileSync("zip", [
      "-q",
      "-j",
      path,
      join(FIXTURES, "osv", "GO-2022-0969.json"),
      join(FIXTURES, "osv", "GHSA-jfh8-c2jp-5v3q.json"),
    ]);
    const c = collectingSink();
    const ctx = recordingContext();
    expect(await importPath(path, c.sink, ctx)).toEqual([
      { format: "osv", files: 2, records: 2, skipped: 0 },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it("refuses a member that inflates past the limit, and a truncated archive, with warnings", async () => {
    const bomb = join(work, "bomb.zip");
    writeFileSync(bomb, buildZip([{ name: "big.json", data: Buffer.alloc(4096, 0x20), deflate: true }]));
    const ctx = recordingContext();
    for await (const _ of zipTextEntries(bomb, ctx, () => true, 1024)) expect.unreachable();
    expect(ctx.warnings).toEqual([
      expect.stringMatching(/big\.json: 4096 bytes is over the 1024-byte member limit/),
    ]);
    const cut = join(work, "cut.zip");
    writeFileSync(cut, readFileSync(bomb).subarray(0, 40));
    const c = collectingSink();
    await importPath(cut, c.sink, ctx);
    expect(ctx.warnings.at(-2)).toMatch(/cut\.zip: unreadable zip \(no end-of-central-directory record/);
  });
});
