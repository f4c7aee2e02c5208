import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltImage, buildImage, writeOciLayout } from "../../../test/support/image-builder.js";
import { openTarget, parseTarget, walkImage } from "../../image/index.js";
import type { Package } from "../../model/index.js";
import { type AnyAnalyzer, captureFor, catalogFiles, tapsFor } from "../index.js";
import { type NpmNode, npmQuery } from "./npm.testutil.js";
import { npmInstalledAnalyzer } from "./npm-installed.js";
import { npmLockAnalyzer } from "./npm-lock.js";
import { mergeNpm } from "./npm-merge.js";
import { pnpmLockAnalyzer } from "./pnpm-lock.js";
import { yarnLockAnalyzer } from "./yarn-lock.js";

/**
 * End to end over a real node_modules tree: this repository's own installed dependencies (every
 * package.json under /work/main/node_modules, nested and scoped, plus the stray lockfiles packages ship)
 * copied into an image under srv/app/, with the project's package-lock.json in a second layer. npm itself
 * (`npm query '*'` over the same tree and lockfile) says what must be found.
 */

const ROOT = join(import.meta.dirname, "../../..");
const APP = "srv/app";
const tmp = mkdtempSync(join(tmpdir(), "npm-image-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** package.json files anywhere below node_modules, plus lockfiles that packages ship (to be ignored) */
function treeFiles(dir: string, out: Record<string, Buffer> = {}): Record<string, Buffer> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) treeFiles(full, out);
    else if (
      e.isFile() &&
      ["package.json", "yarn.lock", "package-lock.json", ".package-lock.json"].includes(e.name)
    )
      out[`${APP}/${relative(ROOT, full)}`] = readFileSync(full);
  }
  return out;
}

let img: BuiltImage;
let installed: NpmNode[]; // npm's reading of the installed tree
let locked: NpmNode[]; // npm's reading of the lockfile
let tree: Record<string, Buffer>;

beforeAll(async () => {
  tree = treeFiles(join(ROOT, "node_modules"));
  img = await buildImage({
    layers: [
      { ...tree, [`${APP}/package.json`]: readFileSync(join(ROOT, "package.json")) },
      { [`${APP}/package-lock.json`]: readFileSync(join(ROOT, "package-lock.json")) },
    ],
  });
  await writeOciLayout(join(tmp, "oci"), img);
  installed = npmQuery(ROOT).filter((n) => n.location !== "");
  locked = npmQuery(ROOT, true).filter((n) => n.location !== "" && !n.isLink && n.version);
}, 120_000);

async function catalog(list: AnyAnalyzer[]): Promise<{ packages: Package[]; warnings: string[] }> {
  const warnings: string[] = [];
  const src = await openTarget(await parseTarget(`oci:${join(tmp, "oci")}`));
  try {
    const walk = await walkImage(src, {
      capture: captureFor(list),
      streams: tapsFor(list),
      warn: (m) => warnings.push(m),
    });
    const { packages } = await catalogFiles(walk, (m) => warnings.push(m), list);
    return { packages, warnings };
  } finally {
    await src.close();
  }
}

const nvOf = (n: { name?: string; version?: string }) => `${n.name}@${n.version}`;

describe("npm analyzers over a real node_modules tree in an image", () => {
  it("the tree is big enough to mean something", () => {
    expect(installed.length).toBeGreaterThan(100);
    expect(installed.some((n) => n.location.includes("/node_modules/", 13))).toBe(true); // nested installs
    expect(installed.some((n) => n.name?.startsWith("@"))).toBe(true); // scoped
    // files that look like packages but are not installs: examples, `{"type":"module"}` stubs
    expect(Object.keys(tree).length).toBeGreaterThan(installed.length);
  });

  it("npm-installed finds exactly npm's installed packages, path for path", async () => {
    const { packages, warnings } = await catalog([npmInstalledAnalyzer]);
    expect(warnings).toEqual([]);
    const layer = img.layers[0]!.diffId;
    const got = packages.map((p) => [p.locations[0]!.path, p.name, p.version, p.locations[0]!.layer]).sort();
    const want = installed.map((n) => [`${APP}/${n.location}/package.json`, n.name, n.version, layer]).sort();
    expect(got).toEqual(want);
    expect(
      packages.every(
        (p) =>
          p.ecosystem === "npm" &&
          p.purl === `pkg:npm/${p.name.replace("@", "%40").toLowerCase()}@${p.version}`,
      ),
    ).toBe(true);
  });

  it("with the project's lockfile, each installed package and its lock entry are one package", async () => {
    const list = [npmInstalledAnalyzer, npmLockAnalyzer, yarnLockAnalyzer, pnpmLockAnalyzer];
    const { packages: raw, warnings } = await catalog(list);
    expect(warnings).toEqual([]);
    // lockfiles inside node_modules (a package's own yarn.lock, npm's hidden lockfile) are never read
    const strays = Object.keys(tree).filter((p) => !p.endsWith("/package.json"));
    expect(strays.length).toBeGreaterThan(0);
    const lockPaths = new Set(
      raw.flatMap((p) => p.locations.map((l) => l.path)).filter((p) => !p.endsWith("/package.json")),
    );
    expect([...lockPaths]).toEqual([`${APP}/package-lock.json`]);
    const merged = mergeNpm(raw);
    const lockSet = new Set(locked.map(nvOf));
    const installedPaths = new Map<string, string[]>();
    for (const n of installed)
      installedPaths.set(nvOf(n), [
        ...(installedPaths.get(nvOf(n)) ?? []),
        `${APP}/${n.location}/package.json`,
      ]);
    const stray = installed.filter((n) => !lockSet.has(nvOf(n))).length; // installed but not locked
    expect(merged).toHaveLength(lockSet.size + stray);
    const [l0, l1] = [img.layers[0]!.diffId, img.layers[1]!.diffId];
    for (const p of merged) {
      const nv = `${p.name}@${p.version}`;
      const own = (installedPaths.get(nv) ?? []).sort().map((path) => ({ path, layer: l0 }));
      const lock = lockSet.has(nv) ? [{ path: `${APP}/package-lock.json`, layer: l1 }] : [];
      expect(p.locations, nv).toEqual([...own, ...lock]);
      if (own.length > 0) expect(p.id).toBe(raw.find((r) => r.locations[0]!.path === own[0]!.path)!.id);
    }
    // lock entries npm never installed here (other platforms' optional binaries) stay lockfile-only
    expect(
      merged.filter((p) => p.locations.length === 1 && p.locations[0]!.path.endsWith("package-lock.json"))
        .length,
    ).toBe([...lockSet].filter((nv) => !installedPaths.has(nv)).length);
    // installed manifests' licences win
    const manifest = JSON.parse(readFileSync(join(ROOT, "node_modules/yaml/package.json"), "utf8"));
    expect(merged.find((p) => p.name === "yaml")?.licenses).toEqual([manifest.license]);
  });

  it("a pnpm layout: real copies under .pnpm, symlinks not read twice, a deleted package only in the lockfile", async () => {
    const pn = "srv/pnpm";
    const store = `${pn}/node_modules/.pnpm`;
    const manifest = (name: string, version: string) => JSON.stringify({ name, version, license: "MIT" });
    const pnpmImg = await buildImage({
      layers: [
        [
          {
            path: `${store}/debug@4.3.4/node_modules/debug/package.json`,
            content: manifest("debug", "4.3.4"),
          },
          { path: `${store}/ms@2.1.2/node_modules/ms/package.json`, content: manifest("ms", "2.1.2") },
          {
            path: `${pn}/node_modules/debug`,
            type: "symlink",
            target: ".pnpm/debug@4.3.4/node_modules/debug",
          },
          {
            path: `${store}/debug@4.3.4/node_modules/ms`,
            type: "symlink",
            target: "../../ms@2.1.2/node_modules/ms",
          },
          {
            path: `${pn}/pnpm-lock.yaml`,
            content:
              "lockfileVersion: '9.0'\npackages:\n  debug@4.3.4: {}\n  ms@2.1.2: {}\nsnapshots:\n  debug@4.3.4:\n    dependencies:\n      ms: 2.1.2\n  ms@2.1.2: {}\n",
          },
        ],
        { [`${store}/.wh.ms@2.1.2`]: "" },
      ],
    });
    const dir = join(tmp, "pnpm-oci");
    await writeOciLayout(dir, pnpmImg);
    const list = [npmInstalledAnalyzer, pnpmLockAnalyzer];
    const warnings: string[] = [];
    const src = await openTarget(await parseTarget(`oci:${dir}`));
    const walk = await walkImage(src, {
      capture: captureFor(list),
      streams: tapsFor(list),
      warn: (m) => warnings.push(m),
    });
    await src.close();
    const merged = mergeNpm((await catalogFiles(walk, (m) => warnings.push(m), list)).packages);
    expect(warnings).toEqual([]);
    expect(merged.map((p) => [p.purl, p.locations.map((l) => l.path), p.licenses])).toEqual([
      [
        "pkg:npm/debug@4.3.4",
        [`${store}/debug@4.3.4/node_modules/debug/package.json`, `${pn}/pnpm-lock.yaml`],
        ["MIT"],
      ],
      ["pkg:npm/ms@2.1.2", [`${pn}/pnpm-lock.yaml`], []],
    ]);
  });
});
