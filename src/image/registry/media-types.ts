/**
 * Manifest and config media types the registry source understands (OCI image spec v1.1 and Docker's
 * image manifest v2 schema 2). Schema 1 types are requested too, only so that a schema-1-only image
 * is recognised and refused with a clear message instead of a 404.
 */

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
export const DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

export const INDEX_TYPES: ReadonlySet<string> = new Set([OCI_INDEX, DOCKER_LIST]);
export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED]);

export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);

/** Image layer blobs (compression is sniffed from the bytes later, never trusted from the type). */
export const LAYER_TYPE =
  /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)(\+gzip|\+zstd|\.gzip)?$/;

/** Accept header for manifest requests, preferred types first. */
export const MANIFEST_ACCEPT = [
  OCI_INDEX,
  DOCKER_LIST,
  OCI_MANIFEST,
  DOCKER_MANIFEST,
  DOCKER_SCHEMA1_SIGNED,
  DOCKER_SCHEMA1,
].join(", ");
