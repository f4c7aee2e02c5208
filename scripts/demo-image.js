// The bundled example image: examples/demo-image/layers/* (one directory per layer, applied in name
// order) → an OCI image layout, reproducibly (same bytes → same digests on every run). Shared by
// `npm run demo` (scripts/demo.js), test/e2e/demo.test.ts and examples/demo-advisories/select.mjs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
export const demoLayersDir = join(repoRoot, "examples/demo-image/layers");
export const demoAdvisoriesDir = join(repoRoot, "examples/demo-advisories");
export const DEMO_TAG = "demo";

const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/**
 * Writes the demo image as an OCI layout into `out` (an existing, empty directory) and returns the
 * `oci:` target naming it plus the layers (directory name, diffID, blob digest and size).
 */
export function buildDemoImage(out, { layersDir = demoLayersDir } = {}) {
  const blob = (data) => {
    const digest = sha(data);
    mkdirSync(join(out, "blobs/sha256"), { recursive: true });
    writeFileSync(join(out, "blobs/sha256", digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const layers = readdirSync(layersDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      // reproducible layer tars, as a build tool would write them
      const tar = execFileSync(
        "tar",
        [
          "--sort=name",
          "--owner=0",
          "--group=0",
          "--numeric-owner",
          "--mtime=@0",
          "-C",
          join(layersDir, name),
          "-cf",
          "-",
          ".",
        ],
        { maxBuffer: 1 << 28 },
      );
      return { name, diffId: sha(tar), ...blob(gzipSync(tar, { level: 9 })) };
    });
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/opt/app/bin/greeter"], WorkingDir: "/opt/app" },
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((l) => ({ created_by: `COPY ${l.name} /` })),
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: layers.map((l) => ({
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: l.digest,
          size: l.size,
        })),
      }),
    ),
  );
  writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(out, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": DEMO_TAG },
        },
      ],
    }),
  );
  return { target: `oci:${out}:${DEMO_TAG}`, layers };
}
