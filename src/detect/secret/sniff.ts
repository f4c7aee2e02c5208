import type { FileMode } from "./ruleset.js";

/**
 * What kind of file this is, from its first bytes: text (every rule), binary (a NUL in the first
 * SNIFF bytes, as git decides; only rules marked `binary`) or an entropy-coded format (skipped).
 */

/** git's binary heuristic looks at the first 8000 bytes for a NUL */
export const SNIFF = 8000;

/**
 * Entropy-coded formats by magic number: a plaintext secret cannot appear in them, so reading stops
 * after the sniff. gzip, xz, zstd, bzip2, 7z, lz4 frames, PNG, JPEG, GIF, WOFF/WOFF2. Not zip: its
 * entries may be stored uncompressed (jars, wheels), so zip files are scanned as binaries.
 */
const COMPRESSED =
  /^(?:\x1f\x8b|\xfd7zXZ\0|\x28\xb5\x2f\xfd|BZh[1-9]|7z\xbc\xaf\x27\x1c|\x04\x22\x4d\x18|\x89PNG|\xff\xd8\xff|GIF8[79]a|wOF[F2])/;

export function sniff(head: Buffer): FileMode | "skip" {
  if (COMPRESSED.test(head.toString("latin1", 0, 8))) return "skip";
  return head.subarray(0, SNIFF).includes(0) ? "binary" : "text";
}
