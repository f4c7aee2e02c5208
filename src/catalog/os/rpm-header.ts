import { inputError } from "../../model/index.js";

/**
 * Parser for the header blobs rpm stores in its package database (BDB `Packages`, NDB `Packages.db`,
 * `rpmdb.sqlite`). Layout, from rpm's file-format documentation: a blob has no lead/magic, just
 *   u32 il (index entry count) | u32 dl (data store length) | il × {u32 tag, u32 type, u32 offset, u32 count} | dl bytes
 * All integers are big-endian (network order) regardless of the database's own byte order.
 */

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  LONGSIZE: 5009,
  MODULARITYLABEL: 5096,
} as const;

const TYPE_INT32 = 4;
const TYPE_INT64 = 5;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

const ENTRY_SIZE = 16;
/** rpm refuses headers with il >= 2^16 (hdrchkTags); a larger count is corruption, not a real package */
const MAX_INDEX_ENTRIES = 0xffff;

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  /** absent when the package has no EPOCH tag (rpm prints `(none)`) */
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  size?: number;
  modularityLabel?: string;
}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

// Non-fatal decoding: old packages carry Latin-1 in LICENSE/VENDOR; a replacement char beats dropping the package.
const utf8 = new TextDecoder("utf-8", { fatal: false });

export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  if (blob.length < 8) throw inputError(`rpm header: blob too short (${blob.length} bytes)`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(0, false);
  const dl = view.getUint32(4, false);
  if (il === 0 || il > MAX_INDEX_ENTRIES) throw inputError(`rpm header: implausible index count ${il}`);
  const dataStart = 8 + il * ENTRY_SIZE;
  // Compare in float arithmetic: il ≤ 0xffff and dl < 2^32 cannot overflow a double.
  if (dataStart + dl > blob.length) {
    throw inputError(
      `rpm header: index (${il} entries) and data (${dl} bytes) exceed blob length ${blob.length}`,
    );
  }
  const data = blob.subarray(dataStart, dataStart + dl);
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);

  // Only the tags we use are kept; first occurrence wins (duplicates are corruption, rpm rejects them).
  const wanted = new Set<number>(Object.values(RPMTAG));
  const entries = new Map<number, Entry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = view.getUint32(at, false);
    if (!wanted.has(tag) || entries.has(tag)) continue;
    entries.set(tag, {
      type: view.getUint32(at + 4, false),
      offset: view.getUint32(at + 8, false),
      count: view.getUint32(at + 12, false),
    });
  }

  const str = (tag: number): string | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE_STRING && e.type !== TYPE_STRING_ARRAY && e.type !== TYPE_I18NSTRING) {
      throw inputError(`rpm header: tag ${tag} has type ${e.type}, expected a string`);
    }
    if (e.count === 0 || e.offset >= dl)
      throw inputError(`rpm header: tag ${tag} points outside the data store`);
    // For arrays / i18n tables the first element is the untranslated (C locale) value.
    const end = data.indexOf(0, e.offset);
    if (end < 0) throw inputError(`rpm header: tag ${tag} string is not NUL-terminated`);
    return utf8.decode(data.subarray(e.offset, end));
  };

  const int = (tag: number): number | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    const width = e.type === TYPE_INT32 ? 4 : e.type === TYPE_INT64 ? 8 : 0;
    if (width === 0) throw inputError(`rpm header: tag ${tag} has type ${e.type}, expected an integer`);
    if (e.count === 0 || e.offset + width > dl)
      throw inputError(`rpm header: tag ${tag} points outside the data store`);
    return width === 4 ? dataView.getUint32(e.offset, false) : Number(dataView.getBigUint64(e.offset, false));
  };

  const name = str(RPMTAG.NAME);
  if (!name) throw inputError("rpm header: no NAME tag");
  const h: RpmHeader = { name, version: str(RPMTAG.VERSION) ?? "", release: str(RPMTAG.RELEASE) ?? "" };
  const epoch = int(RPMTAG.EPOCH);
  if (epoch !== undefined) h.epoch = epoch;
  const size = int(RPMTAG.LONGSIZE) ?? int(RPMTAG.SIZE);
  if (size !== undefined) h.size = size;
  // An empty string carries no information; leave the field unset rather than emit "".
  const set = (v: string | undefined): string | undefined => (v ? v : undefined);
  const optional = {
    arch: set(str(RPMTAG.ARCH)),
    sourceRpm: set(str(RPMTAG.SOURCERPM)),
    license: set(str(RPMTAG.LICENSE)),
    vendor: set(str(RPMTAG.VENDOR)),
    modularityLabel: set(str(RPMTAG.MODULARITYLABEL)),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(h, { [k]: v });
  return h;
}
