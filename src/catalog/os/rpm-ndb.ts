import { inputError } from "../../model/index.js";
import type { RpmBlob } from "./rpm-bdb.js";

/**
 * Reader for rpm's native "ndb" package store (`Packages.db`, used by SUSE since rpm 4.16). Facts used:
 *  - file header (32 bytes): magic "RpmP", version (0), generation, slot page count, next package index;
 *  - slot area = slotnpages × 4096 bytes starting at 0, the header taking the first two 16-byte slots; a slot is
 *    {magic "Slot", pkgidx, blkoff, blkcnt} with pkgidx 0 meaning free; blkoff/blkcnt are in 16-byte blocks;
 *  - a blob = {magic "BlbS", pkgidx, generation, blen} + blen header bytes, and its last 12 bytes of the
 *    blkcnt blocks are {checksum, blen, magic "BlbE"}.
 * rpm writes every field little-endian explicitly (not host order), so there is only one byte order here.
 */

const fourcc = (s: string): number =>
  (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
const DB_MAGIC = fourcc("RpmP");
const SLOT_MAGIC = fourcc("Slot");
const BLOB_MAGIC = fourcc("BlbS");
const BLOB_END_MAGIC = fourcc("BlbE");
const PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const DB_HEADER_SIZE = 32;
const BLOB_HEAD = 16;
const BLOB_TAIL = 12;

export function readNdbPackages(buf: Uint8Array, warn: (msg: string) => void = () => {}): RpmBlob[] {
  if (buf.length < DB_HEADER_SIZE) throw inputError(`ndb: file too short (${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u32 = (at: number): number => view.getUint32(at, true);
  if (u32(0) !== DB_MAGIC) throw inputError("ndb: bad magic, not an rpm Packages.db");
  if (u32(4) !== 0) throw inputError(`ndb: unsupported version ${u32(4)}`);
  const slotPages = u32(12);
  if (slotPages === 0 || slotPages * PAGE_SIZE > buf.length) {
    throw inputError(`ndb: slot area of ${slotPages} pages does not fit the ${buf.length}-byte file`);
  }

  const out: RpmBlob[] = [];
  const seen = new Set<number>();
  for (let at = DB_HEADER_SIZE; at + SLOT_SIZE <= slotPages * PAGE_SIZE; at += SLOT_SIZE) {
    if (u32(at) !== SLOT_MAGIC) {
      // Slots are written as one array; a bad magic means the rest of the area is garbage too.
      warn(`ndb: slot at offset ${at} has a bad magic; remaining slots skipped`);
      break;
    }
    const pkgIdx = u32(at + 4);
    if (pkgIdx === 0) continue; // free slot
    const start = u32(at + 8) * BLOCK_SIZE;
    const span = u32(at + 12) * BLOCK_SIZE;
    const where = `ndb: package ${pkgIdx}`;
    if (seen.has(pkgIdx)) {
      warn(`${where}: listed in more than one slot; later copy skipped`);
      continue;
    }
    if (span < BLOB_HEAD + BLOB_TAIL || start < slotPages * PAGE_SIZE || start + span > buf.length) {
      warn(`${where}: blob at ${start}+${span} lies outside the data area; skipped`);
      continue;
    }
    if (u32(start) !== BLOB_MAGIC || u32(start + 4) !== pkgIdx) {
      warn(`${where}: blob header does not match its slot; skipped`);
      continue;
    }
    const blen = u32(start + 12);
    const tail = start + span - BLOB_TAIL;
    if (BLOB_HEAD + blen + BLOB_TAIL > span || u32(tail + 4) !== blen || u32(tail + 8) !== BLOB_END_MAGIC) {
      warn(`${where}: blob length ${blen} or trailer is inconsistent; skipped`);
      continue;
    }
    seen.add(pkgIdx);
    out.push({ id: pkgIdx, blob: buf.subarray(start + BLOB_HEAD, start + BLOB_HEAD + blen) });
  }
  return out;
}
