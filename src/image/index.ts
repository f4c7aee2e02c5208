export { type BlobStore, DirStore, TarStore } from "./blob-store.js";
export { DEFAULT_LIMITS, type ExpansionLimits } from "./decompress.js";
export { openDockerArchive } from "./docker-archive.js";
export { type EngineSourceOptions, openEngineImage } from "./engine-source.js";
export { FileTree } from "./file-tree.js";
export { hostPlatform, openOciLayout, parsePlatform, selectPlatform } from "./oci-layout.js";
export { normalizeEntryPath } from "./paths.js";
export { type ParsedPurl, parsePurl, purlFacts } from "./purl-parse.js";
export {
  formatReference,
  type ImageReference,
  type ManifestResponse,
  openRegistryImage,
  parseReference,
  RegistryClient,
  type RegistryClientOptions,
  type RegistrySourceOptions,
} from "./registry/index.js";
export { parseSbom, readSbom } from "./sbom-input.js";
export { openTarget, parseTarget, type TargetOptions, type TargetRef } from "./target.js";
export type * from "./types.js";
export {
  type StreamedResult,
  type StreamTap,
  type WalkedFile,
  type WalkOptions,
  type WalkResult,
  walkImage,
} from "./walk.js";
