import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { layerTotals, reuseOrGenerate, writeImageMeta, writeOciImage } from "./oci-writer.js";
import {
  copyrightFile,
  packageSet,
  randInt,
  randomBytesSource,
  rng,
  statusFile,
  textPool,
  textSlice,
  wordList,
} from "./synthetic-content.js";

/**
 * A large synthetic Debian-like image written streaming to disk as an OCI layout: every layer tar is
 * produced by tar-stream, piped through gzip into its blob file and hashed on the way, so no layer is
 * ever held in memory. Deterministic for a given spec; an existing image with the same spec is reused.
 *
 * Layers: 0 base OS (dpkg status, copyright files, os-release), 1-2 runtime and app dependencies
 * (layer 2 installs more packages and rewrites the status), 3 the app (overwrites, whiteouts, opaque
 * directory), 4 a small final layer (config, a deleted binary).
 */

const GENERATOR_VERSION = 1;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** `files` = regular files, `bytes` = sum of their sizes (uncompressed), `packages` = dpkg stanzas. */
export const PRESETS = {
  full: { files: 110_000, bytes: Math.round(1.1 * GiB), packages: 500 },
  half: { files: 55_000, bytes: Math.round(0.55 * GiB), packages: 500 },
  quick: { files: 20_000, bytes: 100 * MiB, packages: 500 },
  "quick-half": { files: 10_000, bytes: 50 * MiB, packages: 500 },
  tiny: { files: 1_500, bytes: 4 * MiB, packages: 40 },
  "tiny-half": { files: 750, bytes: 2 * MiB, packages: 40 },
};

const SMALL_ROOTS = [
  ["usr/lib/x86_64-linux-gnu", "usr/share/locale", "usr/share/man/man1", "usr/share/perl5", "etc/ssl"],
  ["usr/lib/python3/dist-packages", "usr/local/lib"],
  ["app/node_modules", "usr/share/javascript"],
  ["app/src", "app/static", "opt/tool"],
];
const SMALL_SHARE = [0.35, 0.25, 0.25, 0.15];
const TEXT_EXT = ["py", "js", "txt", "h", "pm", "json", "conf", "md"];
const BIN_EXT = ["so", "mo", "png", "gz", "pyc"];

const file = (path, size, content, mode = 0o644) => ({ path, type: "file", size, content, mode });

/** The entries of every layer. `content` is "text", "random" or a Buffer. */
function planLayers(spec, pool) {
  const r = rng(spec.seed ?? 1);
  const words = wordList(r, 4000);
  const w = () => words[randInt(r, 0, words.length)];
  const layers = [[], [], [], [], []];
  const pkgs = packageSet(spec.seed ?? 1, spec.packages);
  const extra = Math.max(2, Math.round(spec.packages * 0.04));
  const removed = packageSet((spec.seed ?? 1) + 7, 5).map((p) => ({ ...p, name: `old-${p.name}` }));
  const osRelease = Buffer.from(
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  );
  layers[0].push(
    file("usr/lib/os-release", osRelease.length, osRelease),
    { path: "etc/os-release", type: "symlink", target: "../usr/lib/os-release" },
    file("etc/debian_version", 5, Buffer.from("12.8\n")),
  );
  const base = statusFile(pkgs.slice(0, pkgs.length - extra), removed);
  const all = statusFile(pkgs, removed);
  layers[0].push(file("var/lib/dpkg/status", base.length, base));
  layers[2].push(file("var/lib/dpkg/status", all.length, all));
  let fixedBytes = osRelease.length + 5 + base.length + all.length;
  let fixedFiles = 5;
  pkgs.forEach((p, i) => {
    const l = i < pkgs.length - extra ? 0 : 2;
    const copyright = copyrightFile(p, pool, r);
    const info = `var/lib/dpkg/info/${p.name}${p.arch === "amd64" ? ":amd64" : ""}`;
    const sizes = [randInt(r, 200, 3000), randInt(r, 300, 3000), randInt(r, 500, 6000)];
    layers[l].push(
      file(`usr/share/doc/${p.name}/copyright`, copyright.length, copyright),
      file(`${info}.list`, sizes[0], "text"),
      file(`${info}.md5sums`, sizes[1], "text"),
      file(`usr/share/doc/${p.name}/changelog.Debian.gz`, sizes[2], "random"),
    );
    fixedBytes += copyright.length + sizes[0] + sizes[1] + sizes[2];
    fixedFiles += 4;
  });
  // final layer: config written late, plus its own few files
  const conf = textSlice(pool, r, 4000);
  layers[4].push(file("etc/app/app.conf", conf.length, conf));
  fixedBytes += conf.length;

  const nLarge = Math.max(4, Math.round((spec.bytes * 0.6) / (24 * MiB)));
  const nSmall = Math.max(10, spec.files - fixedFiles - nLarge);
  const smallBudget = Math.max(nSmall * 64, (spec.bytes - fixedBytes) * 0.4);
  const lo = smallBudget / nSmall / 15.15; // log-uniform on [lo, 64 lo] has mean 15.15 lo
  const smallByLayer = [[], [], [], []];
  let smallBytes = 0;
  let li = 0;
  let dir = "";
  let left = 0;
  for (let i = 0; i < nSmall; i++) {
    while (i >= nSmall * SMALL_SHARE.slice(0, li + 1).reduce((a, b) => a + b, 0) && li < 3) li++;
    if (left-- <= 0) {
      const roots = SMALL_ROOTS[li];
      dir = `${roots[randInt(r, 0, roots.length)]}/${w()}${i}`;
      left = randInt(r, 10, 40);
    }
    const size = r() < 0.02 ? 0 : Math.round(lo * 64 ** r());
    const text = r() < 0.7;
    const ext = text ? TEXT_EXT[randInt(r, 0, TEXT_EXT.length)] : BIN_EXT[randInt(r, 0, BIN_EXT.length)];
    const f = file(`${dir}/${w()}${i}.${ext}`, size, text ? "text" : "random");
    smallByLayer[li].push(f);
    layers[li].push(f);
    smallBytes += size;
    if (r() < 0.01)
      layers[li].push({ path: `${dir}/${w()}${i}-link.${ext}`, type: "symlink", target: `${w()}.${ext}` });
  }

  // large files take the rest of the byte budget: 60% random (binaries), 40% text (bundles, data)
  const largeBudget = Math.max(nLarge, Math.round(spec.bytes - fixedBytes - smallBytes));
  const weights = Array.from({ length: nLarge }, () => 0.4 + 1.2 * r());
  const wsum = weights.reduce((a, b) => a + b, 0);
  let assigned = 0;
  const large = weights.map((wt, i) => {
    const size = i === nLarge - 1 ? largeBudget - assigned : Math.floor((largeBudget * wt) / wsum);
    assigned += size;
    const bin = i % 5 < 3;
    const path = bin ? `opt/app/bin/${w()}-${i}` : `app/data/${w()}-${i}.${i % 2 ? "json" : "log"}`;
    const f = file(path, size, bin ? "random" : "text", bin ? 0o755 : 0o644);
    layers[1 + (i % 3)].push(f);
    return f;
  });

  // layer 3: replace 1% of layer 1's small files, delete another 1% and two whole directories
  const l1 = smallByLayer[1];
  const step = Math.max(3, Math.floor(l1.length / Math.max(1, Math.round(l1.length * 0.01))));
  for (let i = 0; i + 1 < l1.length; i += step) {
    const f = l1[i];
    layers[3].push(file(f.path, f.size, f.content));
    smallBytes += f.size;
    const g = l1[i + 1];
    const slash = g.path.lastIndexOf("/");
    layers[3].push({
      path: `${g.path.slice(0, slash)}/.wh.${g.path.slice(slash + 1)}`,
      type: "file",
      size: 0,
    });
  }
  for (const f of [l1[Math.floor(l1.length / 3)], l1[Math.floor((2 * l1.length) / 3)]]) {
    if (!f) continue;
    const d = f.path.slice(0, f.path.lastIndexOf("/"));
    const slash = d.lastIndexOf("/");
    layers[3].push({ path: `${d.slice(0, slash)}/.wh.${d.slice(slash + 1)}`, type: "file", size: 0 });
  }
  const l0 = smallByLayer[0];
  if (l0.length) {
    const d = l0[Math.floor(l0.length / 2)].path.replace(/\/[^/]+$/, "");
    layers[3].push({ path: `${d}/.wh..wh..opq`, type: "file", size: 0 });
    for (let i = 0; i < 5; i++) layers[3].push(file(`${d}/replaced${i}.txt`, 100, "text"));
  }
  // layer 4 deletes one big binary an earlier layer added
  const victim = large.find((f) => f.content === "random");
  if (victim) layers[4].push({ path: victim.path.replace(/([^/]+)$/, ".wh.$1"), type: "file", size: 0 });

  for (const l of layers) l.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const fileCount = layers.flat().filter((e) => e.type === "file" && !e.path.includes("/.wh.")).length;
  return {
    layers,
    fileCount,
    fileBytes: fixedBytes + smallBytes + largeBudget,
    expectedPackages: pkgs.length,
  };
}

/** Layer i's file bodies: literal buffers, generated text/random content (streamed above 1 MiB). */
function bodyOfLayer(pool, seed) {
  return (index) => {
    const r = rng(seed * 1000 + index);
    const random = randomBytesSource(seed * 1000 + index);
    const contentOf = (kind, n) => (kind === "random" ? random(n) : textSlice(pool, r, n));
    return (e) => {
      if (Buffer.isBuffer(e.content)) return e.content;
      if (e.size <= MiB) return e.size ? contentOf(e.content, e.size) : Buffer.alloc(0);
      return (function* () {
        for (let left = e.size; left > 0; ) {
          const n = Math.min(left, MiB);
          left -= n;
          yield contentOf(e.content, n);
        }
      })();
    };
  };
}

/** Generate the image described by `spec` into `dir` (replacing whatever is there). */
export async function generateImage(dir, spec) {
  const started = performance.now();
  const seed = spec.seed ?? 1;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const pool = textPool(seed);
  const plan = planLayers(spec, pool);
  const layers = await writeOciImage(dir, plan.layers, {
    bodyOfLayer: bodyOfLayer(pool, seed),
    config: { Cmd: ["/bin/sh"] },
    createdBy: (i) => `bench layer ${i}`,
  });
  const meta = {
    version: GENERATOR_VERSION,
    spec,
    dir,
    target: `oci:${dir}`,
    layers,
    files: plan.fileCount,
    fileBytes: plan.fileBytes,
    ...layerTotals(layers),
    expectedPackages: plan.expectedPackages,
    generatedMs: Math.round(performance.now() - started),
  };
  return writeImageMeta(dir, meta);
}

/** The image for `spec` in `dir`: reused when a complete image of the same spec is there. */
export function ensureImage(dir, spec) {
  return reuseOrGenerate(dir, spec, GENERATOR_VERSION, generateImage);
}
