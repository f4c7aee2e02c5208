import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walkImage } from "../../src/image/index.js";
import { RegistryClient } from "../../src/image/registry/client.js";
import { openRegistryImage } from "../../src/image/registry/source.js";
import { type BuiltImage, buildImage, writeOciLayout } from "../support/image-builder.js";
import { pushLayout, type RunningRegistry, registrySkipReason, startRegistry } from "../support/registry.js";
import { startProxy } from "../support/registry-proxy.js";

/**
 * The registry client API other code builds on (signatures: manifest, blob, referrers), and the
 * registry source's layer prefetching, against the real docker-registry on loopback.
 */

const skip = registrySkipReason();
if (skip) console.warn(`[integration/registry-client] skipped: ${skip}`);

describe.skipIf(!!skip)("registry client API and layer prefetching", () => {
  let reg: RunningRegistry;
  let tmp: string;
  let app: BuiltImage;
  let big: BuiltImage;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "airbag-regclient-"));
    reg = await startRegistry();
    app = await buildImage({ layers: [{ "etc/a": "a" }, { "etc/b": "b" }] });
    await writeOciLayout(join(tmp, "app"), app, "1");
    await pushLayout(reg, join(tmp, "app"), "team/app:1", { tag: "1" });
    // several MiB per layer that gzip cannot shrink, so prefetches really run alongside the walk
    big = await buildImage({
      layers: [0, 1, 2].map((i) => ({
        "var/lib/dpkg/status": `Package: p${i}\nStatus: install ok installed\nVersion: 1\n`,
        [`opt/blob${i}.bin`]: randomBytes(3 << 20).toString("base64"),
      })),
    });
    await writeOciLayout(join(tmp, "big"), big, "1");
    await pushLayout(reg, join(tmp, "big"), "big:1", { tag: "1" });
  });

  afterAll(async () => {
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("client API: manifest, verified blobBytes, tags, referrers, mirrors with fallback", async () => {
    const dead = await startProxy(reg, () => "pass");
    const deadAddress = dead.address;
    await new Promise((r) => dead.server.close(r));
    // the registry itself is down, its mirror serves
    const viaMirror = RegistryClient.for(`${deadAddress}/team/app:1`, {
      credentials: null,
      mirrors: { [deadAddress]: [reg.address] },
    });
    // the mirror is down, the registry serves
    const viaOrigin = RegistryClient.for(`${reg.address}/team/app:1`, {
      credentials: null,
      mirrors: { [reg.address]: [deadAddress] },
    });
    try {
      for (const client of [viaMirror, viaOrigin]) {
        const m = await client.manifest();
        expect(m.digest).toBe(app.manifest.digest);
        expect(m.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
        expect(m.bytes.equals(app.manifest.data)).toBe(true);
        expect((await client.blobBytes(app.config.digest, 1 << 20)).equals(app.config.data)).toBe(true);
      }
      expect(await viaOrigin.tags()).toEqual(["1"]);
      const byDigest = await viaOrigin.manifest(app.manifest.digest);
      expect(byDigest.digest).toBe(app.manifest.digest);
      // distribution 2.8 has no referrers API and no sha256-<hex> tag here: an empty list
      expect(await viaOrigin.referrers(app.manifest.digest)).toEqual([]);
      const chunks: Buffer[] = [];
      for await (const c of await viaOrigin.blob(app.layers[0]!.digest)) chunks.push(c);
      expect(Buffer.concat(chunks).equals(app.layers[0]!.data)).toBe(true);
      await expect(viaOrigin.blobBytes(app.layers[0]!.digest, 10)).rejects.toThrow(/larger than 10 bytes/);
    } finally {
      await viaMirror.close();
      await viaOrigin.close();
    }
  });

  it("follows blob redirects (registries hand blobs to a CDN with a 307)", async () => {
    const front = await startProxy(reg, (req) =>
      req.url?.includes("/blobs/")
        ? { status: 307, headers: { location: `http://${reg.address}${req.url}` } }
        : "pass",
    );
    const client = RegistryClient.for(`${front.address}/team/app:1`, { credentials: null });
    try {
      expect((await client.blobBytes(app.config.digest, 1 << 20)).equals(app.config.data)).toBe(true);
      expect(front.seen.some((l) => l.includes(app.config.digest) && l.endsWith(" 307"))).toBe(true);
    } finally {
      await client.close();
      front.server.close();
    }
  });

  it("prefetching layers ahead gives the same walk, and a truncated prefetched layer still fails it", async () => {
    const walk = async (address: string) => {
      const src = await openRegistryImage(`${address}/big:1`, { prefetchLayers: 2, credentials: null });
      try {
        return await walkImage(src, {
          capture: (p) => (p === "var/lib/dpkg/status" ? 1 << 20 : 0),
          warn: () => {},
        });
      } finally {
        await src.close();
      }
    };
    const ok = await walk(reg.address);
    expect(ok.layers.map((l) => l.diffId)).toEqual(big.layers.map((l) => l.diffId));
    expect(ok.files.map((f) => f.path)).toEqual(["var/lib/dpkg/status"]);
    const cut = big.layers[1]!.digest;
    const proxy = await startProxy(reg, (req) => (req.url?.endsWith(`/blobs/${cut}`) ? "truncate" : "pass"));
    try {
      await expect(walk(proxy.address)).rejects.toThrow(
        /interrupted after \d+ bytes|closed before the answer/,
      );
    } finally {
      proxy.server.close();
    }
  });
});
