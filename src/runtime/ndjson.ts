import { StringDecoder } from "node:string_decoder";

/**
 * Splits an Engine API stream (`/events`) into JSON object texts. Docker writes one object per line;
 * podman's compat layer has, across versions, written objects without flushing, split across chunks,
 * and back to back without a newline. So this scans for top-level `{…}` objects (tracking strings and
 * escapes) instead of trusting newlines, and keeps a partial object until the next chunk completes it.
 */

/** one object longer than this is dropped (a stream never carries such events; it bounds memory) */
const MAX_OBJECT_CHARS = 1 << 20;

export class JsonObjectSplitter {
  private readonly decoder = new StringDecoder("utf8");
  /** text of the object being read (from its `{`) */
  private pending = "";
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** objects dropped for exceeding MAX_OBJECT_CHARS */
  dropped = 0;

  /** Feed a chunk; returns the texts of the objects it completed, in order. */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const out: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (this.depth === 0) {
        // between objects: skip newlines, whitespace and any garbage until the next `{`
        if (ch === 0x7b) {
          this.depth = 1;
          start = i;
          this.pending = "";
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c) this.escaped = true;
        else if (ch === 0x22) this.inString = false;
        continue;
      }
      if (ch === 0x22) this.inString = true;
      else if (ch === 0x7b || ch === 0x5b) this.depth++;
      else if (ch === 0x7d || ch === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          const piece = this.pending + text.slice(start, i + 1);
          this.pending = "";
          start = -1;
          if (piece.length <= MAX_OBJECT_CHARS) out.push(piece);
          else this.dropped++;
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      this.pending += text.slice(start);
      if (this.pending.length > MAX_OBJECT_CHARS) this.reset(true);
    }
    return out;
  }

  /** Forget a partial object (the connection it came from is gone; the next one starts afresh). */
  reset(countDropped = false): void {
    if (countDropped || this.depth > 0) this.dropped++;
    this.pending = "";
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.decoder.end();
  }
}
