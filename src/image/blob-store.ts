import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { AirbagError, inputError } from "../model/index.js";
import { sniffCompression } from "./decompress.js";
import { normalizeEntryPath } from "./paths.js";
import { parseHeaderBlock, parsePax } from "./tar.js";

/**
 * Random access to the members of an image container: a directory (OCI layout, unpacked docker save)
 * or a tar archive (docker save, oci-archive). Archives are indexed by seeking from header to header,
 * so a multi-GB archive is indexed without reading its layers.
 */
export interface BlobStore {
  readonly where: string;
  has(path: string): boolean | Promise<boolean>;
  /** read a small member whole (manifests, configs), refusing anything over `max` bytes */
  read(path: string, max: number): Promise<Buffer>;
  open(path: string): Promise<AsyncIterable<Buffer>>;
  close(): Promise<void>;
}

const READ_CHUNK = 1 << 20;

function safeMember(where: string, path: string): string {
  const p = normalizeEntryPath(path);
  if (p === undefined || p === "") throw inputError(`${where}: member path "${path}" escapes the archive`);
  return p;
}

export class DirStore implements BlobStore {
  constructor(readonly where: string) {}

  async has(path: string): Promise<boolean> {
    try {
      return (await stat(join(this.where, safeMember(this.where, path)))).isFile();
    } catch {
      return false;
    }
  }

  async read(path: string, max: number): Promise<Buffer> {
    const full = join(this.where, safeMember(this.where, path));
    const st = await stat(full).catch(() => undefined);
    if (!st?.isFile()) throw inputError(`${this.where}: missing ${path}`);
    if (st.size > max) throw inputError(`${full}: ${st.size} bytes is larger than the ${max}-byte limit`);
    return readFile(full);
  }

  async open(path: string): Promise<AsyncIterable<Buffer>> {
    const full = join(this.where, safeMember(this.where, path));
    const st = await stat(full).catch(() => undefined);
    if (!st?.isFile()) throw inputError(`${this.where}: missing blob ${path}`);
    return createReadStream(full, { highWaterMark: READ_CHUNK });
  }

  async close(): Promise<void> {}
}

interface Member {
  offset: number;
  size: number;
}

export class TarStore implements BlobStore {
  private constructor(
    readonly where: string,
    private readonly file: string,
    private readonly members: Map<string, Member>,
    private readonly cleanup: string | undefined,
  ) {}

  /** Index a tar file; a gzip-compressed archive is first inflated into a private temp file. */
  static async open(path: string, tmpDir = tmpdir()): Promise<TarStore> {
    const fh = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
      throw inputError(`${path}: cannot open (${err.code ?? err.message})`, err);
    });
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    await fh.close();
    let file = path;
    let cleanup: string | undefined;
    if (sniffCompression(head) === "gzip") {
      cleanup = await mkdtemp(join(tmpDir, "airbag-archive-"));
      file = join(cleanup, "archive.tar");
      try {
        await pipeline(createReadStream(path), createGunzip(), createWriteStream(file));
      } catch (err) {
        await rm(cleanup, { recursive: true, force: true });
        throw inputError(`${path}: corrupt or truncated gzip archive (${(err as Error).message})`, err);
      }
    } else if (sniffCompression(head) === "zstd") {
      throw new AirbagError(
        "INPUT",
        `${path}: zstd-compressed archives are not supported; decompress it first`,
      );
    }
    try {
      return new TarStore(path, file, await indexTar(file, path), cleanup);
    } catch (err) {
      if (cleanup) await rm(cleanup, { recursive: true, force: true });
      throw err;
    }
  }

  list(): string[] {
    return [...this.members.keys()];
  }

  has(path: string): boolean {
    const p = normalizeEntryPath(path);
    return p !== undefined && this.members.has(p);
  }

  private member(path: string): Member {
    const m = this.members.get(safeMember(this.where, path));
    if (!m) throw inputError(`${this.where}: archive has no member ${path}`);
    return m;
  }

  async read(path: string, max: number): Promise<Buffer> {
    const m = this.member(path);
    if (m.size > max)
      throw inputError(`${this.where}: ${path} is ${m.size} bytes, over the ${max}-byte limit`);
    const fh = await open(this.file, "r");
    try {
      const buf = Buffer.alloc(m.size);
      const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
      if (bytesRead !== m.size) throw inputError(`${this.where}: ${path} is truncated`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async open(path: string): Promise<AsyncIterable<Buffer>> {
    const m = this.member(path);
    if (m.size === 0) return (async function* () {})();
    return createReadStream(this.file, {
      start: m.offset,
      end: m.offset + m.size - 1,
      highWaterMark: READ_CHUNK,
    });
  }

  async close(): Promise<void> {
    if (this.cleanup) await rm(this.cleanup, { recursive: true, force: true });
  }
}

async function indexTar(file: string, where: string): Promise<Map<string, Member>> {
  const fh = await open(file, "r");
  const members = new Map<string, Member>();
  try {
    const total = (await fh.stat()).size;
    const block = Buffer.alloc(512);
    let off = 0;
    let longName: string | undefined;
    let paxPath: string | undefined;
    let paxSize: number | undefined;
    while (off + 512 <= total) {
      await fh.read(block, 0, 512, off);
      const h = parseHeaderBlock(block, where);
      if (!h) break;
      let size = h.size;
      const body = off + 512;
      if (h.typeflag === "x" || h.typeflag === "L") {
        if (size > 1 << 20) throw inputError(`${where}: tar metadata entry too large`);
        const meta = Buffer.alloc(size);
        await fh.read(meta, 0, size, body);
        if (h.typeflag === "L") longName = meta.toString("utf8").replace(/\0.*$/s, "");
        else {
          const pax = parsePax(meta);
          paxPath = pax.get("path");
          const s = pax.get("size");
          paxSize = s === undefined ? undefined : Number(s);
        }
      } else {
        if (paxSize !== undefined) size = paxSize;
        const name = normalizeEntryPath(longName ?? paxPath ?? h.name);
        if (name && (h.typeflag === "0" || h.typeflag === "\0" || h.typeflag === "7"))
          members.set(name, { offset: body, size });
        longName = paxPath = paxSize = undefined;
      }
      if (!Number.isSafeInteger(size) || size < 0) throw inputError(`${where}: corrupt tar member size`);
      if (body + size > total)
        throw inputError(`${where}: truncated tar archive (member runs past end of file)`);
      off = body + Math.ceil(size / 512) * 512;
    }
    if (off === 0) throw inputError(`${where}: not a tar archive (empty)`);
  } finally {
    await fh.close();
  }
  return members;
}
