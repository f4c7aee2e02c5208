import { type ExeLayout, type Segment, u16, u32, u64 } from "./exe.js";

/**
 * ELF header and program headers (System V gABI, "Object Files" chapter). Only what the streaming
 * analyzers use: PT_LOAD segments (file range, address, writable flag), PT_NOTE ranges and e_shoff.
 */
const PT_LOAD = 1;
const PT_NOTE = 4;
const PF_W = 2;
const PN_XNUM = 0xffff;

export function parseElfLayout(head: Buffer): ExeLayout | undefined {
  if (head.length < 52) return undefined;
  const cls = head[4];
  const data = head[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const be = data === 2;
  const is64 = cls === 2;
  const phoff = is64 ? u64(head, 0x20, be) : u32(head, 0x1c, be);
  const shoff = is64 ? u64(head, 0x28, be) : u32(head, 0x20, be);
  const phentsize = u16(head, is64 ? 0x36 : 0x2a, be);
  const phnum = u16(head, is64 ? 0x38 : 0x2c, be);
  if (phoff < 0 || shoff < 0 || phnum === PN_XNUM) return undefined;
  if (phentsize < (is64 ? 56 : 32) || phoff + phnum * phentsize > head.length) return undefined;
  const segments: Segment[] = [];
  const notes: { off: number; size: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = u32(head, p, be);
    const flags = u32(head, is64 ? p + 4 : p + 24, be);
    const off = is64 ? u64(head, p + 8, be) : u32(head, p + 4, be);
    const vaddr = is64 ? u64(head, p + 16, be) : u32(head, p + 8, be);
    const filesz = is64 ? u64(head, p + 32, be) : u32(head, p + 16, be);
    if (off < 0 || vaddr < 0 || filesz <= 0) continue;
    if (type === PT_LOAD)
      segments.push({ fileOff: off, fileSize: filesz, vaddr, writable: (flags & PF_W) !== 0 });
    else if (type === PT_NOTE) notes.push({ off, size: filesz });
  }
  return { format: "elf", bigEndian: be, segments, notes, shoff };
}

export interface ElfNote {
  name: string;
  type: number;
}

/** The notes of one PT_NOTE segment's bytes (namesz, descsz, type, name and desc padded to 4). */
export function parseElfNotes(b: Buffer, be: boolean): ElfNote[] {
  const out: ElfNote[] = [];
  let p = 0;
  while (p + 12 <= b.length && out.length < 64) {
    const namesz = u32(b, p, be);
    const descsz = u32(b, p + 4, be);
    const type = u32(b, p + 8, be);
    const nameEnd = p + 12 + namesz;
    if (namesz > b.length || descsz > b.length || nameEnd > b.length) break;
    out.push({ name: b.toString("latin1", p + 12, nameEnd).replace(/\0+$/, ""), type });
    p = nameEnd + ((4 - (namesz % 4)) % 4);
    p += descsz + ((4 - (descsz % 4)) % 4);
  }
  return out;
}

/** The Go linker's build-id note: owner "Go", type 4 (cmd/link ELF_NOTE_GOBUILDID_TAG). */
export const isGoBuildIdNote = (n: ElfNote): boolean => n.name === "Go" && n.type === 4;
