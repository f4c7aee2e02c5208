import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, layerTar, tarOf, writeOciLayout } from "../../test/support/image-builder.js";
import { openTarget, parseTarget } from "./target.js";
import { walkImage } from "./walk.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-oci-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function files(target: string, platform?: string): Promise<Record<string, string>> {
  const src = await openTarget(await parseTarget(target), { platform });
  try {
    const r = await walkImage(src, { capture: () => 1024, warn: () => {} });
    return Object.fromEntries(r.files.map((f) => [f.path, f.content.toString()]));
  } finally {
    await src.close();
  }
}

/** A layout holding one image per platform behind a nested index: index.json → index → manifests. */
async function multiArch(): Promise<{ dir: string; digests: Record<string, string> }> {
  const dir = join(tmp, "multi");
  const amd = await buildImage({ layers: [{ arch: "amd64" }] });
  const arm = await buildImage({ layers: [{ arch: "arm64" }], architecture: "arm64" });
  const armv7 = await buildImage({ layers: [{ arch: "arm/v7" }], architecture: "arm" });
  await writeOciLayout(dir, amd);
  for (const img of [arm, armv7])
    for (const b of [img.manifest, img.config, ...img.layers])
      await writeFile(join(dir, "blobs/sha256", b.digest.slice(7)), b.data);
  const desc = (img: typeof amd, architecture: string, variant?: string) => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: img.manifest.digest,
    size: img.manifest.size,
    platform: { os: "linux", architecture, ...(variant ? { variant } : {}) },
  });
  const attestation = { ...desc(amd, "unknown"), platform: { os: "unknown", architecture: "unknown" } };
  const inner = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [attestation, desc(arm, "arm64"), desc(armv7, "arm", "v7"), desc(amd, "amd64")],
    }),
  );
  await writeFile(join(dir, "blobs/sha256", sha(inner).slice(7)), inner);
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.index.v1+json",
          digest: sha(inner),
          size: inner.length,
          annotations: { "org.opencontainers.image.ref.name": "3.1" },
        },
      ],
    }),
  );
  return { dir, digests: { amd: amd.manifest.digest, arm: arm.manifest.digest } };
}

describe("OCI layout selection", () => {
  it("walks nested indexes to the requested platform, defaulting to the host's", async () => {
    const { dir } = await multiArch();
    expect(await files(`oci:${dir}:3.1`, "linux/arm64")).toEqual({ arch: "arm64" });
    expect(await files(`oci:${dir}:3.1`, "linux/arm/v7")).toEqual({ arch: "arm/v7" });
    const host = process.arch === "arm64" ? "arm64" : "amd64";
    expect(await files(`oci:${dir}`)).toEqual({ arch: host });
    await expect(files(`oci:${dir}`, "linux/s390x")).rejects.toThrow(
      /no manifest for platform linux\/s390x.*available: linux\/arm64/,
    );
  });

  it("selects a manifest by digest", async () => {
    const { dir, digests } = await multiArch();
    expect(await files(`oci:${dir}@${digests.arm}`)).toEqual({ arch: "arm64" });
    const src = await openTarget(await parseTarget(`oci:${dir}@${digests.arm}`));
    expect(src.info.digest).toBe(digests.arm);
    await src.close();
  });
});

describe("legacy docker archives", () => {
  it("reads the pre-1.10 format (repositories + per-layer json parent chains)", async () => {
    const base = "a".repeat(64);
    const top = "b".repeat(64);
    const members: [string, Buffer][] = [
      ["repositories", Buffer.from(JSON.stringify({ "example/app": { "1": top } }))],
      [
        `${top}/json`,
        Buffer.from(
          JSON.stringify({ id: top, parent: base, architecture: "amd64", config: { User: "app" } }),
        ),
      ],
      [`${top}/layer.tar`, await layerTar({ "etc/motd": "new", "etc/.wh.old": "" })],
      [`${base}/json`, Buffer.from(JSON.stringify({ id: base }))],
      [`${base}/layer.tar`, await layerTar({ "etc/motd": "old", "etc/old": "gone" })],
    ];
    const file = join(tmp, "legacy.tar");
    await writeFile(file, await tarOf(members));
    expect(await files(`docker-archive:${file}`)).toEqual({ "etc/motd": "new" });
    const src = await openTarget(await parseTarget(file));
    expect(src.kind === "layers" && src.config?.config?.User).toBe("app");
    await src.close();
  });

  it("refuses a parent chain that loops", async () => {
    const a = "c".repeat(64);
    const b = "d".repeat(64);
    const file = join(tmp, "loop.tar");
    await writeFile(
      file,
      await tarOf([
        ["repositories", Buffer.from(JSON.stringify({ x: { latest: a } }))],
        [`${a}/json`, Buffer.from(JSON.stringify({ parent: b }))],
        [`${b}/json`, Buffer.from(JSON.stringify({ parent: a }))],
      ]),
    );
    await expect(openTarget(await parseTarget(`docker-archive:${file}`))).rejects.toThrow(
      /broken layer chain/,
    );
  });
});
