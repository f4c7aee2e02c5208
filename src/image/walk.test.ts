import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildImage,
  type ImageSpec,
  writeDockerArchive,
  writeOciArchive,
  writeOciLayout,
} from "../../test/support/image-builder.js";
import { AirbagError } from "../model/index.js";
import { openTarget, parseTarget } from "./target.js";
import { walkImage } from "./walk.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-walk-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const wantAll = () => 1 << 20;

async function walk(target: string, capture: (p: string) => number = wantAll) {
  const warnings: string[] = [];
  const src = await openTarget(await parseTarget(target));
  try {
    const res = await walkImage(src, { capture, warn: (m) => warnings.push(m) });
    const files = Object.fromEntries(res.files.map((f) => [f.path, f.content.toString()]));
    return { ...res, files, warnings, byPath: new Map(res.files.map((f) => [f.path, f])) };
  } finally {
    await src.close();
  }
}

let n = 0;
async function oci(
  spec: ImageSpec,
): Promise<{ target: string; img: Awaited<ReturnType<typeof buildImage>> }> {
  const img = await buildImage(spec);
  const dir = join(tmp, `oci-${n++}`);
  await writeOciLayout(dir, img);
  return { target: `oci:${dir}`, img };
}

describe("layer application", () => {
  it("later layers replace files, whiteouts delete, opaque dirs hide lower content", async () => {
    const { target, img } = await oci({
      layers: [
        { "etc/a": "a1", "etc/b": "b1", "opt/x/1": "x1", "opt/x/2": "x2", "var/gone/f": "f" },
        { "etc/a": "a2", "etc/.wh.b": "", "opt/x/.wh..wh..opq": "", "opt/x/3": "x3", "var/.wh.gone": "" },
      ],
    });
    const r = await walk(target);
    expect(r.files).toEqual({ "etc/a": "a2", "opt/x/3": "x3" });
    expect(r.byPath.get("etc/a")!.layer).toBe(img.layers[1]!.diffId);
    expect(r.layers.map((l) => l.diffId)).toEqual(img.layers.map((l) => l.diffId));
  });

  it("an opaque marker keeps entries of its own layer even when they come first", async () => {
    const { target } = await oci({
      layers: [
        { "d/old": "o" },
        [
          { path: "d/new", content: "n" },
          { path: "d/.wh..wh..opq", content: "" },
        ],
      ],
    });
    expect((await walk(target)).files).toEqual({ "d/new": "n" });
  });

  it("a file replacing a directory removes everything below it", async () => {
    const { target } = await oci({
      layers: [{ "a/b/c": "c" }, [{ path: "a", content: "now a file" }]],
      parents: false,
    });
    expect((await walk(target)).files).toEqual({ a: "now a file" });
  });

  it("resolves symlinks inside the image root, never outside", async () => {
    const { target } = await oci({
      layers: [
        [
          { path: "usr/lib/os-release", content: "ID=debian" },
          { path: "etc/os-release", type: "symlink", target: "../usr/lib/os-release" },
          { path: "etc/escape", type: "symlink", target: "../../../../../usr/lib/os-release" },
          { path: "etc/abs", type: "symlink", target: "/usr/lib/os-release" },
        ],
      ],
    });
    const want = (p: string) => (p.startsWith("etc/") ? 4096 : 0);
    const r = await walk(target, want);
    expect(r.files).toEqual({
      "etc/os-release": "ID=debian",
      "etc/escape": "ID=debian",
      "etc/abs": "ID=debian",
    });
    expect(r.byPath.get("etc/os-release")!.realPath).toBe("usr/lib/os-release");
  });

  it("follows directory symlinks (merged /usr) and reports symlink loops as warnings", async () => {
    const { target } = await oci({
      layers: [
        [
          { path: "usr/lib/apk/db/installed", content: "P:x" },
          { path: "lib", type: "symlink", target: "usr/lib" },
          { path: "loop/a", type: "symlink", target: "b" },
          { path: "loop/b", type: "symlink", target: "a" },
        ],
      ],
    });
    const src = await openTarget(await parseTarget(target));
    const warnings: string[] = [];
    const res = await walkImage(src, {
      capture: (p) => (p.startsWith("loop/") ? 10 : 0),
      warn: (m) => warnings.push(m),
    });
    expect(res.files).toEqual([]);
    expect(warnings.join("\n")).toMatch(/loop/);
  });

  it("hardlinks share the content of their target, even one not asked for", async () => {
    const { target } = await oci({
      layers: [
        [
          { path: "data/orig", content: "shared" },
          { path: "var/lib/wanted", type: "link", target: "data/orig" },
        ],
      ],
    });
    const r = await walk(target, (p) => (p === "var/lib/wanted" ? 100 : 0));
    expect(r.files).toEqual({ "var/lib/wanted": "shared" });
  });

  it("skips entries that climb out of the root and device files, with warnings", async () => {
    const { target } = await oci({
      layers: [
        [
          { path: "../../etc/passwd", content: "root:x:0:0" },
          { path: "dev/evil", type: "character-device" },
          { path: "ok", content: "fine" },
        ],
      ],
      parents: false,
    });
    const r = await walk(target);
    expect(r.files).toEqual({ ok: "fine" });
    expect(r.warnings.join("\n")).toMatch(/escapes the image root/);
  });

  it("skips files over the per-file limit with a warning", async () => {
    const { target } = await oci({ layers: [{ big: Buffer.alloc(5000), small: "s" }] });
    const r = await walk(target, () => 1000);
    expect(r.files).toEqual({ small: "s" });
    expect(r.warnings.join()).toMatch(/big is 5000 bytes/);
  });
});

describe("image formats", () => {
  const spec: ImageSpec = { layers: [{ "etc/hello": "one" }, { "etc/hello": "two", "bin/x": "x" }] };
  const expected = { "etc/hello": "two", "bin/x": "x" };

  for (const compression of ["gzip", "zstd", "none"] as const) {
    it(`reads OCI layouts with ${compression} layers`, async () => {
      const { target } = await oci({ ...spec, compression });
      expect((await walk(target)).files).toEqual(expected);
    });
  }

  it("reads oci-archive tars, by tag and by bare path", async () => {
    const img = await buildImage(spec);
    const file = join(tmp, "img-oci.tar");
    await writeOciArchive(file, img, "v1");
    expect((await walk(`oci-archive:${file}:v1`)).files).toEqual(expected);
    expect((await walk(file)).files).toEqual(expected);
    await expect(walk(`oci:${file}:nope`)).rejects.toThrow(/no image tagged "nope"/);
  });

  it("reads docker archives, plain and gzip, with manifest.json last", async () => {
    const img = await buildImage(spec);
    for (const gzip of [false, true]) {
      const file = join(tmp, `docker-${gzip}.tar`);
      await writeDockerArchive(file, img, { gzip });
      const r = await walk(`docker-archive:${file}`);
      expect(r.files).toEqual(expected);
      expect(r.layers.map((l) => l.diffId)).toEqual(img.layers.map((l) => l.diffId));
      expect((await walk(file)).files).toEqual(expected);
    }
  });
});

describe("integrity", () => {
  it("refuses a layer whose blob digest does not match the manifest", async () => {
    const img = await buildImage({ layers: [{ a: "a" }] });
    const dir = join(tmp, "tampered");
    await writeOciLayout(dir, img);
    const other = await buildImage({ layers: [{ a: "b" }] });
    await writeFile(join(dir, "blobs", "sha256", img.layers[0]!.digest.slice(7)), other.layers[0]!.data);
    const err = await walk(`oci:${dir}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("INPUT");
    expect((err as Error).message).toMatch(/digest mismatch/);
  });

  it("refuses a docker archive whose layer does not match the config diff_ids", async () => {
    const img = await buildImage({ layers: [{ a: "a" }] });
    const file = join(tmp, "bad-diffid.tar");
    const other = await buildImage({ layers: [{ a: "evil" }], compression: "none" });
    await writeDockerArchive(file, img, { layerData: () => other.layers[0]!.data });
    await expect(walk(`docker-archive:${file}`)).rejects.toThrow(/diffID mismatch/);
  });
});

describe("stream taps", () => {
  /** counts bytes and remembers the first 4; stops early after 1 KiB */
  const tap = {
    id: "probe",
    wants: (p: string, size: number) => p.startsWith("bin/") && size > 0,
    consume: () => {
      let seen = 0;
      let head = "";
      return {
        write(chunk: Buffer) {
          if (!head) head = chunk.subarray(0, 4).toString();
          seen += chunk.length;
          return seen < 1024;
        },
        end: () => (head === "ELF!" ? { head, seen } : undefined),
      };
    },
  };

  it("hands streamed extracts of files in the final image only, with their layer", async () => {
    const { target, img } = await oci({
      layers: [
        {
          "bin/a": Buffer.concat([Buffer.from("ELF!"), Buffer.alloc(300_000)]),
          "bin/gone": "ELF!x",
          "bin/text": "#!/bin/sh",
        },
        { "bin/.wh.gone": "" },
      ],
    });
    const src = await openTarget(await parseTarget(target));
    const res = await walkImage(src, { capture: () => 0, streams: [tap], warn: () => {} });
    await src.close();
    expect(res.streamed).toHaveLength(1);
    expect(res.streamed[0]).toMatchObject({ path: "bin/a", layer: img.layers[0]!.diffId, size: 300_004 });
    const r = res.streamed[0]!.results.probe as { seen: number };
    // the tap asked to stop after 1 KiB: it was not fed the rest of the file
    expect(r.seen).toBeGreaterThanOrEqual(1024);
    expect(r.seen).toBeLessThan(300_004);
  });

  it("keeps every-layer extracts of deleted and replaced files, saying which are still present", async () => {
    const { target, img } = await oci({
      layers: [
        { "bin/gone": "ELF!x", "bin/replaced": "ELF!old", "bin/kept": "ELF!k", "bin/opaque/x": "ELF!o" },
        { "bin/.wh.gone": "", "bin/replaced": "plain now", "bin/opaque/.wh..wh..opq": "" },
      ],
    });
    const src = await openTarget(await parseTarget(target));
    const res = await walkImage(src, {
      capture: () => 0,
      streams: [{ ...tap, id: "every", everyLayer: true }],
      warn: () => {},
    });
    await src.close();
    const [l0] = img.layers.map((l) => l.diffId);
    expect(res.layered.map((r) => [r.path, r.layer, r.present]).sort()).toEqual([
      ["bin/gone", l0, false],
      ["bin/kept", l0, true],
      ["bin/opaque/x", l0, false],
      ["bin/replaced", l0, false],
    ]);
    // every-layer results are not also reported as final-image extracts
    expect(res.streamed).toEqual([]);
  });

  it("feeds taps from a rootfs directory too", async () => {
    const root = join(tmp, "rootfs-tap");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(root, "bin"), { recursive: true });
    await writeFile(join(root, "bin/a"), "ELF!....");
    const src = await openTarget(await parseTarget(`dir:${root}`));
    const res = await walkImage(src, { capture: () => 0, streams: [tap], warn: () => {} });
    expect(res.streamed.map((s) => s.path)).toEqual(["bin/a"]);
    expect(res.streamed[0]!.layer).toBeUndefined();
  });
});
