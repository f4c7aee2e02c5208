import { inputError } from "../../model/index.js";

/**
 * Read-only reader for the Berkeley DB *hash* database rpm ≤ 4.15 uses for `/var/lib/rpm/Packages`.
 * Key = header number (u32, host order), value = header blob. Facts used (Berkeley DB on-disk format):
 *  - page 0 is the hash metadata page: magic 0x061561 at 12, page size at 20, encrypt_alg at 24, last_pgno at 32;
 *  - every other page starts with a 26-byte header: pgno@8 prev@12 next@16 entries(u16)@20 hf_offset(u16)@22
 *    level@24 type@25, followed by `entries` u16 item offsets; items grow down from the end of the page;
 *  - hash pages (type 2 / 13) hold alternating key/data items; the first byte of an item is its kind:
 *    H_KEYDATA (1) inline bytes, H_OFFPAGE (3) {kind, pad[3], pgno u32, tlen u32} pointing at an overflow chain;
 *  - overflow pages (type 7) carry hf_offset bytes of data after the page header and link via next_pgno.
 * Integers are in the byte order of the machine that wrote the file; the metadata magic tells which.
 */

const HASH_MAGIC = 0x061561;
const BTREE_MAGIC = 0x053162;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;

export interface RpmBlob {
  /** rpm header number (the database key / sqlite hnum / ndb pkgidx) */
  id: number;
  blob: Uint8Array;
}

export function readBdbPackages(buf: Uint8Array, warn: (msg: string) => void = () => {}): RpmBlob[] {
  if (buf.length < 512) throw inputError(`Berkeley DB: file too short (${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let le: boolean;
  if (view.getUint32(12, true) === HASH_MAGIC) le = true;
  else if (view.getUint32(12, false) === HASH_MAGIC) le = false;
  else if ([true, false].some((l) => view.getUint32(12, l) === BTREE_MAGIC)) {
    throw inputError("Berkeley DB: btree database, rpm Packages is expected to be a hash database");
  } else throw inputError("Berkeley DB: not a hash database (bad magic)");

  const u32 = (at: number): number => view.getUint32(at, le);
  const u16 = (at: number): number => view.getUint16(at, le);

  const pageSize = u32(20);
  // Berkeley DB page sizes are powers of two between 512 bytes and 64 KiB.
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw inputError(`Berkeley DB: invalid page size ${pageSize}`);
  }
  if (buf[25] !== P_HASHMETA)
    throw inputError(`Berkeley DB: page 0 has type ${buf[25]}, expected hash metadata`);
  if (buf[24] !== 0) throw inputError("Berkeley DB: encrypted databases are not supported");
  const pagesInFile = Math.floor(buf.length / pageSize);
  const lastPgno = u32(32);
  if (lastPgno >= pagesInFile) {
    warn(`Berkeley DB: file is truncated (last page ${lastPgno}, ${pagesInFile} pages present)`);
  }
  const pageCount = Math.min(lastPgno + 1, pagesInFile);

  // Each overflow page belongs to exactly one chain, so a page seen twice means a cycle or cross-linked
  // chains: failing there bounds the total work by the page count, even on hostile input.
  const used = new Uint8Array(pageCount);
  const readOverflow = (first: number, total: number): Uint8Array => {
    const chunks: Uint8Array[] = [];
    let copied = 0;
    let pgno = first;
    while (copied < total) {
      if (pgno === 0 || pgno >= pageCount || used[pgno]) {
        throw inputError(`overflow chain broken at page ${pgno} (${copied}/${total} bytes read)`);
      }
      used[pgno] = 1;
      const at = pgno * pageSize;
      if (buf[at + 25] !== P_OVERFLOW)
        throw inputError(`page ${pgno} in an overflow chain is not an overflow page`);
      const len = u16(at + 22);
      if (PAGE_HEADER + len > pageSize) throw inputError(`overflow page ${pgno} claims ${len} bytes`);
      const n = Math.min(len, total - copied);
      chunks.push(buf.subarray(at + PAGE_HEADER, at + PAGE_HEADER + n));
      copied += n;
      pgno = u32(at + 16);
    }
    return Buffer.concat(chunks, total);
  };

  const out: RpmBlob[] = [];
  const seen = new Set<number>();
  // Scan pages in file order instead of walking buckets: every live key/data pair sits on exactly one hash page,
  // freed pages are retyped as invalid, so a linear scan finds the same records with simpler bounds.
  for (let pgno = 1; pgno < pageCount; pgno++) {
    const at = pgno * pageSize;
    const type = buf[at + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(at + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      warn(`Berkeley DB: hash page ${pgno} claims ${entries} entries; page skipped`);
      continue;
    }
    // Item i ends where item i-1 starts (or at the page end for i = 0).
    const item = (i: number): Uint8Array | undefined => {
      const start = u16(at + PAGE_HEADER + i * 2);
      const end = i === 0 ? pageSize : u16(at + PAGE_HEADER + (i - 1) * 2);
      if (start < PAGE_HEADER + entries * 2 || end > pageSize || start >= end) return undefined;
      return buf.subarray(at + start, at + end);
    };
    for (let i = 0; i + 1 < entries; i += 2) {
      const key = item(i);
      const data = item(i + 1);
      if (!key || !data) {
        warn(`Berkeley DB: page ${pgno} item ${i} has invalid offsets; skipped`);
        continue;
      }
      // rpm keys are 4-byte header numbers; record 0 is rpm's "next header number" counter, not a package.
      const id =
        key[0] === H_KEYDATA && key.length === 5
          ? new DataView(key.buffer, key.byteOffset + 1, 4).getUint32(0, le)
          : -1;
      if (id === 0 || (id > 0 && seen.has(id))) continue;
      try {
        let blob: Uint8Array;
        if (data[0] === H_KEYDATA) blob = data.subarray(1);
        else if (data[0] === H_OFFPAGE && data.length >= 12) {
          const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
          blob = readOverflow(dv.getUint32(4, le), dv.getUint32(8, le));
        } else {
          warn(`Berkeley DB: page ${pgno} item ${i + 1} has unsupported kind ${data[0]}; skipped`);
          continue;
        }
        if (id > 0) seen.add(id);
        out.push({ id, blob });
      } catch (err) {
        warn(`Berkeley DB: page ${pgno} item ${i + 1}: ${(err as Error).message}; skipped`);
      }
    }
  }
  return out;
}
