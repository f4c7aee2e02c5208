/**
 * Database bundles for air-gapped sites: `airbag db export FILE` on a connected machine, carry the file
 * over, `airbag db import FILE` on the other side.
 *
 * A bundle is a gzip'd tar (inspect it with `tar tzf`) of two members, in this order:
 *  - `airbag-db.json` — the manifest: format and schema versions, built-at, sources and counts, and the
 *    size and sha256 of the database member;
 *  - `db.sqlite`      — a consistent, compacted copy of the database (SQLite `VACUUM INTO`).
 * Import streams the database member to a temp file beside the target while hashing it; a damaged
 * archive, a checksum or size mismatch, or a database SQLite finds inconsistent is an INPUT error and the
 * installed database is untouched. Only a verified copy is renamed over it.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGunzip, createGzip, gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { AirbagError, inputError } from "../model/index.js";
import { missingDbError, removeLeftovers, workPath } from "./db-path.js";
import { type ImportContext, type ImportStats, importIntoDatabase } from "./importers/index.js";
import { SCHEMA_VERSION } from "./schema.js";
import { VulnDb } from "./store.js";
import type { DbStatus } from "./types.js";

export const BUNDLE_MANIFEST = "airbag-db.json";
const DB_MEMBER = "db.sqlite";
const FORMAT = "airbag-db-bundle";
const FORMAT_VERSION = 1;

export interface BundleManifest {
  format: typeof FORMAT;
  formatVersion: number;
  schemaVersion: number;
  builtAt?: string;
  exportedAt: string;
  sources: DbStatus["sources"];
  counts: DbStatus["counts"];
  db: { name: string; size: number; sha256: string };
}

export interface ExportResult {
  manifest: BundleManifest;
  /** the bundle file's own size and sha256, for publishing next to it */
  size: number;
  sha256: string;
}

/** A pass-through that hashes and counts what flows through it. */
function hasher() {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest("hex") }) };
}

async function sha256File(file: string): Promise<{ size: number; sha256: string }> {
  const h = hasher();
  await pipeline(createReadStream(file), h.stream, async (source) => {
    for await (const _ of source);
  });
  return h.result();
}

/** Write a bundle of the database at `dbPath` to `file` (replaced atomically). */
export async function exportBundle(
  dbPath: string,
  file: string,
  options: { now?: () => Date } = {},
): Promise<ExportResult> {
  if (!existsSync(dbPath)) throw missingDbError(dbPath);
  await removeLeftovers(file);
  const copy = workPath(file, "tmp", "db");
  const out = workPath(file, "tmp", "out");
  try {
    await mkdir(dirname(file), { recursive: true });
    const source = VulnDb.open(dbPath, { readonly: true });
    let status: DbStatus;
    try {
      status = source.status();
      // VACUUM INTO: a consistent snapshot even while another process reads, and compacted
      source.db.prepare("VACUUM INTO ?").run(copy);
    } finally {
      source.close();
    }
    const db = await sha256File(copy);
    const manifest: BundleManifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      schemaVersion: status.schemaVersion,
      ...(status.builtAt ? { builtAt: status.builtAt } : {}),
      exportedAt: (options.now?.() ?? new Date()).toISOString(),
      sources: status.sources,
      counts: status.counts,
      db: { name: DB_MEMBER, ...db },
    };
    const pack = tar.pack();
    const written = pipeline(pack, createGzip({ level: 6 }), createWriteStream(out));
    const mtime = new Date(manifest.exportedAt);
    pack.entry({ name: BUNDLE_MANIFEST, mtime, mode: 0o644 }, `${JSON.stringify(manifest, null, 2)}\n`);
    const entry = pack.entry({ name: DB_MEMBER, size: db.size, mtime, mode: 0o644 });
    await pipeline(createReadStream(copy), entry);
    pack.finalize();
    await written;
    const own = await sha256File(out);
    await rename(out, file);
    return { manifest, ...own };
  } catch (err) {
    await rm(out, { force: true });
    if (err instanceof AirbagError) throw err;
    throw inputError(`${file}: cannot write the bundle (${(err as Error).message})`, err);
  } finally {
    await rm(copy, { force: true });
  }
}

/** Is `path` a database bundle? (gzip whose first tar member is the manifest) — never throws. */
export async function isBundle(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    const fh = await open(path, "r");
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0).finally(() => fh.close());
    if (buf[0] !== 0x1f || buf[1] !== 0x8b) return false;
    const tarHead = gunzipSync(buf.subarray(0, bytesRead), { finishFlush: constants.Z_SYNC_FLUSH });
    if (tarHead.length < 263) return false;
    const name = tarHead.subarray(0, 100).toString("latin1").replace(/\0.*$/s, "");
    return name === BUNDLE_MANIFEST && tarHead.subarray(257, 262).toString("latin1") === "ustar";
  } catch {
    return false;
  }
}

function checkManifest(bundle: string, raw: string): BundleManifest {
  let m: BundleManifest;
  try {
    m = JSON.parse(raw) as BundleManifest;
  } catch (err) {
    throw inputError(`${bundle}: ${BUNDLE_MANIFEST} is not valid JSON (${(err as Error).message})`, err);
  }
  if (m?.format !== FORMAT) throw inputError(`${bundle}: ${BUNDLE_MANIFEST}: format is not "${FORMAT}"`);
  if (m.formatVersion !== FORMAT_VERSION)
    throw inputError(
      `${bundle}: bundle format v${m.formatVersion} is not v${FORMAT_VERSION}; use the airbag release that exported it`,
    );
  if (!Number.isInteger(m.schemaVersion) || m.schemaVersion > SCHEMA_VERSION)
    throw inputError(
      `${bundle}: database schema v${m.schemaVersion} is newer than this airbag understands (v${SCHEMA_VERSION}); upgrade airbag`,
    );
  if (
    typeof m.db?.name !== "string" ||
    !Number.isSafeInteger(m.db.size) ||
    !/^[0-9a-f]{64}$/.test(String(m.db.sha256))
  )
    throw inputError(`${bundle}: ${BUNDLE_MANIFEST}: db.name, db.size or db.sha256 missing or malformed`);
  return m;
}

/** Extract and verify the database member of `bundle` into `dest`. */
async function extractBundle(bundle: string, dest: string): Promise<BundleManifest> {
  const extract = tar.extract();
  const input = pipeline(createReadStream(bundle), createGunzip(), extract);
  input.catch(() => {}); // its failure surfaces through the entry iterator (and is awaited below)
  let manifest: BundleManifest | undefined;
  let got: { size: number; sha256: string } | undefined;
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (!manifest) {
        if (name !== BUNDLE_MANIFEST) throw inputError(`${bundle}: first member is not ${BUNDLE_MANIFEST}`);
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        manifest = checkManifest(bundle, Buffer.concat(chunks).toString("utf8"));
      } else if (name === manifest.db.name && !got) {
        const h = hasher();
        await pipeline(entry, h.stream, createWriteStream(dest));
        got = h.result();
      } else entry.resume(); // members a later format may add
    }
    await input;
  } catch (err) {
    if (err instanceof AirbagError) throw err;
    throw inputError(`${bundle}: damaged database bundle (${(err as Error).message}); copy it again`, err);
  }
  if (!manifest) throw inputError(`${bundle}: empty bundle`);
  if (!got) throw inputError(`${bundle}: no ${manifest.db.name} member`);
  if (got.size !== manifest.db.size || got.sha256 !== manifest.db.sha256)
    throw inputError(
      `${bundle}: checksum mismatch for ${manifest.db.name} (manifest sha256 ${manifest.db.sha256}, ${manifest.db.size} bytes; got ${got.sha256}, ${got.size} bytes); the bundle is damaged — copy it again`,
    );
  return manifest;
}

/**
 * Install the database in `bundle` at `dbPath`, then import `feeds` (other `db import` paths) on top —
 * all on a temp file renamed over `dbPath` at the very end.
 */
export async function importBundle(
  bundle: string,
  dbPath: string,
  options: { feeds?: string[]; ctx: ImportContext },
): Promise<{ manifest: BundleManifest; stats: ImportStats[] }> {
  await mkdir(dirname(dbPath), { recursive: true });
  await removeLeftovers(dbPath);
  const tmp = workPath(dbPath, "tmp", "bundle");
  try {
    const manifest = await extractBundle(bundle, tmp);
    const db = VulnDb.open(tmp); // migrates a bundle of an older schema
    try {
      const check = db.db.pragma("quick_check", { simple: true });
      if (check !== "ok") throw inputError(`${bundle}: the database inside fails SQLite's check (${check})`);
    } finally {
      db.close();
    }
    const stats = options.feeds?.length ? await importIntoDatabase(tmp, options.feeds, options.ctx) : [];
    await rename(tmp, dbPath);
    return { manifest, stats };
  } finally {
    await rm(tmp, { force: true });
  }
}
