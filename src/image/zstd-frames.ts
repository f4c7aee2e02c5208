import { inputError } from "../model/index.js";

/**
 * Watches the frame headers of a zstd stream before it reaches the decoder. fzstd allocates each frame's
 * declared window and moves the whole window for every block, so a 14-byte frame declaring a 1.9 GB
 * window costs ~10 s of CPU, and a kilobyte of 2 MB-window frames costs seconds: CPU and memory
 * amplification no output-size limit sees. Refused: any frame above zstd's own default decoder limit
 * (windowLog 27, 128 MiB — `zstd -d` needs `--memory`/`--long` beyond it), and a stream whose declared
 * windows add up to more than `maxRatio` × its compressed size once past `ratioAfterBytes`.
 * Format facts: RFC 8878 §3.1 (frame header, window descriptor, block header, skippable frames).
 */

export const MAX_ZSTD_WINDOW = 2 ** 27;

type State = "magic" | "skippable-size" | "descriptor" | "header" | "block" | "checksum";

const FCS_BYTES = [0, 2, 4, 8];
const DICT_ID_BYTES = [0, 1, 2, 4];

export class ZstdFrameWatch {
  private state: State = "magic";
  private need = 4;
  private readonly held: number[] = [];
  private skip = 0;
  private descriptor = 0;
  private fed = 0;
  private declared = 0;
  private stopped = false;

  constructor(
    private readonly where: string,
    private readonly maxRatio: number,
    private readonly ratioAfterBytes: number,
  ) {}

  /** Scan the next compressed bytes; throws an INPUT error on a frame the decoder must not see. */
  feed(chunk: Buffer): void {
    this.fed += chunk.length;
    let i = 0;
    while (i < chunk.length && !this.stopped) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.held.push(chunk[i++]!);
      if (this.held.length === this.need) this.step(Buffer.from(this.held.splice(0)));
    }
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
  }

  private step(b: Buffer): void {
    switch (this.state) {
      case "magic": {
        const magic = b.readUInt32LE(0);
        if (magic === 0xfd2fb528) this.expect("descriptor", 1);
        else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) this.expect("skippable-size", 4);
        else this.stopped = true; // not a frame: the decoder reports it
        break;
      }
      case "skippable-size":
        this.skip = b.readUInt32LE(0);
        this.expect("magic", 4);
        break;
      case "descriptor": {
        const d = b[0]!;
        const single = (d >> 5) & 1;
        const fcs = d >> 6 === 0 ? single : FCS_BYTES[d >> 6]!;
        this.descriptor = d;
        const rest = (single ? 0 : 1) + DICT_ID_BYTES[d & 3]! + fcs;
        if (rest === 0) this.frame(0);
        else this.expect("header", rest);
        break;
      }
      case "header":
        this.frame(this.windowOf(b));
        break;
      case "block": {
        const v = b[0]! | (b[1]! << 8) | (b[2]! << 16);
        const type = (v >> 1) & 3;
        this.skip = type === 1 ? 1 : v >>> 3;
        const last = v & 1;
        const checksum = (this.descriptor >> 2) & 1;
        if (!last) this.expect("block", 3);
        else if (checksum) this.expect("checksum", 4);
        else this.expect("magic", 4);
        break;
      }
      case "checksum":
        this.expect("magic", 4);
        break;
    }
  }

  /** The window a frame header declares (its bytes after the descriptor). */
  private windowOf(b: Buffer): number {
    const d = this.descriptor;
    if (!((d >> 5) & 1)) {
      const base = 2 ** (10 + (b[0]! >> 3));
      return base + (base / 8) * (b[0]! & 7);
    }
    // single segment: the window is the frame content size (the last 1-8 bytes)
    const fcs = d >> 6 === 0 ? 1 : FCS_BYTES[d >> 6]!;
    const at = b.length - fcs;
    let size = 0;
    for (let k = fcs - 1; k >= 0; k--) size = size * 256 + b[at + k]!;
    return fcs === 2 ? size + 256 : size;
  }

  private frame(window: number): void {
    if (window > MAX_ZSTD_WINDOW)
      throw inputError(
        `${this.where}: zstd frame declares a ${Math.round(window / 2 ** 20)} MiB window (limit ${MAX_ZSTD_WINDOW / 2 ** 20} MiB, like zstd's own decoder); refusing`,
      );
    this.declared += window;
    if (this.declared > this.ratioAfterBytes && this.declared > this.fed * this.maxRatio)
      throw inputError(
        `${this.where}: zstd frames declare ${Math.round(this.declared / 2 ** 20)} MiB of windows in ${this.fed} bytes; refusing (decompression bomb?)`,
      );
    this.expect("block", 3);
  }
}
