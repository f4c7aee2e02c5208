/**
 * `airbag db import PATH…`: recognise what each path holds and hand it to the right importer.
 *
 * A path may be a directory (walked recursively), a `.zip` (osv.dev export), a JSON / JSON-lines / YAML
 * file (gzip'd or not), or an EPSS `.csv[.gz]`. Each JSON/YAML document is recognised by its shape, not
 * its name: CISA KEV catalog, NVD API page or record, Alpine/Wolfi secdb, Debian tracker, OSV record(s).
 * Nothing in the input aborts an import: unreadable or unrecognised files are warnings.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { createGunzip, gunzipSync } from "node:zlib";
import { inputError } from "../../model/index.js";
import { buildDatabase, DbWriter } from "../build.js";
import type { AdvisorySink } from "../types.js";
import { importSecdb, looksLikeSecdb } from "./alpine-secdb.js";
import { type ImportContext, type ImportStats, parseYaml, walkFiles } from "./common.js";
import { importDebianTracker, looksLikeDebianTracker } from "./debian-tracker.js";
import { EpssParser } from "./epss.js";
import { importKev, looksLikeKev } from "./kev.js";
import { importNvd, looksLikeNvd } from "./nvd.js";
import { importOsvDocument, looksLikeOsv } from "./osv.js";
import { isZip, zipTextEntries } from "./zip.js";

export type { ImportContext, ImportStats } from "./common.js";

const DOCUMENT = /\.(json|jsonl|ndjson|ya?ml)(\.gz)?$/i;
const EPSS = /\.csv(\.gz)?$/i;
const WANTED = (name: string) => DOCUMENT.test(name) || EPSS.test(name) || /\.zip$/i.test(name);
/** V8 cannot make a string much longer than 512 MiB; no single feed document comes near it. */
const MAX_DOCUMENT = 512 << 20;

type Tally = Map<string, ImportStats>;

function count(tally: Tally, format: string, add: Partial<Omit<ImportStats, "format">>): string {
  const s = tally.get(format) ?? { format, files: 0, records: 0, skipped: 0 };
  s.files += add.files ?? 0;
  s.records += add.records ?? 0;
  s.skipped += add.skipped ?? 0;
  if (add.withdrawn) s.withdrawn = (s.withdrawn ?? 0) + add.withdrawn;
  tally.set(format, s);
  return format;
}

/** One parsed JSON/YAML document → the importer its shape belongs to. */
function importDocument(
  doc: unknown,
  file: string,
  sink: AdvisorySink,
  ctx: ImportContext,
  tally: Tally,
  files = 1,
): string {
  // OSV first: a million-record import is OSV, and the other shapes cannot pass for an OSV record
  if (looksLikeOsv(doc) || (Array.isArray(doc) && doc.length > 0 && looksLikeOsv(doc[0])))
    return count(tally, "osv", { files, ...importOsvDocument(doc, file, sink, ctx) });
  if (looksLikeKev(doc)) return count(tally, "kev", { files, records: importKev(doc, file, sink, ctx) });
  if (looksLikeNvd(doc)) return count(tally, "nvd", { files, ...importNvd(doc, file, sink, ctx) });
  if (looksLikeSecdb(doc))
    return count(tally, "alpine-secdb", { files, records: importSecdb(doc, file, sink, ctx) });
  if (looksLikeDebianTracker(doc))
    return count(tally, "debian-tracker", { files, records: importDebianTracker(doc, file, sink, ctx) });
  ctx.warn(
    `${file}: not a recognised vulnerability feed (OSV, NVD, Debian tracker, Alpine secdb, KEV); skipped`,
  );
  return count(tally, "unrecognised", { files, skipped: 1 });
}

/** The text of one file or zip member → documents → importers. */
function importText(name: string, text: string, sink: AdvisorySink, ctx: ImportContext, tally: Tally): void {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const base = name.replace(/\.gz$/i, "");
  if (/\.ya?ml$/i.test(base)) {
    let doc: unknown;
    try {
      doc = parseYaml(body);
    } catch (err) {
      ctx.warn(`${name}: not valid YAML (${(err as Error).message}); skipped`);
      count(tally, "unrecognised", { files: 1, skipped: 1 });
      return;
    }
    importDocument(doc, name, sink, ctx, tally);
    return;
  }
  if (/\.(jsonl|ndjson)$/i.test(base)) {
    const formats = new Set<string>();
    body.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      const doc = parseJson(line, `${name}:${i + 1}`, ctx);
      if (doc !== BAD) formats.add(importDocument(doc, `${name}:${i + 1}`, sink, ctx, tally, 0));
      else count(tally, "unrecognised", { skipped: 1 });
    });
    for (const f of formats) count(tally, f, { files: 1 });
    return;
  }
  const doc = parseJson(body, name, ctx);
  if (doc !== BAD) importDocument(doc, name, sink, ctx, tally);
  else count(tally, "unrecognised", { files: 1, skipped: 1 });
}

const BAD = Symbol("bad");
function parseJson(text: string, where: string, ctx: ImportContext): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    ctx.warn(`${where}: not valid JSON (${(err as Error).message}); skipped`);
    return BAD;
  }
}

const gunzipped = (buf: Buffer) =>
  buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf, { maxOutputLength: MAX_DOCUMENT }) : buf;

async function readText(file: string): Promise<string> {
  const { size } = await stat(file);
  if (size > MAX_DOCUMENT) throw new Error(`${size} bytes is more than one JSON document can hold`);
  return gunzipped(await readFile(file)).toString("utf8");
}

/**
 * A file of a directory walk, read synchronously after a size check. A feed directory holds up to a
 * million small records (osv.dev's exports unpacked): fs/promises costs four thread-pool round trips per
 * file, ≈70 µs, against ≈20 µs here; the walk yields to the event loop every 256 files.
 */
function readSmallFile(file: string): string {
  const fd = openSync(file, "r");
  try {
    const { size } = fstatSync(fd);
    if (size > MAX_DOCUMENT) throw new Error(`${size} bytes is more than one JSON document can hold`);
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return gunzipped(buf.subarray(0, got)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** The lines of a (possibly gzip'd) text file, streamed: EPSS CSVs and JSON-lines files outgrow a string. */
async function* lines(file: string): AsyncGenerator<string> {
  const head = Buffer.alloc(2);
  const fh = await open(file, "r");
  await fh.read(head, 0, 2, 0).finally(() => fh.close());
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  // our own splitter over bytes: node:readline and StringDecoder spend most of an import on long lines
  let rest: Buffer | undefined;
  const line = (buf: Buffer, start: number, nl: number) =>
    buf.toString("utf8", start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl);
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    let nl = chunk.indexOf(10);
    if (rest) {
      if (nl < 0) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      const joined = Buffer.concat([rest, chunk.subarray(0, nl + 1)]);
      yield line(joined, 0, joined.length - 1);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
      rest = undefined;
    }
    for (; nl >= 0; nl = chunk.indexOf(10, start)) {
      yield line(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) rest = Buffer.from(chunk.subarray(start));
  }
  if (rest) yield rest.toString("utf8");
}

async function importEpss(file: string, sink: AdvisorySink, ctx: ImportContext, tally: Tally): Promise<void> {
  const parser = new EpssParser(file, sink, ctx);
  try {
    for await (const line of lines(file)) parser.push(line);
  } catch (err) {
    ctx.warn(`${file}: read failed after ${parser.counts.records} rows (${(err as Error).message})`);
  }
  const c = parser.end();
  count(tally, "epss", { files: 1, records: c.records, skipped: c.skipped });
}

async function importJsonLines(
  file: string,
  sink: AdvisorySink,
  ctx: ImportContext,
  tally: Tally,
): Promise<void> {
  let n = 0;
  const formats = new Set<string>();
  try {
    for await (const line of lines(file)) {
      n++;
      if (line.trim() === "") continue;
      const doc = parseJson(line, `${file}:${n}`, ctx);
      if (doc !== BAD) formats.add(importDocument(doc, `${file}:${n}`, sink, ctx, tally, 0));
      else count(tally, "unrecognised", { skipped: 1 });
    }
  } catch (err) {
    ctx.warn(`${file}: read failed at line ${n} (${(err as Error).message}); the rest skipped`);
  }
  for (const f of formats) count(tally, f, { files: 1 });
}

async function importZip(file: string, sink: AdvisorySink, ctx: ImportContext, tally: Tally): Promise<void> {
  try {
    for await (const { name, text } of zipTextEntries(file, ctx, (n) => DOCUMENT.test(n)))
      importText(`${file}!${name}`, text, sink, ctx, tally);
  } catch (err) {
    ctx.warn(`${file}: unreadable zip (${(err as Error).message}); the rest of it skipped`);
    count(tally, "unrecognised", { files: 1, skipped: 1 });
  }
}

async function importFile(file: string, sink: AdvisorySink, ctx: ImportContext, tally: Tally) {
  if (EPSS.test(file)) return importEpss(file, sink, ctx, tally);
  if (/\.zip$/i.test(file)) return importZip(file, sink, ctx, tally);
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(file)) return importJsonLines(file, sink, ctx, tally);
  let body: string;
  try {
    body = await readText(file);
  } catch (err) {
    ctx.warn(`${file}: cannot read (${(err as Error).message}); skipped`);
    count(tally, "unrecognised", { files: 1, skipped: 1 });
    return;
  }
  importText(file, body, sink, ctx, tally);
}

/** Import one path (file or directory) into `sink`; returns per-format counts. */
export async function importPath(
  path: string,
  sink: AdvisorySink,
  ctx: ImportContext,
): Promise<ImportStats[]> {
  const tally: Tally = new Map();
  const st = await stat(path).catch(() => undefined);
  if (!st)
    throw inputError(`${path}: no such file or directory; pass a feed file, a directory of them or a zip`);
  if (st.isDirectory()) {
    let n = 0;
    for await (const file of walkFiles(path, WANTED)) {
      if (DOCUMENT.test(file) && !/\.(jsonl|ndjson)(\.gz)?$/i.test(file)) {
        let text: string;
        try {
          text = readSmallFile(file);
        } catch (err) {
          ctx.warn(`${file}: cannot read (${(err as Error).message}); skipped`);
          count(tally, "unrecognised", { files: 1, skipped: 1 });
          continue;
        }
        importText(file, text, sink, ctx, tally);
      } else await importFile(file, sink, ctx, tally);
      if (++n % 256 === 0) await new Promise((r) => setImmediate(r)); // stay responsive (signals, progress)
    }
  } else if (st.isFile()) {
    const head = Buffer.alloc(4);
    const fh = await open(path, "r");
    await fh.read(head, 0, 4, 0).finally(() => fh.close());
    if (isZip(head) && !/\.zip$/i.test(path)) await importZip(path, sink, ctx, tally);
    else await importFile(path, sink, ctx, tally);
  } else throw inputError(`${path}: not a regular file or directory`);
  const stats = [...tally.values()];
  if (!stats.some((s) => s.records > 0)) ctx.warn(`${path}: no vulnerability records recognised`);
  return stats;
}

/**
 * `airbag db import`: import `paths` into the database at `dbPath` (created if missing) atomically —
 * on a private copy renamed over the original when everything has been read.
 */
export async function importIntoDatabase(
  dbPath: string,
  paths: string[],
  ctx: ImportContext,
): Promise<ImportStats[]> {
  for (const p of paths)
    if (!(await stat(p).catch(() => undefined)))
      throw inputError(`${p}: no such file or directory; pass a feed file, a directory of them or a zip`);
  const now = ctx.now ?? (() => new Date());
  return buildDatabase(
    dbPath,
    async (db) => {
      const writer = new DbWriter(db);
      const all: ImportStats[] = [];
      try {
        for (const p of paths) all.push(...(await importPath(p, writer, ctx)));
        writer.finish(now().toISOString());
      } catch (err) {
        writer.abort();
        throw err;
      }
      return all;
    },
    { fromExisting: true, now },
  );
}
