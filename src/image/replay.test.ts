import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildImage,
  type ImageSpec,
  writeDockerArchive,
  writeOciLayout,
} from "../../test/support/image-builder.js";
import { LayerCache } from "./layer-cache.js";
import { composeImage } from "./replay.testutil.js";
import { openTarget, parseTarget } from "./target.js";
import type { ImageSource, LayerRef } from "./types.js";
import { type StreamTap, type WalkOptions, walkImage } from "./walk.js";

/**
 * The layer cache at the walker: a walk that replays cached layers must give exactly what an uncached
 * walk gives, without opening any cached layer's blob.
 */

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-replay-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
const fresh = (name: string) => join(tmp, `${name}-${n++}`);

/** An open source whose layers record which blobs were opened. */
async function spied(target: string): Promise<{ src: ImageSource; opened: number[] }> {
  const src = await openTarget(await parseTarget(target));
  const opened: number[] = [];
  if (src.kind === "layers")
    src.layers = src.layers.map(
      (l): LayerRef => ({
        ...l,
        open: () => {
          opened.push(l.index);
          return l.open();
        },
      }),
    );
  return { src, opened };
}

/** final-image tap: the first bytes of ELF-looking files; every-layer tap: files mentioning "SECRET" */
const taps = (version = 1, log?: string[]): StreamTap[] => [
  {
    id: "head",
    version,
    wants: (p, size) => p.startsWith("bin/") && size > 0,
    consume: () => {
      let head = "";
      return {
        write: (c: Buffer) => {
          head ||= c.subarray(0, 4).toString();
          return false;
        },
        end: () => (head === "ELF!" ? { head } : undefined),
      };
    },
  },
  {
    id: "secret",
    version: 1,
    everyLayer: true,
    wants: (_p, size) => size > 0 && size < 4096,
    consume: () => {
      let text = "";
      return {
        write: (c: Buffer) => {
          text += c.toString();
          return true;
        },
        end: () => (text.includes("SECRET") ? [{ line: 1 }] : undefined),
      };
    },
    // a summarising tap: must hear about cached files too
    replay: (p) => log?.push(p),
  },
];

const capture = (p: string) =>
  p.startsWith("etc/") || p.startsWith("var/lib/") ? 1000 : p === "big/wanted" ? 10 : 0;

async function walkWith(target: string, opts: Partial<WalkOptions> = {}) {
  const { src, opened } = await spied(target);
  const warnings: string[] = [];
  try {
    const res = await walkImage(src, { capture, streams: taps(), warn: (m) => warnings.push(m), ...opts });
    return { res, warnings, opened };
  } finally {
    await src.close();
  }
}

/** Uncached, then cold and warm with a cache: all three must agree; the warm walk opens no blob. */
async function roundTrip(target: string) {
  const plain = await walkWith(target);
  const cache = LayerCache.open(join(fresh("cache"), "layer-cache.sqlite"));
  try {
    const cold = await walkWith(target, { cache, cacheKey: "k" });
    const warm = await walkWith(target, { cache, cacheKey: "k" });
    return { plain, cold, warm, cache };
  } finally {
    cache.close();
  }
}

async function oci(spec: ImageSpec): Promise<{ target: string; dir: string }> {
  const dir = fresh("oci");
  await writeOciLayout(dir, await buildImage(spec));
  return { target: `oci:${dir}`, dir };
}

const FIXTURES: Record<string, ImageSpec> = {
  "whiteouts and opaque directories": {
    layers: [
      { "etc/a": "a1", "etc/b": "b1", "etc/x/1": "x1", "etc/x/2": "SECRET x2", "var/lib/gone/f": "f" },
      { "etc/a": "a2", "etc/.wh.b": "", "etc/x/.wh..wh..opq": "", "etc/x/3": "x3", "var/lib/.wh.gone": "" },
      [
        { path: "etc/x/4", content: "x4" },
        { path: "etc/x/.wh..wh..opq", content: "" },
      ],
    ],
  },
  "symlinks needing a second pass, hardlinks, a file over a directory": {
    layers: [
      [
        { path: "usr/lib/os-release", content: "ID=debian" },
        { path: "data/orig", content: "shared" },
        { path: "a/b/c", content: "under a dir" },
      ],
      [
        { path: "etc/os-release", type: "symlink", target: "../usr/lib/os-release" },
        { path: "var/lib/wanted", type: "link", target: "data/orig" },
        { path: "etc/loop", type: "symlink", target: "loop2" },
        { path: "etc/loop2", type: "symlink", target: "loop" },
      ],
      [{ path: "a", content: "now a file" }],
    ],
  },
  "taps, deleted and replaced files, hostile entries, size limits": {
    layers: [
      {
        "bin/a": Buffer.concat([Buffer.from("ELF!"), Buffer.alloc(70_000)]),
        "bin/gone": "ELF!SECRET",
        "bin/replaced": "ELF!old SECRET",
        "etc/big": Buffer.alloc(5000),
        "big/wanted": "over ten bytes",
      },
      [
        { path: "bin/.wh.gone", content: "" },
        { path: "bin/replaced", content: "plain now" },
        { path: "../../etc/passwd", content: "root:x:0:0" },
        { path: "dev/evil", type: "character-device" },
        { path: "etc/empty", content: "" },
      ],
    ],
  },
};

describe("walk with the layer cache", () => {
  for (const [name, spec] of Object.entries(FIXTURES))
    it(`gives the uncached result, reading no layer when warm: ${name}`, async () => {
      const { target } = await oci(spec);
      const { plain, cold, warm } = await roundTrip(target);
      expect(cold.res).toEqual(plain.res);
      expect(cold.warnings).toEqual(plain.warnings);
      expect(warm.res).toEqual(plain.res);
      expect(warm.warnings).toEqual(plain.warnings);
      expect(warm.opened).toEqual([]);
      expect(plain.res.files.length + plain.res.streamed.length).toBeGreaterThan(0);
    });

  it("warm walks need no blob at all (deleted after the first scan)", async () => {
    const spec = FIXTURES["symlinks needing a second pass, hardlinks, a file over a directory"]!;
    const img = await buildImage(spec);
    const dir = fresh("oci");
    await writeOciLayout(dir, img);
    const cache = LayerCache.open(join(fresh("cache"), "c.sqlite"));
    const cold = await walkWith(`oci:${dir}`, { cache, cacheKey: "k" });
    // the second pass read only the layer holding the link target, the rest came from the cache
    expect(cold.opened).toEqual([0, 1, 2, 0]);
    for (const l of img.layers) await rm(join(dir, "blobs", "sha256", l.digest.slice(7)));
    const warm = await walkWith(`oci:${dir}`, { cache, cacheKey: "k" });
    cache.close();
    expect(warm.opened).toEqual([]);
    expect(warm.res).toEqual(cold.res);
    expect(warm.res.files.find((f) => f.path === "etc/os-release")?.content.toString()).toBe("ID=debian");
  });

  it("a second image sharing the base layer reads only its own layer", async () => {
    const built = await buildImage({
      layers: [{ "etc/base": "from base", "bin/tool": "ELF!tool" }, { "etc/a": "image a" }],
    });
    const own = await buildImage({ layers: [{ "etc/b": "image b", "etc/.wh.base": "" }] });
    const a = { target: `oci:${fresh("oci")}` };
    const b = { target: `oci:${fresh("oci")}` };
    await writeOciLayout(a.target.slice(4), built);
    await writeOciLayout(b.target.slice(4), composeImage([built.layers[0]!, own.layers[0]!]));
    const cache = LayerCache.open(join(fresh("cache"), "c.sqlite"));
    await walkWith(a.target, { cache, cacheKey: "k" });
    const second = await walkWith(b.target, { cache, cacheKey: "k" });
    cache.close();
    expect(second.opened).toEqual([1]);
    expect(second.res).toEqual((await walkWith(b.target)).res);
  });

  it("misses when a tap's version or the capture key changes, or without a diffID", async () => {
    const { target } = await oci(FIXTURES["whiteouts and opaque directories"]!);
    const cache = LayerCache.open(join(fresh("cache"), "c.sqlite"));
    await walkWith(target, { cache, cacheKey: "k" });
    expect((await walkWith(target, { cache, cacheKey: "k" })).opened).toEqual([]);
    expect((await walkWith(target, { cache, cacheKey: "k", streams: taps(2) })).opened).toEqual([0, 1, 2]);
    expect((await walkWith(target, { cache, cacheKey: "k2" })).opened).toEqual([0, 1, 2]);
    // a tap without a version cannot be invalidated: no cache at all
    const unversioned = taps().map(({ version: _v, ...t }) => t);
    expect((await walkWith(target, { cache, cacheKey: "k", streams: unversioned })).opened).toEqual([
      0, 1, 2,
    ]);
    // a layer the config does not name by diffID is neither looked up nor stored
    const { src, opened } = await spied(target);
    if (src.kind === "layers") src.layers = src.layers.map((l) => ({ ...l, diffId: undefined }));
    const before = cache.stats().layers;
    await walkImage(src, { capture, streams: taps(), warn: () => {}, cache, cacheKey: "k3" });
    await src.close();
    expect(opened).toEqual([0, 1, 2]);
    expect(cache.stats().layers).toBe(before);
    cache.close();
  });

  it("tells summarising taps about the files of cached layers", async () => {
    const { target } = await oci(FIXTURES["taps, deleted and replaced files, hostile entries, size limits"]!);
    const cache = LayerCache.open(join(fresh("cache"), "c.sqlite"));
    await walkWith(target, { cache, cacheKey: "k" });
    const log: string[] = [];
    await walkWith(target, { cache, cacheKey: "k", streams: taps(1, log) });
    cache.close();
    expect(log.sort()).toEqual(["big/wanted", "bin/gone", "bin/replaced", "bin/replaced"]);
  });

  it("docker archives (no blob digest or size in the manifest) replay with the same layer sizes", async () => {
    const img = await buildImage(FIXTURES["whiteouts and opaque directories"]!);
    const file = `${fresh("docker")}.tar`;
    await writeDockerArchive(file, img);
    const { plain, warm } = await roundTrip(`docker-archive:${file}`);
    expect(warm.opened).toEqual([]);
    expect(warm.res).toEqual(plain.res);
    expect(warm.res.layers.every((l) => l.size > 0)).toBe(true);
  });

  it("does not cache a layer that fails verification", async () => {
    const img = await buildImage({ layers: [{ "etc/a": "a" }] });
    const file = `${fresh("bad")}.tar`;
    const other = await buildImage({ layers: [{ "etc/a": "evil" }], compression: "none" });
    await writeDockerArchive(file, img, { layerData: () => other.layers[0]!.data });
    const cache = LayerCache.open(join(fresh("cache"), "c.sqlite"));
    await expect(walkWith(`docker-archive:${file}`, { cache, cacheKey: "k" })).rejects.toThrow(
      /diffID mismatch/,
    );
    await expect(walkWith(`docker-archive:${file}`, { cache, cacheKey: "k" })).rejects.toThrow(
      /diffID mismatch/,
    );
    expect(cache.stats().layers).toBe(0);
    cache.close();
  });
});
