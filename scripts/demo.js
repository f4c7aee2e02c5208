#!/usr/bin/env node
// `npm run demo`: assemble the bundled example image (examples/demo-image/layers/*, a real Debian 12
// minbase package database plus an application layer) into an OCI layout, then inventory it with the
// built CLI. No network, nothing written outside a temp dir.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const layersDir = join(root, "examples/demo-image/layers");
const out = mkdtempSync(join(tmpdir(), "airbag-demo-"));
const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const blob = (data) => {
  const digest = sha(data);
  mkdirSync(join(out, "blobs/sha256"), { recursive: true });
  writeFileSync(join(out, "blobs/sha256", digest.slice(7)), data);
  return { digest, size: data.length };
};

try {
  const layers = readdirSync(layersDir)
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
      return { name, diffId: sha(tar), ...blob(gzipSync(tar)) };
    });
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/bin/bash"], WorkingDir: "/opt/app" },
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
          annotations: { "org.opencontainers.image.ref.name": "demo" },
        },
      ],
    }),
  );

  const cli = join(root, "dist/cli/main.js");
  const target = `oci:${out}:demo`;
  console.log(`$ airbag sbom ${target} --format table\n`);
  const table = spawnSync(process.execPath, [cli, "sbom", target, "--format", "table"], { stdio: "inherit" });
  if (table.status !== 0) process.exit(table.status ?? 2);
  const sbom = join(out, "sbom.cdx.json");
  const cdx = spawnSync(process.execPath, [cli, "sbom", target, "--format", "cyclonedx", "-o", sbom], {
    stdio: "inherit",
  });
  if (cdx.status !== 0) process.exit(cdx.status ?? 2);
  const doc = JSON.parse(execFileSync("cat", [sbom]).toString());
  console.log(
    `\nCycloneDX ${doc.specVersion} SBOM with ${doc.components.length} components written (then removed with the temp dir).`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
