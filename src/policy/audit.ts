import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { AirbagError, inputError } from "../model/index.js";
import {
  type AuditAnchor,
  type AuditEntry,
  type AuditType,
  type AuditVerifyResult,
  checkLine,
  GENESIS_HASH,
  plainData,
  sealEntry,
  verifyAuditBytes,
} from "./audit-chain.js";

export {
  AUDIT_TYPES,
  type AuditAnchor,
  type AuditEntry,
  type AuditType,
  type AuditVerifyResult,
  GENESIS_HASH,
} from "./audit-chain.js";

/**
 * The tamper-evident audit log (format and what verification can prove: audit-chain.ts). One writer
 * per file — a `FILE.lock` holding the writer's pid keeps a second monitor out (a lock left by a dead
 * process is taken over). Appends are serialised in order; each line goes out in one write call; the
 * file is fsynced on close (or after every entry with `fsync: "every"`). Reopening continues the chain
 * from the last line — and refuses to chain over a torn or invalid last line: that is reported, and a
 * human decides (`airbag audit verify`, move the file aside).
 */

export interface AuditLogOptions {
  /** clock for entry times (tests) */
  now?: () => Date;
  /** fsync after every entry (slower; survives power loss) instead of only on close */
  fsync?: "close" | "every";
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function takeLock(lock: string, file: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: "wx" });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number.parseInt(await readFile(lock, "utf8").catch(() => ""), 10);
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid))
        throw inputError(`${file}: audit log is already being written by process ${pid} (${lock})`);
      await rm(lock, { force: true }); // stale: its writer is gone
    }
  }
  throw inputError(`${file}: cannot take the writer lock ${lock}`);
}

/** The last line of a non-empty file (without its newline), reading backwards from the end. */
async function lastLine(fh: FileHandle, size: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const complete = await (async () => {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    return b[0] === 0x0a;
  })();
  const end = complete ? size - 1 : size;
  let chunk = 64 << 10;
  for (;;) {
    const from = Math.max(0, end - chunk);
    const buf = Buffer.alloc(end - from);
    await fh.read(buf, 0, buf.length, from);
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0 || from === 0) return { bytes: buf.subarray(nl + 1), complete };
    chunk *= 4;
  }
}

export class AuditLog {
  private chain: Promise<unknown> = Promise.resolve();
  private broken?: Error;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    private readonly lock: string,
    private seq: number,
    private prev: string,
    private readonly opts: AuditLogOptions,
  ) {}

  /** hash of the last entry written ("0"×64 when empty): an anchor for `verify --expect-head` */
  get head(): string {
    return this.prev;
  }

  get entries(): number {
    return this.seq;
  }

  static async open(file: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    await mkdir(dirname(file), { recursive: true });
    const lock = `${file}.lock`;
    await takeLock(lock, file);
    let fh: FileHandle | undefined;
    try {
      fh = await open(file, "a+", 0o600);
      const { size } = await fh.stat();
      let seq = 0;
      let prev = GENESIS_HASH;
      if (size > 0) {
        const { bytes, complete } = await lastLine(fh, size);
        if (!complete)
          throw inputError(
            `${file}: the last line is incomplete (torn by a crash?); not appending over it — run ` +
              `\`airbag audit verify ${file}\` and move the file aside`,
          );
        const e = checkLine(bytes);
        if (typeof e === "string")
          throw inputError(
            `${file}: the last line is not a valid audit entry (${e}); not appending — run ` +
              `\`airbag audit verify ${file}\``,
          );
        seq = e.seq;
        prev = e.hash;
      }
      return new AuditLog(file, fh, lock, seq, prev, opts);
    } catch (err) {
      await fh?.close();
      await rm(lock, { force: true });
      if (!(err instanceof AirbagError))
        throw inputError(`${file}: cannot open the audit log (${(err as NodeJS.ErrnoException).code})`, err);
      throw err;
    }
  }

  /** Append one entry; entries are written in call order. */
  append(type: AuditType, data: unknown): Promise<AuditEntry> {
    const run = this.chain.then(async () => {
      if (this.closed) throw new Error(`${this.file}: audit log is closed`);
      if (this.broken) throw this.broken;
      const { entry, line } = sealEntry({
        seq: this.seq + 1,
        time: (this.opts.now?.() ?? new Date()).toISOString(),
        type,
        data: plainData(data),
        prev: this.prev,
      });
      try {
        await this.fh.write(`${line}\n`);
        if (this.opts.fsync === "every") await this.fh.sync();
      } catch (err) {
        // a partial write leaves the tail unknown: stop here rather than chain over it
        this.broken = inputError(
          `${this.file}: audit write failed (${(err as NodeJS.ErrnoException).code ?? err})`,
          err,
        );
        throw this.broken;
      }
      this.seq = entry.seq;
      this.prev = entry.hash;
      return entry;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    try {
      await this.fh.sync();
    } finally {
      await this.fh.close();
      await rm(this.lock, { force: true });
    }
  }
}

/** Verify a log file; an unreadable file is an input error (exit 2), tampering is a result. */
export async function verifyAuditLog(file: string, anchor: AuditAnchor = {}): Promise<AuditVerifyResult> {
  let buf: Buffer;
  try {
    if (!(await stat(file)).isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
    buf = await readFile(file);
  } catch (err) {
    throw inputError(
      `${file}: cannot read the audit log (${(err as NodeJS.ErrnoException).code ?? err})`,
      err,
    );
  }
  return verifyAuditBytes(buf, anchor);
}
