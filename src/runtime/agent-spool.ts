import { type FileHandle, open, readFile, rename, rm } from "node:fs/promises";
import type { AgentEvent } from "../model/fleet.js";
import { inputError } from "../model/index.js";
import { writeJsonAtomic } from "../policy/state-dir.js";

/**
 * The agent's outbox: every event for the server is appended here first, as one JSON line, with a
 * per-host sequence number that keeps growing across restarts. The server answers with the highest
 * seq it stored; `ack(seq)` records that in `<spool>.ack` (written atomically), and only then can a
 * compaction drop those lines. A server that is down for days costs disk, not events.
 *
 * Bounded: past `maxBytes` the oldest *inventory* snapshots are dropped first (a newer one supersedes
 * them, and the newest is always kept). Detections, alerts, actions and approvals are never dropped:
 * if only they remain, the spool grows past the cap and says so once.
 */

/** An event as callers hand it in: the spool stamps `seq` (and `at` when missing). */
export type NewAgentEvent = AgentEvent extends infer E
  ? E extends AgentEvent
    ? Omit<E, "seq" | "at"> & { at?: string }
    : never
  : never;

export interface AgentSpoolOptions {
  /** past this size the oldest inventory snapshots go (default 100 MB) */
  maxBytes?: number;
  /** rewrite the file without acknowledged lines once it is this big and half acknowledged (default 1 MB) */
  compactAtBytes?: number;
  warn?(message: string): void;
  now?: () => number;
}

/** Where one unacknowledged line lives in the file. */
interface Entry {
  seq: number;
  type: AgentEvent["type"];
  offset: number;
  length: number;
}

interface AckFile {
  ackSeq: number;
  /** the highest seq ever handed out, so a compaction that empties the file cannot reset it */
  lastSeq: number;
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const DEFAULT_COMPACT_AT = 1024 * 1024;

export class AgentSpool {
  private fh: FileHandle;
  /** unacknowledged lines in file order (= seq order) */
  private entries: Entry[] = [];
  private size = 0;
  private lastSeq: number;
  private ackSeq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private warnedFull = false;
  /** inventory snapshots dropped by the cap, for the report and tests */
  droppedInventories = 0;

  private constructor(
    readonly file: string,
    fh: FileHandle,
    ack: AckFile,
    private readonly o: AgentSpoolOptions,
  ) {
    this.fh = fh;
    this.lastSeq = ack.lastSeq;
    this.ackSeq = ack.ackSeq;
  }

  static async open(file: string, o: AgentSpoolOptions = {}): Promise<AgentSpool> {
    const ack = await readAck(`${file}.ack`);
    const fh = await open(file, "a+", 0o600).catch((err: NodeJS.ErrnoException) => {
      throw inputError(`${file}: cannot open the agent spool (${err.code ?? err.message})`, err);
    });
    const spool = new AgentSpool(file, fh, ack, o);
    await spool.load();
    return spool;
  }

  /** Highest seq handed out so far. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Highest seq the server acknowledged. */
  get acked(): number {
    return this.ackSeq;
  }

  /** Events waiting for the server. */
  get backlog(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.size;
  }

  /** Operations run one at a time: appends, reads and rewrites never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Index the file; a torn last line (a crash mid-append) is cut off. */
  private async load(): Promise<void> {
    const buf = await this.fh.readFile();
    let offset = 0;
    let goodEnd = 0;
    while (offset < buf.length) {
      const nl = buf.indexOf(0x0a, offset);
      if (nl < 0) break; // torn tail
      const line = buf.subarray(offset, nl).toString("utf8");
      let ev: AgentEvent | undefined;
      try {
        ev = JSON.parse(line) as AgentEvent;
      } catch {
        this.o.warn?.(`${this.file}: skipped an unreadable line at byte ${offset}`);
      }
      if (ev && Number.isSafeInteger(ev.seq)) {
        if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
        if (ev.seq > this.ackSeq)
          this.entries.push({ seq: ev.seq, type: ev.type, offset, length: nl - offset });
      }
      offset = nl + 1;
      goodEnd = offset;
    }
    if (goodEnd < buf.length) {
      this.o.warn?.(`${this.file}: dropped a partial last line (${buf.length - goodEnd} bytes)`);
      await this.fh.truncate(goodEnd);
    }
    this.size = goodEnd;
  }

  /** Append one event; resolves with it, seq and time stamped, once written. */
  append(event: NewAgentEvent): Promise<AgentEvent> {
    return this.serial(async () => {
      const full = {
        ...event,
        seq: this.lastSeq + 1,
        at: event.at ?? new Date((this.o.now ?? Date.now)()).toISOString(),
      } as AgentEvent;
      const line = Buffer.from(`${JSON.stringify(full)}\n`, "utf8");
      if (this.size + line.length > (this.o.maxBytes ?? DEFAULT_MAX_BYTES)) await this.makeRoom(line.length);
      await this.fh.write(line, 0, line.length, null);
      this.lastSeq = full.seq;
      this.entries.push({ seq: full.seq, type: full.type, offset: this.size, length: line.length - 1 });
      this.size += line.length;
      return full;
    });
  }

  /** Up to `limit` events after the acknowledged seq, oldest first, at most `maxBytes` of JSON (≥ 1 event). */
  pending(limit: number, maxBytes = Number.POSITIVE_INFINITY): Promise<AgentEvent[]> {
    return this.serial(async () => {
      const pick: Entry[] = [];
      let bytes = 0;
      for (const e of this.entries) {
        if (pick.length >= limit || (pick.length > 0 && bytes + e.length > maxBytes)) break;
        pick.push(e);
        bytes += e.length + 1;
      }
      const first = pick[0];
      const last = pick[pick.length - 1];
      if (!first || !last) return [];
      // the picked lines are contiguous in the file: one read
      const span = last.offset + last.length - first.offset;
      const buf = Buffer.alloc(span);
      await this.fh.read(buf, 0, span, first.offset);
      return pick.map(
        (e) =>
          JSON.parse(
            buf.subarray(e.offset - first.offset, e.offset - first.offset + e.length).toString(),
          ) as AgentEvent,
      );
    });
  }

  /** The server holds everything up to `seq`: remember it, compact when worthwhile. */
  ack(seq: number): Promise<void> {
    return this.serial(async () => {
      if (!Number.isSafeInteger(seq) || seq <= this.ackSeq) return;
      const upTo = Math.min(seq, this.lastSeq);
      this.ackSeq = upTo;
      await writeJsonAtomic(`${this.file}.ack`, {
        ackSeq: this.ackSeq,
        lastSeq: this.lastSeq,
      } satisfies AckFile);
      let n = 0;
      while (n < this.entries.length && (this.entries[n] as Entry).seq <= upTo) n++;
      this.entries.splice(0, n);
      const live = this.liveBytes();
      const compactAt = this.o.compactAtBytes ?? DEFAULT_COMPACT_AT;
      if (this.size >= compactAt && this.size - live >= this.size / 2) await this.rewrite(this.entries);
    });
  }

  /**
   * The server already holds seqs up to `seq` (its history outlived this spool, e.g. a wiped state
   * dir): new and unsent events are renumbered after it, so the server does not take them for repeats.
   */
  continueAfter(seq: number): Promise<void> {
    return this.serial(async () => {
      if (!Number.isSafeInteger(seq) || seq <= this.lastSeq) return;
      const keep = await this.readEntries(this.entries);
      let next = seq;
      for (const ev of keep) ev.seq = ++next;
      this.lastSeq = next;
      this.ackSeq = seq;
      await writeJsonAtomic(`${this.file}.ack`, {
        ackSeq: this.ackSeq,
        lastSeq: this.lastSeq,
      } satisfies AckFile);
      await this.writeEvents(keep);
    });
  }

  /** Drop acknowledged lines now (tests; shutdown). */
  compact(): Promise<void> {
    return this.serial(() => this.rewrite(this.entries));
  }

  close(): Promise<void> {
    return this.serial(() => this.fh.close());
  }

  private liveBytes(): number {
    let n = 0;
    for (const e of this.entries) n += e.length + 1;
    return n;
  }

  /** Over the cap: drop acknowledged lines, then the oldest inventories down to 90 % of the cap. */
  private async makeRoom(incoming: number): Promise<void> {
    const max = this.o.maxBytes ?? DEFAULT_MAX_BYTES;
    const target = Math.floor(max * 0.9) - incoming;
    let live = this.liveBytes();
    const newestInventory = this.entries.findLast((e) => e.type === "inventory");
    const drop = new Set<Entry>();
    for (const e of this.entries) {
      if (live <= target) break;
      if (e.type !== "inventory" || e === newestInventory) continue;
      drop.add(e);
      live -= e.length + 1;
    }
    this.droppedInventories += drop.size;
    if (drop.size > 0)
      this.o.warn?.(`${this.file}: spool over ${max} bytes; dropped ${drop.size} old inventory snapshot(s)`);
    if (live > target && !this.warnedFull) {
      this.warnedFull = true;
      this.o.warn?.(
        `${this.file}: spool over ${max} bytes with only detections, alerts and approvals left; keeping them all`,
      );
    }
    await this.rewrite(this.entries.filter((e) => !drop.has(e)));
  }

  private async readEntries(list: Entry[]): Promise<AgentEvent[]> {
    const out: AgentEvent[] = [];
    for (const e of list) {
      const buf = Buffer.alloc(e.length);
      await this.fh.read(buf, 0, e.length, e.offset);
      out.push(JSON.parse(buf.toString("utf8")) as AgentEvent);
    }
    return out;
  }

  private async rewrite(keep: Entry[]): Promise<void> {
    await this.writeEvents(await this.readEntries(keep));
  }

  /** Replace the file with exactly these events (temp file + fsync + rename: a crash keeps one or the other). */
  private async writeEvents(events: AgentEvent[]): Promise<void> {
    const tmp = `${this.file}.${process.pid}.compact`;
    const lines = events.map((ev) => Buffer.from(`${JSON.stringify(ev)}\n`, "utf8"));
    const out = await open(tmp, "w", 0o600);
    try {
      await out.writev(lines);
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.file).catch(async (err) => {
      await rm(tmp, { force: true });
      throw err;
    });
    await this.fh.close();
    this.fh = await open(this.file, "a+", 0o600);
    this.entries = [];
    let offset = 0;
    for (const [i, line] of lines.entries()) {
      const ev = events[i] as AgentEvent;
      this.entries.push({ seq: ev.seq, type: ev.type, offset, length: line.length - 1 });
      offset += line.length;
    }
    this.size = offset;
  }
}

async function readAck(file: string): Promise<AckFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ackSeq: 0, lastSeq: 0 };
    throw inputError(
      `${file}: cannot read the agent spool's ack file (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const v = (() => {
    try {
      return JSON.parse(text) as Partial<AckFile>;
    } catch {
      return undefined;
    }
  })();
  if (!v || !Number.isSafeInteger(v.ackSeq) || (v.ackSeq as number) < 0)
    throw inputError(
      `${file}: field "ackSeq" must be a non-negative integer (delete the file to resend all)`,
    );
  const ackSeq = v.ackSeq as number;
  const lastSeq = Number.isSafeInteger(v.lastSeq) ? Math.max(v.lastSeq as number, ackSeq) : ackSeq;
  return { ackSeq, lastSeq };
}
