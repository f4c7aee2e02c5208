import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { pack } from "tar-stream";

/**
 * Writes real OCI layouts, oci-archives and docker archives from in-memory trees, for tests and the
 * benchmark. Entries are written exactly as given (hostile names included), so tests can build
 * whatever a malicious image would contain.
 */

export interface EntrySpec {
  path: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device" | "fifo";
  content?: string | Buffer;
  /** symlink / hardlink target */
  target?: string;
  mode?: number;
  /** declared size for header-only entries (content omitted) */
  size?: number;
}

export type LayerSpec = EntrySpec[] | Record<string, string | Buffer | Omit<EntrySpec, "path">>;

export type Compression = "gzip" | "zstd" | "none";

export interface ImageSpec {
  layers: LayerSpec[];
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  compression?: Compression;
  /** add parent directory entries before files (as real layer tars have) */
  parents?: boolean;
}

export interface BuiltBlob {
  digest: string;
  size: number;
  data: Buffer;
}

export interface BuiltImage {
  manifest: BuiltBlob;
  config: BuiltBlob;
  layers: (BuiltBlob & { diffId: string })[];
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function entriesOf(layer: LayerSpec): EntrySpec[] {
  if (Array.isArray(layer)) return layer;
  return Object.entries(layer).map(([path, v]) =>
    typeof v === "string" || Buffer.isBuffer(v) ? { path, content: v } : { path, ...v },
  );
}

/** An uncompressed layer tar from entries, in order. */
export async function layerTar(layer: LayerSpec, parents = true): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((res, rej) => {
    p.on("end", res);
    p.on("error", rej);
  });
  const seenDirs = new Set<string>();
  for (const e of entriesOf(layer)) {
    if (parents) {
      const segs = e.path.split("/").filter(Boolean);
      for (let i = 1; i < segs.length; i++) {
        const d = segs.slice(0, i).join("/");
        if (d.includes("..") || seenDirs.has(d)) continue;
        seenDirs.add(d);
        p.entry({ name: `${d}/`, type: "directory", mode: 0o755 });
      }
    }
    const type = e.type ?? "file";
    if (type === "directory") seenDirs.add(e.path.replace(/\/$/, ""));
    const content = e.content === undefined ? undefined : Buffer.from(e.content);
    const header = {
      name: e.path,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      linkname: e.target,
      size: content?.length ?? e.size ?? 0,
    };
    if (type === "file" && content) p.entry(header, content);
    else p.entry(header);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function compress(tar: Buffer, c: Compression): Buffer {
  if (c === "gzip") return gzipSync(tar, { level: 1 });
  if (c === "zstd") return execFileSync("zstd", ["-q", "-c", "-3"], { input: tar, maxBuffer: 1 << 30 });
  return tar;
}

const LAYER_MEDIA: Record<Compression, string> = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  none: "application/vnd.oci.image.layer.v1.tar",
};

export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const compression = spec.compression ?? "gzip";
  const layers: (BuiltBlob & { diffId: string })[] = [];
  for (const l of spec.layers) {
    const tar = await layerTar(l, spec.parents ?? true);
    const data = compress(tar, compression);
    layers.push({ data, digest: sha256(data), size: data.length, diffId: sha256(tar) });
  }
  const configJson = {
    architecture: spec.architecture ?? "amd64",
    os: spec.os ?? "linux",
    created: "2026-01-01T00:00:00Z",
    config: {},
    ...spec.config,
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
  };
  const configData = Buffer.from(JSON.stringify(configJson));
  const config = { data: configData, digest: sha256(configData), size: configData.length };
  const manifestData = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: config.digest,
        size: config.size,
      },
      layers: layers.map((l) => ({ mediaType: LAYER_MEDIA[compression], digest: l.digest, size: l.size })),
    }),
  );
  return {
    manifest: { data: manifestData, digest: sha256(manifestData), size: manifestData.length },
    config,
    layers,
  };
}

const blobPath = (digest: string) => join("blobs", ...digest.split(":"));

/** OCI layout directory; `tag` becomes the `org.opencontainers.image.ref.name` annotation. */
export async function writeOciLayout(dir: string, img: BuiltImage, tag = "latest"): Promise<void> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  for (const b of [img.manifest, img.config, ...img.layers])
    await writeFile(join(dir, blobPath(b.digest)), b.data);
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: img.manifest.digest,
          size: img.manifest.size,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
}

/** Plain tar of named members (archives of archives). */
export async function tarOf(members: [string, Buffer][]): Promise<Buffer> {
  return layerTar(
    members.map(([path, content]) => ({ path, content })),
    false,
  );
}

export async function writeOciArchive(file: string, img: BuiltImage, tag = "latest"): Promise<void> {
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: img.manifest.digest,
        size: img.manifest.size,
        annotations: { "org.opencontainers.image.ref.name": tag },
      },
    ],
  };
  const members: [string, Buffer][] = [
    ["oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }))],
    ["index.json", Buffer.from(JSON.stringify(index))],
    ...[img.manifest, img.config, ...img.layers].map((b): [string, Buffer] => [blobPath(b.digest), b.data]),
  ];
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, await tarOf(members));
}

/**
 * `docker save` layout: manifest.json, `<config hex>.json`, `<n>/layer.tar` (uncompressed, like docker
 * and skopeo write them). `gzip` compresses the whole archive as `docker save | gzip` does.
 */
export async function writeDockerArchive(
  file: string,
  img: BuiltImage,
  opts: { tags?: string[]; gzip?: boolean; layerData?: (i: number) => Buffer } = {},
): Promise<void> {
  const hex = img.config.digest.slice(7);
  const layerPaths = img.layers.map((_, i) => `${String(i).padStart(2, "0")}${hex.slice(0, 8)}/layer.tar`);
  const manifest = [{ Config: `${hex}.json`, RepoTags: opts.tags ?? ["example/app:1"], Layers: layerPaths }];
  const members: [string, Buffer][] = [
    // manifest.json last, as docker save writes it: readers must not assume it comes first
    [`${hex}.json`, img.config.data],
    ...img.layers.map((l, i): [string, Buffer] => [
      layerPaths[i]!,
      opts.layerData?.(i) ?? decompressLayer(l.data),
    ]),
    ["manifest.json", Buffer.from(JSON.stringify(manifest))],
  ];
  const tar = await tarOf(members);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, opts.gzip ? gzipSync(tar, { level: 1 }) : tar);
}

function decompressLayer(data: Buffer): Buffer {
  if (data[0] === 0x1f && data[1] === 0x8b) return gunzipSync(data);
  if (data.readUInt32LE(0) === 0xfd2fb528)
    return execFileSync("zstd", ["-dc"], { input: data, maxBuffer: 1 << 30 });
  return data;
}
