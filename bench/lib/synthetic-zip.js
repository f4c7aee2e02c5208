import { crc32, deflateRawSync } from "node:zlib";

/**
 * A minimal zip (jar) writer for the synthetic benchmark image, producing what real tools write:
 *
 * - `descriptor: false` — sizes and CRC in the local header (Maven's plexus-archiver, Gradle, and the
 *   STORED nested jars of a Spring Boot fat jar, which the loader needs uncompressed and pre-sized);
 * - `descriptor: true` — flag bit 3, zeros in the local header and a signed data descriptor after the
 *   data (java.util.zip / `jar`, sbt, and Spring Boot's own writer for the deflated entries of the
 *   outer jar): a streaming reader can only find where such an entry ends by inflating it.
 *
 * Directory entries (`name/`) are stored and empty, as in real jars. The result is an array of buffers
 * (local entries then the central directory and its end record), never one big copy.
 */

const DOS_TIME = (12 << 11) | (0 << 5); // 12:00:00
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1; // 2026-01-01

/**
 * entries: [{ name, data: Buffer, method: 0 | 8, descriptor?: boolean }].
 * Returns { parts: Buffer[], size } (the whole archive, in order).
 */
export function writeZip(entries, { level = 6 } = {}) {
  const parts = [];
  const central = [];
  let offset = 0;
  const push = (b) => {
    parts.push(b);
    offset += b.length;
  };
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const isDir = e.name.endsWith("/");
    const data = isDir ? Buffer.alloc(0) : e.data;
    const method = isDir ? 0 : e.method;
    const descriptor = !isDir && method === 8 && e.descriptor === true;
    const body = method === 8 ? deflateRawSync(data, { level }) : data;
    const crc = crc32(data);
    const flags = 0x0800 | (descriptor ? 8 : 0); // UTF-8 names
    const start = offset;
    const lfh = Buffer.alloc(30);
    lfh.writeUInt32LE(0x04034b50, 0);
    lfh.writeUInt16LE(method === 8 ? 20 : 10, 4);
    lfh.writeUInt16LE(flags, 6);
    lfh.writeUInt16LE(method, 8);
    lfh.writeUInt16LE(DOS_TIME, 10);
    lfh.writeUInt16LE(DOS_DATE, 12);
    lfh.writeUInt32LE(descriptor ? 0 : crc, 14);
    lfh.writeUInt32LE(descriptor ? 0 : body.length, 18);
    lfh.writeUInt32LE(descriptor ? 0 : data.length, 22);
    lfh.writeUInt16LE(name.length, 26);
    lfh.writeUInt16LE(0, 28);
    push(lfh);
    push(name);
    if (body.length) push(body);
    if (descriptor) {
      const dd = Buffer.alloc(16);
      dd.writeUInt32LE(0x08074b50, 0);
      dd.writeUInt32LE(crc, 4);
      dd.writeUInt32LE(body.length, 8);
      dd.writeUInt32LE(data.length, 12);
      push(dd);
    }
    const cdh = Buffer.alloc(46);
    cdh.writeUInt32LE(0x02014b50, 0);
    cdh.writeUInt16LE(0x0314, 4); // made by: unix, 2.0
    cdh.writeUInt16LE(method === 8 ? 20 : 10, 6);
    cdh.writeUInt16LE(flags, 8);
    cdh.writeUInt16LE(method, 10);
    cdh.writeUInt16LE(DOS_TIME, 12);
    cdh.writeUInt16LE(DOS_DATE, 14);
    cdh.writeUInt32LE(crc, 16);
    cdh.writeUInt32LE(body.length, 20);
    cdh.writeUInt32LE(data.length, 24);
    cdh.writeUInt16LE(name.length, 28);
    cdh.writeUInt32LE(((isDir ? 0o40755 : 0o100644) << 16) >>> 0, 38);
    cdh.writeUInt32LE(start, 42);
    central.push(cdh, name);
  }
  const cdStart = offset;
  for (const b of central) push(b);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(offset - cdStart, 12);
  eocd.writeUInt32LE(cdStart, 16);
  push(eocd);
  return { parts, size: offset };
}

/** One archive as a single buffer (nested jars are entries' data). */
export function zipBuffer(entries, opts) {
  const { parts, size } = writeZip(entries, opts);
  return Buffer.concat(parts, size);
}
