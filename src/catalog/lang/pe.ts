import { type ExeLayout, type Segment, u16, u32, u64 } from "./exe.js";

/**
 * PE/COFF (Microsoft PE format spec): DOS stub → e_lfanew → "PE\0\0" → COFF header → optional header
 * (ImageBase) → section table. A section's address is ImageBase + VirtualAddress.
 */
const IMAGE_SCN_MEM_WRITE = 0x80000000;

export function parsePeLayout(head: Buffer): ExeLayout | undefined {
  if (head.length < 0x40) return undefined;
  const pe = head.readUInt32LE(0x3c);
  if (pe + 24 > head.length || head.readUInt32BE(pe) !== 0x50450000) return undefined;
  const nsections = u16(head, pe + 6, false);
  const optSize = u16(head, pe + 20, false);
  const opt = pe + 24;
  const magic = u16(head, opt, false);
  let imageBase: number;
  if (magic === 0x10b) imageBase = u32(head, opt + 28, false);
  else if (magic === 0x20b) imageBase = u64(head, opt + 24, false);
  else return undefined;
  if (imageBase < 0) return undefined;
  const table = opt + optSize;
  if (table + nsections * 40 > head.length) return undefined;
  const segments: Segment[] = [];
  for (let i = 0; i < nsections; i++) {
    const s = table + i * 40;
    const fileSize = u32(head, s + 16, false);
    if (fileSize === 0) continue;
    segments.push({
      vaddr: imageBase + u32(head, s + 12, false),
      fileOff: u32(head, s + 20, false),
      fileSize,
      writable: (u32(head, s + 36, false) & IMAGE_SCN_MEM_WRITE) !== 0,
    });
  }
  return { format: "pe", bigEndian: false, segments };
}
