import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirbagError, catalog } from "../../src/index.js";
import { buildImage, type ImageSpec, writeDockerArchive, writeOciLayout } from "../support/image-builder.js";

/**
 * Hostile inputs from the issue: each gives a clear input error or a safe skip, never a crash, never a
 * partial result, with bounded memory.
 */

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-hostile-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const STATUS = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n";

let n = 0;
async function ociDir(spec: ImageSpec) {
  const img = await buildImage(spec);
  const dir = join(tmp, `img${n++}`);
  await writeOciLayout(dir, img);
  return { dir, img };
}

async function inputErrorOf(p: Promise<unknown>): Promise<AirbagError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AirbagError);
  expect((err as AirbagError).code).toBe("INPUT");
  expect((err as Error).message.split("\n")).toHaveLength(1);
  return err as AirbagError;
}

/** A layer whose blob is `data` (already compressed as the manifest claims): rewrite descriptors to match. */
async function withLayerBlob(data: Buffer, diffId: string): Promise<string> {
  const { dir, img } = await ociDir({ layers: [{ x: "x" }] });
  const { createHash } = await import("node:crypto");
  const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  await writeFile(join(dir, "blobs/sha256", digest.slice(7)), data);
  const config = JSON.parse(img.config.data.toString());
  config.rootfs.diff_ids = [diffId];
  const cfg = Buffer.from(JSON.stringify(config));
  const cfgDigest = `sha256:${createHash("sha256").update(cfg).digest("hex")}`;
  await writeFile(join(dir, "blobs/sha256", cfgDigest.slice(7)), cfg);
  const manifest = JSON.parse(img.manifest.data.toString());
  manifest.config = { ...manifest.config, digest: cfgDigest, size: cfg.length };
  manifest.layers = [{ ...manifest.layers[0], digest, size: data.length }];
  const man = Buffer.from(JSON.stringify(manifest));
  const manDigest = `sha256:${createHash("sha256").update(man).digest("hex")}`;
  await writeFile(join(dir, "blobs/sha256", manDigest.slice(7)), man);
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: manifest.mediaType, digest: manDigest, size: man.length }],
    }),
  );
  return dir;
}

describe("hostile images", () => {
  it("wrong layer digest → input error naming the blob, no inventory", async () => {
    const { dir, img } = await ociDir({ layers: [{ "var/lib/dpkg/status": STATUS }] });
    const blob = join(dir, "blobs/sha256", img.layers[0]!.digest.slice(7));
    const data = await readFile(blob);
    data[data.length - 9] = data[data.length - 9]! ^ 1; // inside the gzip trailer's CRC: still inflates
    await writeFile(blob, data);
    const err = await inputErrorOf(catalog(`oci:${dir}`));
    expect(err.message).toContain(img.layers[0]!.digest.slice(7));
  });

  it("wrong manifest digest in index.json → input error", async () => {
    const { dir } = await ociDir({ layers: [{ a: "a" }] });
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
    index.manifests[0].digest = `sha256:${"0".repeat(64)}`;
    await writeFile(join(dir, "index.json"), JSON.stringify(index));
    await inputErrorOf(catalog(`oci:${dir}`));
  });

  it("truncated gzip layer → input error", async () => {
    const { dir, img } = await ociDir({
      layers: [{ "var/lib/dpkg/status": STATUS, pad: Buffer.alloc(100_000, 1) }],
    });
    const blob = join(dir, "blobs/sha256", img.layers[0]!.digest.slice(7));
    await truncate(blob, Math.floor(img.layers[0]!.size / 2));
    const err = await inputErrorOf(catalog(`oci:${dir}`));
    expect(err.message).toMatch(/gzip|truncated|bytes/);
  });

  it("truncated gzip docker archive → input error", async () => {
    const img = await buildImage({ layers: [{ a: Buffer.alloc(200_000, 3) }] });
    const file = join(tmp, "trunc.tar.gz");
    await writeDockerArchive(file, img, { gzip: true });
    const data = await readFile(file);
    await writeFile(file, data.subarray(0, data.length >> 1));
    await inputErrorOf(catalog(`docker-archive:${file}`));
  });

  it("tar entry ../../etc/passwd is skipped, nothing is written outside, the rest is read", async () => {
    const { dir } = await ociDir({
      layers: [
        [
          { path: "../../etc/passwd", content: "evil" },
          { path: "var/lib/dpkg/status", content: STATUS },
        ],
      ],
      parents: false,
    });
    const warnings: string[] = [];
    const inv = await catalog(`oci:${dir}`, { onWarning: (w) => warnings.push(w) });
    expect(inv.packages.map((p) => p.name)).toEqual(["base-files"]);
    expect(warnings.join()).toMatch(/escapes the image root/);
    expect(await readFile("/etc/passwd", "utf8")).not.toBe("evil");
  });

  it("symlink loop on a wanted path is a warning, not a hang", async () => {
    const { dir } = await ociDir({
      layers: [
        [
          { path: "etc/os-release", type: "symlink", target: "os-release2" },
          { path: "etc/os-release2", type: "symlink", target: "os-release" },
          { path: "var/lib/dpkg/status", content: STATUS },
        ],
      ],
    });
    const warnings: string[] = [];
    const inv = await catalog(`oci:${dir}`, { onWarning: (w) => warnings.push(w) });
    expect(inv.packages).toHaveLength(1);
    expect(warnings.join()).toMatch(/loop/);
  });

  it("a 10 GB sparse file is skipped without being read", async () => {
    const root = join(tmp, "sparse");
    execFileSync("mkdir", ["-p", `${root}/var/lib/dpkg`]);
    await writeFile(`${root}/var/lib/dpkg/status`, STATUS);
    execFileSync("truncate", ["-s", "10G", `${root}/var/lib/dpkg/huge`]);
    for (const format of ["gnu", "posix"]) {
      const tar = execFileSync("tar", ["-C", root, "-S", `--format=${format}`, "-cf", "-", "."], {
        maxBuffer: 1 << 24,
      });
      expect(tar.length).toBeLessThan(1 << 20);
      const { createHash } = await import("node:crypto");
      const d = await withLayerBlob(
        gzipSync(tar),
        `sha256:${createHash("sha256").update(tar).digest("hex")}`,
      );
      const started = Date.now();
      const inv = await catalog(`oci:${d}`);
      expect(inv.packages.map((p) => p.name)).toEqual(["base-files"]);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it("a header declaring 10 GB with no data behind it → truncated-tar input error", async () => {
    const tar = execFileSync("sh", ["-c", `cd ${tmp} && printf 'x' > small && tar --format=gnu -cf - small`]);
    const hdr = Buffer.from(tar.subarray(0, 512));
    hdr.write(`${(10 * 2 ** 30).toString(8).padStart(11, "0")}\0`, 124, "latin1");
    hdr.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of hdr) sum += b;
    hdr.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    const layer = Buffer.concat([hdr, Buffer.alloc(4096, 0x61)]);
    const { createHash } = await import("node:crypto");
    const dir = await withLayerBlob(
      gzipSync(layer),
      `sha256:${createHash("sha256").update(layer).digest("hex")}`,
    );
    const err = await inputErrorOf(catalog(`oci:${dir}`));
    expect(err.message).toMatch(/truncated tar/);
  });

  it("a gzip bomb is refused quickly with bounded memory", async () => {
    // 4 GiB of zeros as concatenated gzip members: ~4 MB on disk
    const member = gzipSync(Buffer.alloc(1 << 20));
    const bomb = Buffer.concat(Array.from({ length: 4096 }, () => member));
    const dir = await withLayerBlob(bomb, `sha256:${"1".repeat(64)}`);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const err = await inputErrorOf(catalog(`oci:${dir}`));
    expect(err.message).toMatch(/decompression bomb/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 2 ** 20);
  });

  it("garbage instead of an archive → input error", async () => {
    const file = join(tmp, "garbage.tar");
    await writeFile(file, Buffer.alloc(4096, 0x41));
    await inputErrorOf(catalog(`docker-archive:${file}`));
    expect((await inputErrorOf(catalog(join(tmp, "does-not-exist.tar")))).message).toMatch(/no such file/);
  });

  it("non-image artifact and schema 1 manifests are refused with a clear message", async () => {
    const { dir, img } = await ociDir({ layers: [{ a: "a" }] });
    const { createHash } = await import("node:crypto");
    const manifest = JSON.parse(img.manifest.data.toString());
    manifest.config.mediaType = "application/vnd.cncf.helm.config.v1+json";
    const man = Buffer.from(JSON.stringify(manifest));
    const d = `sha256:${createHash("sha256").update(man).digest("hex")}`;
    await writeFile(join(dir, "blobs/sha256", d.slice(7)), man);
    await writeFile(
      join(dir, "index.json"),
      JSON.stringify({ schemaVersion: 2, manifests: [{ digest: d, size: man.length }] }),
    );
    expect((await inputErrorOf(catalog(`oci:${dir}`))).message).toMatch(/not a container image/);
  });
});
