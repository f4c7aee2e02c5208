import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pack } from "tar-stream";

/**
 * Writes generated images as OCI layouts, shared by the synthetic image generators: layers are streamed
 * tar-stream pack → (sha256 diffID) → gzip → (sha256 digest) → blob file, never held whole.
 */

export const MTIME = new Date("2026-01-01T00:00:00Z");
const MiB = 2 ** 20;

/**
 * One layer. `entries`: `{path, type?: "symlink", target?, mode?, size}`; parent directories are added.
 * `bodyOf(entry)` gives a file's content: a Buffer, or an iterable of Buffers adding up to `entry.size`
 * (streamed, for large files).
 */
async function writeLayer(entries, index, blobsDir, bodyOf) {
  const p = pack();
  const gzip = createGzip({ level: 6 });
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  let tarBytes = 0;
  let blobBytes = 0;
  const tmp = join(blobsDir, `.tmp-layer-${index}-${process.pid}`);
  const written = pipeline(
    gzip,
    async function* (src) {
      for await (const c of src) {
        blob.update(c);
        blobBytes += c.length;
        yield c;
      }
    },
    createWriteStream(tmp),
  );
  // coalesce the many small pack chunks into 1 MiB gzip writes; pause the pack while gzip is full
  let parts = [];
  let partLen = 0;
  const flush = () => {
    if (partLen === 0) return true;
    const b = parts.length === 1 ? parts[0] : Buffer.concat(parts, partLen);
    parts = [];
    partLen = 0;
    return gzip.write(b);
  };
  p.on("data", (c) => {
    diff.update(c);
    tarBytes += c.length;
    parts.push(c);
    partLen += c.length;
    if (partLen >= MiB && !flush()) {
      p.pause();
      gzip.once("drain", () => p.resume());
    }
  });
  const ended = new Promise((res, rej) => {
    p.on("end", res);
    p.on("error", rej);
  });
  // a failed gzip or file write must not leave the pack waiting for a drain that never comes
  written.catch((err) => p.destroy(err));
  const seenDirs = new Set();
  let count = 0;
  const add = (header, body) =>
    new Promise((res, rej) => {
      count++;
      p.entry({ mtime: MTIME, ...header }, body, (err) => (err ? rej(err) : res()));
    });
  const stream = (e, chunks) =>
    new Promise((res, rej) => {
      count++;
      const sink = p.entry({ name: e.path, type: "file", size: e.size, mode: e.mode, mtime: MTIME }, (err) =>
        err ? rej(err) : res(),
      );
      sink.on("error", rej);
      (async () => {
        for await (const part of chunks)
          if (!sink.write(part)) await new Promise((d) => sink.once("drain", d));
        sink.end();
      })().catch(rej);
    });
  for (const e of entries) {
    const segs = e.path.split("/");
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join("/");
      if (seenDirs.has(d)) continue;
      seenDirs.add(d);
      await add({ name: `${d}/`, type: "directory", mode: 0o755 });
    }
    if (e.type === "symlink") {
      await add({ name: e.path, type: "symlink", linkname: e.target, mode: 0o777 });
      continue;
    }
    const body = bodyOf(e);
    if (Buffer.isBuffer(body)) await add({ name: e.path, type: "file", mode: e.mode ?? 0o644 }, body);
    else await stream(e, body);
  }
  p.finalize();
  await ended;
  flush();
  gzip.end();
  await written;
  const digest = `sha256:${blob.digest("hex")}`;
  await rename(tmp, join(blobsDir, digest.slice(7)));
  return { digest, size: blobBytes, diffId: `sha256:${diff.digest("hex")}`, tarBytes, entries: count };
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function writeJsonBlob(blobsDir, value) {
  const data = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  await writeFile(join(blobsDir, digest.slice(7)), data);
  return { digest, size: data.length };
}

/**
 * Every layer (in parallel, one per core), then config, manifest, index.json and oci-layout into `dir`.
 * `bodyOfLayer(i)` makes layer i's `bodyOf`; `config` is the image config's `config` object and
 * `createdBy(i)` each layer's history line. Returns the layers with their blob files.
 */
export async function writeOciImage(dir, layerEntries, { bodyOfLayer, config, createdBy }) {
  const blobsDir = join(dir, "blobs", "sha256");
  const layers = await mapLimit(layerEntries, Math.max(2, availableParallelism()), (entries, i) =>
    writeLayer(entries, i, blobsDir, bodyOfLayer(i)),
  );
  const configBlob = await writeJsonBlob(blobsDir, {
    architecture: "amd64",
    os: "linux",
    created: MTIME.toISOString(),
    config,
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: MTIME.toISOString(), created_by: createdBy(i) })),
  });
  const manifest = await writeJsonBlob(blobsDir, {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
    layers: layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest }],
    }),
  );
  return layers.map((l) => ({ ...l, file: join(blobsDir, l.digest.slice(7)) }));
}

/** Sums over the written layers, for an image's bench-image.json. */
export function layerTotals(layers) {
  return {
    entries: layers.reduce((a, l) => a + l.entries, 0),
    tarBytes: layers.reduce((a, l) => a + l.tarBytes, 0),
    blobBytes: layers.reduce((a, l) => a + l.size, 0),
  };
}

/** Writes `bench-image.json` last: its presence means the image is complete. */
export async function writeImageMeta(dir, meta) {
  await writeFile(join(dir, "bench-image.json"), JSON.stringify(meta, null, 2));
  return meta;
}

/** The image for `spec` in `dir`: reused when a complete image of the same generator version and spec is there. */
export async function reuseOrGenerate(dir, spec, version, generate) {
  try {
    const meta = JSON.parse(await readFile(join(dir, "bench-image.json"), "utf8"));
    if (meta.version === version && JSON.stringify(meta.spec) === JSON.stringify(spec)) {
      const sizes = await Promise.all(meta.layers.map((l) => stat(l.file).then((s) => s.size)));
      if (sizes.every((s, i) => s === meta.layers[i].size)) return { ...meta, reused: true };
    }
  } catch {
    // missing or stale: regenerate
  }
  return { ...(await generate(dir, spec)), reused: false };
}
