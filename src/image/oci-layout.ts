import { AirbagError, inputError } from "../model/index.js";
import type { BlobStore } from "./blob-store.js";
import { parseDigest, parseJson, verifyBlob } from "./digest.js";
import type { Descriptor, ImageConfig, LayeredImage } from "./types.js";

/**
 * OCI image layout (directory or oci-archive tar): index.json → (nested indexes) → manifest → config
 * and layers. Every blob read is checked against its descriptor digest. Also the shared logic for
 * choosing a manifest from an index by platform, reused by the registry source.
 */

const MAX_JSON = 32 << 20;
const MAX_DEPTH = 8;

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);
const CONFIG_TYPES = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);
const LAYER_TYPE =
  /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)(\+gzip|\+zstd|\.gzip)?$/;

interface ImageIndex {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Descriptor[];
}

interface ImageManifest {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split("/");
  if (!os || !architecture) throw new AirbagError("USAGE", `--platform "${s}": expected os/arch[/variant]`);
  return { os, architecture, variant };
}

export function hostPlatform(): Platform {
  const arch = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" }[
    process.arch as string
  ];
  return { os: "linux", architecture: arch ?? "amd64" };
}

/** Pick one manifest from an index: the requested platform, else the host's, else linux/amd64. */
export function selectPlatform(
  manifests: Descriptor[],
  wanted: Platform | undefined,
  where: string,
): Descriptor {
  const images = manifests.filter((m) => m.platform?.os !== "unknown");
  if (images.length === 1 && !wanted) return images[0]!;
  const matches = (p: Platform) => (m: Descriptor) =>
    m.platform?.os === p.os &&
    m.platform?.architecture === p.architecture &&
    (!p.variant || m.platform?.variant === p.variant);
  const tries = wanted ? [wanted] : [hostPlatform(), { os: "linux", architecture: "amd64" }];
  for (const p of tries) {
    const hit = images.find(matches(p));
    if (hit) return hit;
  }
  const have = images.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(", ");
  throw inputError(
    `${where}: no manifest for platform ${tries.map((p) => `${p.os}/${p.architecture}`).join(" or ")} (available: ${have || "none"}); use --platform`,
  );
}

export function blobPath(digest: string, where: string): string {
  const { alg, hex } = parseDigest(digest, where);
  return `blobs/${alg}/${hex}`;
}

async function readBlob(store: BlobStore, d: Descriptor, where: string): Promise<Buffer> {
  const path = blobPath(d.digest, where);
  const buf = await store.read(path, MAX_JSON);
  verifyBlob(buf, d.digest, `${store.where}:${path}`);
  if (d.size !== undefined && d.size !== buf.length)
    throw inputError(`${store.where}:${path}: size ${buf.length} does not match descriptor size ${d.size}`);
  return buf;
}

function refMatches(d: Descriptor, ref: string): boolean {
  const a = d.annotations ?? {};
  const name = a["org.opencontainers.image.ref.name"];
  const full = a["io.containerd.image.name"];
  return (
    name === ref ||
    full === ref ||
    (full?.endsWith(`/${ref}`) ?? false) ||
    (full?.endsWith(`:${ref}`) ?? false)
  );
}

export interface OciSelector {
  tag?: string;
  digest?: string;
  platform?: Platform;
}

export async function openOciLayout(store: BlobStore, name: string, sel: OciSelector): Promise<LayeredImage> {
  if (!(await store.has("index.json"))) throw inputError(`${store.where}: not an OCI layout (no index.json)`);
  const index = parseJson<ImageIndex>(await store.read("index.json", MAX_JSON), `${store.where}:index.json`);
  const top = index.manifests ?? [];
  let desc: Descriptor | undefined;
  if (sel.digest) {
    desc = top.find((d) => d.digest === sel.digest) ?? { digest: sel.digest };
  } else if (sel.tag) {
    const hits = top.filter((d) => refMatches(d, sel.tag!));
    if (hits.length === 0) throw inputError(`${store.where}: no image tagged "${sel.tag}" in index.json`);
    // one tag on two different manifests is ambiguous: refuse rather than guess
    if (new Set(hits.map((d) => d.digest)).size > 1)
      throw inputError(
        `${store.where}: tag "${sel.tag}" names ${hits.length} different manifests in index.json`,
      );
    desc = hits[0];
  } else if (new Set(top.map((d) => d.digest)).size === 1) {
    // one manifest listed under several tags (or the same descriptor twice) is still one image
    desc = top[0];
  } else {
    desc = selectPlatform(top, sel.platform, `${store.where}:index.json`);
  }
  const manifestDesc = await resolveToManifest(store, desc!, sel.platform, 0);
  const where = `${store.where}:${blobPath(manifestDesc.digest, store.where)}`;
  const manifest = parseJson<ImageManifest>(await readBlob(store, manifestDesc, where), where);
  if (manifest.schemaVersion === 1)
    throw inputError(`${where}: Docker schema 1 manifests are not supported (deprecated); re-push the image`);
  if (!manifest.config || !Array.isArray(manifest.layers))
    throw inputError(`${where}: not an image manifest`);
  const cfgType = manifest.config.mediaType;
  if (cfgType && !CONFIG_TYPES.has(cfgType))
    throw inputError(`${where}: artifact of type ${cfgType} is not a container image`);
  const cfgWhere = `${store.where}:${blobPath(manifest.config.digest, store.where)}`;
  const config = parseJson<ImageConfig>(await readBlob(store, manifest.config, cfgWhere), cfgWhere);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length)
    throw inputError(
      `${cfgWhere}: config lists ${diffIds.length} diff_ids but the manifest has ${manifest.layers.length} layers`,
    );
  for (const l of manifest.layers)
    if (l.mediaType && !LAYER_TYPE.test(l.mediaType))
      throw inputError(`${where}: unsupported layer media type ${l.mediaType}`);
  return {
    kind: "layers",
    info: {
      name,
      kind: "oci",
      digest: manifestDesc.digest,
      architecture: config.architecture,
      layers: manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i]!, size: l.size })),
    },
    config,
    layers: manifest.layers.map((l, index) => {
      const path = blobPath(l.digest, store.where);
      return {
        index,
        diffId: diffIds[index],
        digest: l.digest,
        size: l.size,
        mediaType: l.mediaType,
        where: `${store.where}:${path}`,
        open: () => store.open(path),
      };
    }),
    close: () => store.close(),
  };
}

/** Follow (possibly nested) indexes down to an image manifest descriptor. */
async function resolveToManifest(
  store: BlobStore,
  desc: Descriptor,
  platform: Platform | undefined,
  depth: number,
): Promise<Descriptor> {
  if (depth > MAX_DEPTH) throw inputError(`${store.where}: indexes nested deeper than ${MAX_DEPTH} levels`);
  const where = `${store.where}:${blobPath(desc.digest, store.where)}`;
  const isIndex = desc.mediaType ? INDEX_TYPES.has(desc.mediaType) : undefined;
  if (isIndex === false) return desc;
  const doc = parseJson<ImageIndex & ImageManifest>(await readBlob(store, desc, where), where);
  if (!Array.isArray(doc.manifests)) return desc;
  if (doc.manifests.length === 0) throw inputError(`${where}: image index lists no manifests`);
  const next = selectPlatform(doc.manifests, platform, where);
  return resolveToManifest(store, next, platform, depth + 1);
}
