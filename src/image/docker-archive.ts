import { inputError } from "../model/index.js";
import type { BlobStore } from "./blob-store.js";
import { digestOf, parseJson, verifyBlob } from "./digest.js";
import { basename } from "./paths.js";
import type { ImageConfig, LayeredImage, LayerRef } from "./types.js";

/**
 * `docker save` / `podman save` / skopeo `docker-archive:` (manifest.json), including Docker ≥ 25's
 * OCI-shaped saves (`blobs/sha256/…` members) and the pre-1.10 format that only has `repositories`
 * and per-layer `json` files.
 */

interface ManifestEntry {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

const MAX_JSON = 32 << 20;
const HEX64 = /^[0-9a-f]{64}$/;

/** the digest a member's name promises: `<hex>.json`, `blobs/sha256/<hex>`, `<hex>/layer.tar` tells nothing */
function digestFromName(path: string): string | undefined {
  const name = basename(path).replace(/\.json$/, "");
  return HEX64.test(name) && !path.endsWith("/layer.tar") ? `sha256:${name}` : undefined;
}

function pickEntry(entries: ManifestEntry[], selector: string | undefined, where: string): ManifestEntry {
  if (!Array.isArray(entries) || entries.length === 0)
    throw inputError(`${where}: manifest.json lists no images`);
  if (!selector) return entries[0]!;
  if (/^@\d+$/.test(selector)) {
    const e = entries[Number(selector.slice(1))];
    if (!e) throw inputError(`${where}: no image number ${selector.slice(1)} in manifest.json`);
    return e;
  }
  const found = entries.filter((e) =>
    (e.RepoTags ?? []).some(
      (t) => t === selector || t.endsWith(`/${selector}`) || t === `docker.io/library/${selector}`,
    ),
  );
  if (found.length === 0) throw inputError(`${where}: no image tagged "${selector}" in manifest.json`);
  // a hostile or merged archive may give one tag to two images: refuse rather than guess
  if (new Set(found.map((e) => e.Config)).size > 1)
    throw inputError(
      `${where}: tag "${selector}" names ${found.length} different images in manifest.json; use @N`,
    );
  return found[0]!;
}

function layerRefs(store: BlobStore, paths: string[], diffIds: (string | undefined)[]): LayerRef[] {
  return paths.map((path, index) => ({
    index,
    diffId: diffIds[index],
    digest: digestFromName(path),
    where: `${store.where}:${path}`,
    open: () => store.open(path),
  }));
}

export async function openDockerArchive(
  store: BlobStore,
  name: string,
  selector?: string,
): Promise<LayeredImage> {
  if (!(await store.has("manifest.json"))) {
    if (await store.has("repositories")) return openLegacyArchive(store, name, selector);
    throw inputError(`${store.where}: not a docker archive (no manifest.json or repositories)`);
  }
  const entries = parseJson<ManifestEntry[]>(
    await store.read("manifest.json", MAX_JSON),
    `${store.where}:manifest.json`,
  );
  const entry = pickEntry(entries, selector, store.where);
  if (typeof entry.Config !== "string" || !Array.isArray(entry.Layers))
    throw inputError(`${store.where}: manifest.json entry lacks Config or Layers`);
  const where = `${store.where}:${entry.Config}`;
  const raw = await store.read(entry.Config, MAX_JSON);
  const promised = digestFromName(entry.Config);
  if (promised) verifyBlob(raw, promised, where);
  const config = parseJson<ImageConfig>(raw, where);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length)
    throw inputError(
      `${where}: config lists ${diffIds.length} diff_ids but manifest.json has ${entry.Layers.length} layers`,
    );
  return {
    kind: "layers",
    info: {
      name,
      kind: "docker-archive",
      digest: digestOf(raw),
      architecture: config.architecture,
      layers: entry.Layers.map((_, i) => ({
        diffId: diffIds[i]!,
        digest: digestFromName(entry.Layers![i]!),
      })),
    },
    config,
    layers: layerRefs(store, entry.Layers, diffIds),
    close: () => store.close(),
  };
}

interface LegacyLayerJson extends ImageConfig {
  id?: string;
  parent?: string;
}

async function openLegacyArchive(store: BlobStore, name: string, selector?: string): Promise<LayeredImage> {
  const repos = parseJson<Record<string, Record<string, string>>>(
    await store.read("repositories", MAX_JSON),
    `${store.where}:repositories`,
  );
  const tags: [string, string][] = [];
  for (const [repo, byTag] of Object.entries(repos ?? {}))
    for (const [tag, id] of Object.entries(byTag ?? {})) tags.push([`${repo}:${tag}`, id]);
  const hit = selector ? tags.find(([t]) => t === selector || t.endsWith(`/${selector}`)) : tags[0];
  if (!hit)
    throw inputError(`${store.where}: no image ${selector ? `tagged "${selector}" ` : ""}in repositories`);
  // follow parent links from the top layer down; the chain can be long but never cyclic
  const chain: string[] = [];
  let top: LegacyLayerJson | undefined;
  for (let id: string | undefined = hit[1]; id; ) {
    if (!HEX64.test(id) || chain.includes(id) || chain.length > 1000)
      throw inputError(`${store.where}: broken layer chain at "${id}"`);
    chain.push(id);
    const json: LegacyLayerJson = parseJson<LegacyLayerJson>(
      await store.read(`${id}/json`, MAX_JSON),
      `${store.where}:${id}/json`,
    );
    top ??= json;
    id = json.parent;
  }
  chain.reverse();
  const paths = chain.map((id) => `${id}/layer.tar`);
  return {
    kind: "layers",
    info: {
      name,
      kind: "docker-archive",
      digest: `sha256:${hit[1]}`,
      architecture: top?.architecture,
      layers: [],
    },
    config: top,
    // the legacy format records no diffIDs: nothing to verify against, the walker computes them
    layers: layerRefs(store, paths, []),
    close: () => store.close(),
  };
}
