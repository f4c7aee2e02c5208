/**
 * A small read-only zip reader (PKWARE APPNOTE 6.3.x §4.3): enough for osv.dev's `all.zip` exports —
 * stored and deflated members, zip64 counts/sizes/offsets. Members are read in file order through an
 * 8 MiB window, so a million small records cost a few hundred reads, not a million.
 * Encrypted or otherwise compressed members are skipped with a warning; a member that would inflate past
 * `maxEntryBytes` is refused (zip bomb).
 */
import { open } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
import type { ImportContext } from "./common.js";

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const WINDOW = 8 << 20;

interface Member {
  name: string;
  method: number;
  flags: number;
  compressed: number;
  size: number;
  offset: number;
}

const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));

/** Is this buffer the start of a zip file? */
export const isZip = (head: Buffer): boolean => head.length >= 4 && head.readUInt32LE(0) === LOCAL;

function zip64Extra(extra: Buffer, m: Member): void {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      const end = i + 4 + len;
      let p = i + 4;
      if (m.size === 0xffffffff && p + 8 <= end) {
        m.size = u64(extra, p);
        p += 8;
      }
      if (m.compressed === 0xffffffff && p + 8 <= end) {
        m.compressed = u64(extra, p);
        p += 8;
      }
      if (m.offset === 0xffffffff && p + 8 <= end) m.offset = u64(extra, p);
      return;
    }
    i += 4 + len;
  }
}

/** Every file member of the zip at `path`, in archive order, as UTF-8 text. Throws only on a broken archive. */
export async function* zipTextEntries(
  path: string,
  ctx: ImportContext,
  want: (name: string) => boolean,
  maxEntryBytes = 64 << 20,
): AsyncGenerator<{ name: string; text: string }> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const read = async (at: number, length: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - at)));
      if (buf.length) await fh.read(buf, 0, buf.length, at);
      return buf;
    };
    const tailAt = Math.max(0, size - (0xffff + 22));
    const tail = await read(tailAt, size - tailAt);
    let e = -1;
    for (let i = tail.length - 22; i >= 0; i--)
      if (tail.readUInt32LE(i) === EOCD) {
        e = i;
        break;
      }
    if (e < 0) throw new Error("no end-of-central-directory record (not a zip, or truncated)");
    let count = tail.readUInt16LE(e + 10);
    let cdSize = tail.readUInt32LE(e + 12);
    let cdAt = tail.readUInt32LE(e + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdAt === 0xffffffff) {
      const loc = e - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR) throw new Error("zip64 locator missing");
      const z = await read(u64(tail, loc + 8), 56);
      if (z.length < 56 || z.readUInt32LE(0) !== ZIP64_EOCD) throw new Error("zip64 end record missing");
      count = u64(z, 32);
      cdSize = u64(z, 40);
      cdAt = u64(z, 48);
    }
    const cd = await read(cdAt, cdSize);
    const members: Member[] = [];
    for (let p = 0, n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
        throw new Error(`central directory entry ${n} is corrupt`);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const m: Member = {
        name: cd.toString("utf8", p + 46, p + 46 + nameLen),
        flags: cd.readUInt16LE(p + 8),
        method: cd.readUInt16LE(p + 10),
        compressed: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        offset: cd.readUInt32LE(p + 42),
      };
      zip64Extra(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), m);
      p += 46 + nameLen + extraLen + commentLen;
      if (!m.name.endsWith("/") && want(m.name)) members.push(m);
    }
    members.sort((a, b) => a.offset - b.offset);
    let win = Buffer.alloc(0);
    let winAt = 0;
    const slice = async (at: number, length: number) => {
      if (at < winAt || at + length > winAt + win.length) {
        win = await read(at, Math.max(WINDOW, length + 1024));
        winAt = at;
      }
      return win.subarray(at - winAt, at - winAt + length);
    };
    for (const m of members) {
      if (m.flags & 1 || (m.method !== 0 && m.method !== 8)) {
        ctx.warn(`${path}!${m.name}: encrypted or unsupported compression (method ${m.method}); skipped`);
        continue;
      }
      if (m.size > maxEntryBytes) {
        ctx.warn(
          `${path}!${m.name}: ${m.size} bytes is over the ${maxEntryBytes}-byte member limit; skipped`,
        );
        continue;
      }
      const local = await slice(m.offset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== LOCAL)
        throw new Error(`${m.name}: local header missing`);
      const dataAt = m.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = await slice(dataAt, m.compressed);
      let body: Buffer;
      try {
        body = m.method === 0 ? data : inflateRawSync(data, { maxOutputLength: maxEntryBytes });
      } catch (err) {
        ctx.warn(`${path}!${m.name}: cannot inflate (${(err as Error).message}); skipped`);
        continue;
      }
      yield { name: m.name, text: body.toString("utf8") };
    }
  } finally {
    await fh.close();
  }
}
