import { createHash } from "node:crypto";
import type { BuiltBlob, BuiltImage } from "../../test/support/image-builder.js";

/**
 * An image made of already-built layers, so two test images really share a layer blob: the builder
 * stamps tar entries with the current time, so building the same tree twice may give another diffID.
 */
export function composeImage(layers: BuiltImage["layers"], config: Record<string, unknown> = {}): BuiltImage {
  const blob = (value: unknown): BuiltBlob => {
    const data = Buffer.from(JSON.stringify(value));
    return { data, digest: `sha256:${createHash("sha256").update(data).digest("hex")}`, size: data.length };
  };
  const cfg = blob({
    architecture: "amd64",
    os: "linux",
    config: {},
    ...config,
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
  });
  const manifest = blob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: cfg.digest, size: cfg.size },
    layers: layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  });
  return { manifest, config: cfg, layers };
}
