/**
 * Advisory documents — everything about an advisory that no query looks up by (summary, details, dates,
 * aliases, references, CVSS) — stored as JSON texts deflated in blocks of `PER_BLOCK`.
 *
 * Why blocks: a million records' details and references were two thirds of the database file, and a
 * record's JSON alone compresses poorly (≈ 60 %) while one zlib call costs 30–100 µs of set-up — half a
 * minute per million. Deflating 32 documents at once shares words, URL prefixes and keys between them
 * (≈ 35 % of the text) at a few µs per document. A document is addressed by `block × PER_BLOCK + index`;
 * reading one inflates its block (a few tens of µs), and a small cache serves neighbours from the same
 * block. Readers only decode documents of advisories they actually report (see stored-advisory.ts).
 *
 * A replaced advisory's old document stays in its block until no advisory of that block is left; then
 * `prune` removes the block.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type Database from "better-sqlite3";

export const PER_BLOCK = 32;
const CACHED_BLOCKS = 64;
const NEWLINE = 0x0a;

export class DocBlocks {
  private pending: string[] = [];
  /** the block number `pending` will be written as; undefined until the first write */
  private next: number | undefined;
  /** inflated blocks; a document is decoded from its block only when read (a match reads one of 32) */
  private readonly cache = new Map<number, Buffer>();
  private readonly st;

  constructor(private readonly db: Database.Database) {
    this.st = {
      insert: db.prepare("INSERT INTO doc_blocks (block, data) VALUES (?, ?)"),
      get: db.prepare("SELECT data FROM doc_blocks WHERE block = ?").pluck(),
      last: db.prepare("SELECT max(block) FROM doc_blocks").pluck(),
    };
  }

  /** Queue one document; returns its address. Call `flush` before the transaction commits. */
  add(json: string): number {
    if (this.next === undefined) this.next = ((this.st.last.get() as number | null) ?? -1) + 1;
    const ref = this.next * PER_BLOCK + this.pending.length;
    this.pending.push(json);
    if (this.pending.length === PER_BLOCK) this.flush();
    return ref;
  }

  /** Write the queued documents as one block. */
  flush(): void {
    if (this.pending.length === 0 || this.next === undefined) return;
    // JSON text never holds a raw newline: it separates the documents of a block
    this.st.insert.run(this.next, deflateRawSync(Buffer.from(this.pending.join("\n")), { level: 6 }));
    this.cache.delete(this.next);
    this.next++;
    this.pending = [];
  }

  /** Forget queued documents and cached blocks (after a rollback). */
  reset(): void {
    this.pending = [];
    this.next = undefined;
    this.cache.clear();
  }

  get(ref: number): string {
    const block = Math.floor(ref / PER_BLOCK);
    const index = ref % PER_BLOCK;
    if (block === this.next) return this.pending[index] ?? "{}";
    let data = this.cache.get(block);
    if (!data) {
      const stored = this.st.get.get(block) as Buffer | undefined;
      data = stored ? inflateRawSync(stored) : Buffer.alloc(0);
      if (this.cache.size >= CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(block, data);
    }
    let start = 0;
    for (let i = 0; i < index; i++) {
      const nl = data.indexOf(NEWLINE, start);
      if (nl === -1) return "{}";
      start = nl + 1;
    }
    const end = data.indexOf(NEWLINE, start);
    return data.toString("utf8", start, end === -1 ? data.length : end) || "{}";
  }

  /** Delete blocks no advisory points into any more. */
  prune(): void {
    this.flush();
    this.db.exec(
      `DELETE FROM doc_blocks WHERE block NOT IN (SELECT DISTINCT doc / ${PER_BLOCK} FROM advisories)`,
    );
    this.cache.clear();
  }
}
