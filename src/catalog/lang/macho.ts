import { type ExeLayout, type Segment, u32, u64 } from "./exe.js";

/**
 * Thin (single-architecture) Mach-O: header then load commands; LC_SEGMENT / LC_SEGMENT_64 give each
 * segment's file range, address and initial protection. Universal (fat) files are not handled.
 */
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const VM_PROT_WRITE = 2;

export function parseMachoLayout(head: Buffer): ExeLayout | undefined {
  const m = head.readUInt32LE(0);
  const be = m === 0xcefaedfe || m === 0xcffaedfe;
  const is64 = m === 0xfeedfacf || m === 0xcffaedfe;
  const ncmds = u32(head, 16, be);
  const sizeofcmds = u32(head, 20, be);
  let p = is64 ? 32 : 28;
  if (p + sizeofcmds > head.length || ncmds > 4096) return undefined;
  const segments: Segment[] = [];
  for (let i = 0; i < ncmds; i++) {
    const cmd = u32(head, p, be);
    const size = u32(head, p + 4, be);
    if (size < 8) return undefined;
    if (cmd === LC_SEGMENT_64) {
      const seg = {
        vaddr: u64(head, p + 24, be),
        fileOff: u64(head, p + 40, be),
        fileSize: u64(head, p + 48, be),
        writable: (u32(head, p + 60, be) & VM_PROT_WRITE) !== 0,
      };
      if (seg.vaddr >= 0 && seg.fileOff >= 0 && seg.fileSize > 0) segments.push(seg);
    } else if (cmd === LC_SEGMENT) {
      const fileSize = u32(head, p + 36, be);
      if (fileSize > 0)
        segments.push({
          vaddr: u32(head, p + 24, be),
          fileOff: u32(head, p + 32, be),
          fileSize,
          writable: (u32(head, p + 44, be) & VM_PROT_WRITE) !== 0,
        });
    }
    p += size;
  }
  return { format: "macho", bigEndian: be, segments };
}
