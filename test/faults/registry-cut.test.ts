import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerScan } from "../../src/cli/scan.js";
import { VulnDb } from "../../src/vulndb/store.js";
import { runCommands } from "../support/cli-in-process.js";
import { type BuiltImage, buildImage, writeOciLayout } from "../support/image-builder.js";
import { pushLayout, type RunningRegistry, registrySkipReason, startRegistry } from "../support/registry.js";
import { type CuttingProxy, startCuttingProxy } from "./cutting-proxy.js";

/**
 * A registry that drops the connection mid-blob: a loopback proxy in front of the real Debian
 * docker-registry cuts one layer's download after N bytes (N from a seeded generator, plus the edges
 * 0 and size−1). `airbag scan registry:…` must then either succeed with the complete result or fail
 * with exit 2 and one line naming the blob — never print a partial inventory — and the layer cache
 * must hold nothing for the cut layer (the next scan downloads it again).
 */

const skip = registrySkipReason();
if (skip) console.warn(`[faults/registry-cut] skipped: ${skip}`);
const OS_RELEASE = 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const status = (pkgs: string[]) =>
  pkgs
    .map(
      (p) =>
        `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: x\n`,
    )
    .join("\n");

/** Incompressible but reproducible bytes (xorshift32), so the cut layer is large on the wire. */
function noise(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}

describe.skipIf(skip)("registry dropping connections mid-blob", () => {
  let reg: RunningRegistry;
  let tmp: string;
  let img: BuiltImage;
  let db: string;
  const scanCli = (ref: string, extra: string[]) =>
    runCommands(registerScan, ["scan", ref, "--db", db, "-f", "json", ...extra]);

  beforeAll(async () => {
    reg = await startRegistry();
    tmp = await mkdtemp(join(tmpdir(), "airbag-fault-reg-"));
    db = join(tmp, "vuln.sqlite");
    VulnDb.open(db).close();
    img = await buildImage({
      layers: [
        { "usr/lib/os-release": OS_RELEASE, "var/lib/dpkg/status": status(["base-files", "bash"]) },
        {
          "var/lib/dpkg/status": status(["base-files", "bash", "curl", "openssl", "zlib1g"]),
          "usr/share/fault/noise.bin": noise(768 * 1024, 7),
        },
      ],
    });
    await writeOciLayout(join(tmp, "layout"), img, "1");
    await pushLayout(reg, join(tmp, "layout"), "fault:1", { tag: "1" });
  }, 60_000);

  afterAll(async () => {
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** diffIDs the layer cache in `dir` holds (none when it does not exist yet). */
  const cachedDiffIds = (dir: string): string[] => {
    const file = join(dir, "layer-cache.sqlite");
    if (!existsSync(file)) return [];
    const c = new Database(file, { readonly: true });
    try {
      return (c.prepare("SELECT diff_id FROM layers").all() as { diff_id: string }[]).map((r) => r.diff_id);
    } finally {
      c.close();
    }
  };
  const result = (stdout: string) => {
    const r = JSON.parse(stdout) as { packages: { name: string; version: string }[]; findings: unknown[] };
    return { packages: r.packages.map((p) => `${p.name}@${p.version}`).sort(), findings: r.findings };
  };

  it("fails with one line and caches nothing for the cut layer, at every cut point", async () => {
    const reference = await scanCli(`registry:${reg.address}/fault:1`, ["--no-cache"]);
    expect(reference.code, reference.stderr).toBe(0);
    const full = result(reference.stdout);
    expect(full.packages).toContain("zlib1g@1.0-1");

    const layer = img.layers[1]!;
    expect(layer.size).toBeGreaterThan(700_000);
    let x = 2024;
    const seeded = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 2 ** 32;
    };
    const cuts = [0, 1, layer.size - 1, ...[0, 1, 2].map(() => Math.floor(seeded() * layer.size))];
    const cache = join(tmp, "cache");
    let proxy: CuttingProxy | undefined;
    for (const n of cuts) {
      proxy = await startCuttingProxy(reg, (req) =>
        req.url?.endsWith(`/blobs/${layer.digest}`) ? n : undefined,
      );
      try {
        const r = await scanCli(`registry:${proxy.address}/fault:1`, ["--cache-dir", cache]);
        expect(proxy.seen.some((s) => s.includes(layer.digest) && s.endsWith(`cut@${n}`))).toBe(true);
        expect(r.code, `cut at ${n}: ${r.stderr}`).toBe(2);
        expect(r.stdout, `cut at ${n}`).toBe(""); // no partial inventory
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^airbag: /);
        expect(lines[0]).toContain(layer.digest.slice(0, 20));
        expect(cachedDiffIds(cache)).not.toContain(layer.diffId);
      } finally {
        await proxy.close();
      }
    }

    // the connection drops once: a retry may rescue the run, but only with the complete result
    let cutOnce = true;
    proxy = await startCuttingProxy(reg, (req) => {
      if (!req.url?.endsWith(`/blobs/${layer.digest}`) || !cutOnce) return undefined;
      cutOnce = false;
      return layer.size >> 1;
    });
    const onceCache = join(tmp, "cache-once"); // a rescued run caches the layer; keep `cache` for below
    try {
      const r = await scanCli(`registry:${proxy.address}/fault:1`, ["--cache-dir", onceCache]);
      if (r.code === 0) expect(result(r.stdout)).toEqual(full);
      else {
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
        expect(cachedDiffIds(onceCache)).not.toContain(layer.diffId);
      }
      console.log(`one dropped connection → exit ${r.code}: ${r.stderr.trim() || "rescued by a retry"}`);
    } finally {
      await proxy.close();
    }

    // nothing of the cut layer was kept: an undisturbed scan with the same cache downloads it whole
    const clean = await startCuttingProxy(reg, () => undefined);
    try {
      const r = await scanCli(`registry:${clean.address}/fault:1`, ["--cache-dir", cache]);
      expect(r.code, r.stderr).toBe(0);
      expect(result(r.stdout)).toEqual(full);
      expect(clean.seen.some((s) => s === `GET /v2/fault/blobs/${layer.digest}`)).toBe(true);
      expect(cachedDiffIds(cache)).toContain(layer.diffId); // the check above can see a cached layer
    } finally {
      await clean.close();
    }
  }, 40_000);
});
