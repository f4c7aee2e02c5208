import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeElf } from "../../src/detect/malware/malware.testutil.js";
import { composeImage } from "../../src/image/replay.testutil.js";
import type { Report } from "../../src/model/index.js";
import { type CatalogOptions, catalog, type ScanOptions, scan } from "../../src/scan.js";
import { cachePath } from "../../src/vulndb/cache-path.js";
import { type BuiltImage, buildImage, type ImageSpec, writeOciLayout } from "../support/image-builder.js";

/**
 * The layer cache through the library: `scan()` and `catalog()` with `cache` give the same report as
 * without it (packages from buffered and streamed analyzers, secrets in deleted files, malware,
 * summarised misconfig findings), and a warm scan does not need the image's layer blobs at all.
 */

const derived = (label: string, alphabet: RegExp, n: number): string => {
  let out = "";
  for (let i = 0; out.length < n; i++)
    out += [...createHash("sha512").update(`airbag-cache-${label}-${i}`).digest("base64")]
      .filter((ch) => alphabet.test(ch))
      .join("");
  return out.slice(0, n);
};
const AWS = `[default]\naws_access_key_id = AKIA${derived("id", /[A-Z2-7]/, 16)}\naws_secret_access_key = ${derived("s", /[A-Za-z0-9/+]/, 40)}\n`;
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const STATUS = (pkgs: string[]) =>
  pkgs
    .map((p) => `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n`)
    .join("\n");
const MINER = fakeElf([
  "XMRig/%s libuv/%s%s",
  "'h' hashrate, 'p' pause, 'r' resume",
  "password for mining server",
]);

const BASE = {
  "usr/lib/os-release": OS_RELEASE,
  "etc/os-release": { type: "symlink" as const, target: "../usr/lib/os-release" },
  "var/lib/dpkg/status": STATUS(["base-files", "libc6"]),
  "var/cache/apt/archives/libc6.deb": "deb",
  "usr/bin/passwd": { content: "x", mode: 0o4755 },
  "root/.aws/credentials": AWS,
};

const IMAGES: Record<string, ImageSpec> = {
  app: {
    layers: [
      BASE,
      {
        "root/.aws/.wh.credentials": "",
        "var/lib/dpkg/status": STATUS(["base-files", "libc6", "curl"]),
        "app/node_modules/left-pad/package.json": JSON.stringify({ name: "left-pad", version: "1.3.0" }),
        "usr/local/bin/kworker": { content: MINER, mode: 0o755 },
        "var/cache/apt/archives/curl.deb": "deb",
      },
      {
        "var/cache/apt/.wh..wh..opq": "",
        "app/hard": { type: "link", target: "app/node_modules/left-pad/package.json" },
      },
    ],
    config: { config: { Env: ["PATH=/usr/bin"] } },
  },
  other: {
    layers: [BASE, { "srv/requirements.txt": "flask==2.0.0\n" }],
  },
};

let tmp: string;
const targets: Record<string, string> = {};
const blobs: Record<string, string[]> = {};
let built: Record<string, BuiltImage>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-layer-cache-it-"));
  const app = await buildImage(IMAGES.app!);
  // "other" shares the base layer blob of "app" (built once: the builder stamps entries with the time)
  const own = await buildImage({ layers: IMAGES.other!.layers.slice(1) });
  built = { app, other: composeImage([app.layers[0]!, ...own.layers]) };
  for (const [name, img] of Object.entries(built)) {
    const dir = join(tmp, name);
    await writeOciLayout(dir, img);
    targets[name] = `oci:${dir}`;
    blobs[name] = img.layers.map((l) => join(dir, "blobs", "sha256", l.digest.slice(7)));
  }
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const SCANNERS: ScanOptions["scanners"] = ["secret", "malware", "misconfig"];
const stable = ({ metadata: { durationMs: _d, ...metadata }, ...r }: Report) => ({ ...r, metadata });

describe("scan() and catalog() with the layer cache", () => {
  it("give the uncached report, cold and warm, and warm needs no layer blob", async () => {
    const dir = join(tmp, "cache-a");
    const plain = stable(await scan(targets.app!, { scanners: SCANNERS }));
    expect(plain.packages.map((p) => p.name)).toEqual(expect.arrayContaining(["curl", "left-pad"]));
    expect(new Set(plain.findings.map((f) => f.kind))).toEqual(new Set(["secret", "malware", "misconfig"]));
    expect(plain.findings.some((f) => f.kind === "secret" && f.deleted)).toBe(true);

    const cold = stable(await scan(targets.app!, { scanners: SCANNERS, cache: dir }));
    expect(cold).toEqual(plain);
    expect(existsSync(join(dir, "layer-cache.sqlite"))).toBe(true);
    const catalogCold = await catalog(targets.app!, { cache: dir });

    for (const f of blobs.app!) await rm(f);
    const warm = stable(await scan(targets.app!, { scanners: SCANNERS, cache: dir }));
    expect(warm).toEqual(plain);
    expect(await catalog(targets.app!, { cache: dir })).toEqual(catalogCold);
    await expect(scan(targets.app!, { scanners: SCANNERS })).rejects.toThrow(/missing blob/);
  });

  it("a second image sharing the base layer needs only its own layer blob", async () => {
    const dir = join(tmp, "cache-b");
    const app = join(tmp, "app-again");
    await writeOciLayout(app, built.app!);
    await scan(`oci:${app}`, { scanners: SCANNERS, cache: dir });
    const plain = stable(await scan(targets.other!, { scanners: SCANNERS }));
    await rm(blobs.other![0]!);
    try {
      expect(stable(await scan(targets.other!, { scanners: SCANNERS, cache: dir }))).toEqual(plain);
    } finally {
      await writeFile(blobs.other![0]!, built.other!.layers[0]!.data);
    }
  });

  it("cache: true puts the cache beside the vulnerability database", async () => {
    const env = { AIRBAG_DB: join(tmp, "db-home", "db.sqlite") };
    expect(cachePath(undefined, undefined, env)).toBe(join(tmp, "db-home", "layer-cache.sqlite"));
    const before = process.env.AIRBAG_DB;
    process.env.AIRBAG_DB = env.AIRBAG_DB;
    try {
      await catalog(targets.other!, { cache: true });
    } finally {
      if (before === undefined) delete process.env.AIRBAG_DB;
      else process.env.AIRBAG_DB = before;
    }
    expect(existsSync(join(tmp, "db-home", "layer-cache.sqlite"))).toBe(true);
  });

  it("a corrupt cache file costs a warning, not the scan", async () => {
    const dir = join(tmp, "cache-c");
    await catalog(targets.other!, { cache: dir });
    await writeFile(join(dir, "layer-cache.sqlite"), "this is not a database".repeat(500));
    for (const f of ["-wal", "-shm"]) await rm(join(dir, `layer-cache.sqlite${f}`), { force: true });
    const warnings: string[] = [];
    const opts: CatalogOptions = { cache: dir, onWarning: (m) => warnings.push(m) };
    const inv = await catalog(targets.other!, opts);
    expect(warnings.join("\n")).toMatch(/layer-cache\.sqlite: layer cache is corrupt/);
    // the cache is the scanner's own business: not a warning about the image
    expect(inv.warnings ?? []).not.toContainEqual(expect.stringMatching(/layer cache/));
    expect(inv).toEqual(await catalog(targets.other!));
  });

  it("concurrent scans share one cache file", async () => {
    const dir = join(tmp, "cache-d");
    const plain = stable(await scan(targets.other!, { scanners: SCANNERS }));
    const runs = await Promise.all(
      [1, 2, 3].map(() => scan(targets.other!, { scanners: SCANNERS, cache: dir })),
    );
    for (const r of runs) expect(stable(r)).toEqual(plain);
  });
});
