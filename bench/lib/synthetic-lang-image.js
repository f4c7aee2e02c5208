import { createHash } from "node:crypto";
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
import { writeZip, zipBuffer } from "./synthetic-zip.js";

/**
 * The image of the language-cataloging benchmark (issue "Language ecosystems inside images"): a Node
 * application with a large installed `node_modules` tree and a Spring Boot fat jar, on a Debian-like
 * base, written streaming as an OCI layout like synthetic-image.js does. Deterministic for a spec; reused
 * when an image of the same spec is already there. Layers (as a Dockerfile would make them):
 *
 *   0 base OS: os-release, dpkg status, per-package copyright / .list / .md5sums, libraries and
 *     executables (with real ELF headers and program headers, random bodies), locale data, config;
 *   1 `COPY package*.json`: the app's package.json and a lockfileVersion 3 package-lock.json;
 *   2 `RUN npm ci`: node_modules with exactly `spec.nodeFiles` regular files — `spec.npmPackages`
 *     installed packages (scoped ones, nested node_modules for conflicting versions, the same
 *     name@version installed twice where npm could not hoist it), files of log-normal count and size per
 *     package (package.json, README, LICENSE, js / mjs / d.ts / map under lib, dist, …), `.bin`
 *     symlinks, npm's hidden `.package-lock.json`, and manifests that are *not* installed packages
 *     (`dist/esm/package.json` type stubs, named test fixtures) which must not be counted;
 *   3 `COPY src`: the app's own sources;
 *   4 the service: `opt/service/app.jar`, a Spring Boot fat jar of `spec.jarBytes` (loader classes and
 *     BOOT-INF/classes deflated with data descriptors as Spring Boot's JarOutputStream writes them,
 *     BOOT-INF/lib/*.jar stored), whose nested jars carry pom.properties and MANIFEST.MF: most with their
 *     own pom.properties, some with only manifest coordinates (Gradle-built, OSGi bundles), a few shaded
 *     (several pom.properties), some written with data descriptors (`jar` tool). Class files are
 *     class-like: a CAFEBABE header, constant-pool-like text and random bytes (deflate to ~55 %).
 *
 * The metadata (`bench-image.json`) lists what a correct catalog must find: dpkg package count, the
 * npm name@version set (lockfile and installed copies merge into one package per name@version), the
 * number of installed manifests, and every Maven name@version.
 */

const GENERATOR_VERSION = 2;
const MiB = 2 ** 20;

export const LANG_PRESETS = {
  full: {
    nodeFiles: 50_000,
    npmPackages: 4_000,
    jarBytes: 100 * MiB,
    dpkgPackages: 120,
    baseFiles: 4_500,
    baseBytes: 70 * MiB,
  },
  quick: {
    nodeFiles: 10_000,
    npmPackages: 800,
    jarBytes: 20 * MiB,
    dpkgPackages: 60,
    baseFiles: 1_500,
    baseBytes: 20 * MiB,
  },
  tiny: {
    nodeFiles: 600,
    npmPackages: 50,
    jarBytes: 1 * MiB,
    dpkgPackages: 20,
    baseFiles: 100,
    baseBytes: 1 * MiB,
  },
};

const APP = "usr/src/app";
const NM = `${APP}/node_modules`;
const JAR_PATH = "opt/service/app.jar";

/** Standard normal deviate (Box-Muller). */
const gauss = (r) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
/** The item whose cumulative weight (`weight(item)`) first exceeds a uniform draw. */
function weighted(r, items, weight) {
  let x = r();
  for (const it of items) {
    x -= weight(it);
    if (x < 0) return it;
  }
  return items[items.length - 1];
}
/** Log-normal size with the given median, capped. */
const logNormal = (r, median, sigma, lo, hi) =>
  Math.max(lo, Math.min(hi, Math.round(median * Math.exp(sigma * gauss(r)))));
const pick = (r, xs) => xs[randInt(r, 0, xs.length)];

const file = (path, size, content, mode = 0o644) => ({ path, type: "file", size, content, mode });
const bufFile = (path, buf, mode = 0o644) => file(path, buf.length, buf, mode);

// ---------------------------------------------------------------------------------------------------
// Debian-like base

/** ELF64 executable / shared object: real header, PT_LOAD ×2 and a GNU build-id PT_NOTE; random body. */
function elfHeader(size, r) {
  const h = Buffer.alloc(0x200 + 36);
  h.write("\x7fELF", 0, "latin1");
  h[4] = 2; // 64-bit
  h[5] = 1; // little endian
  h[6] = 1;
  h.writeUInt16LE(3, 16); // ET_DYN
  h.writeUInt16LE(0x3e, 18); // x86-64
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(0x1040n, 24); // entry
  h.writeBigUInt64LE(64n, 32); // phoff
  const shnum = 28;
  const shoff = size - shnum * 64;
  h.writeBigUInt64LE(BigInt(shoff), 40);
  h.writeUInt16LE(64, 52);
  h.writeUInt16LE(56, 54);
  h.writeUInt16LE(3, 56); // phnum
  h.writeUInt16LE(64, 58);
  h.writeUInt16LE(shnum, 60);
  h.writeUInt16LE(shnum - 1, 62);
  // text segment, then data; the non-loaded tail (.comment, .shstrtab, section headers) is ~2 KiB
  const loadEnd = shoff - 2048;
  const dataStart = Math.max(0x1000, Math.floor((loadEnd * 0.85) / 4096) * 4096);
  const ph = (i, type, flags, off, filesz) => {
    const p = 64 + i * 56;
    h.writeUInt32LE(type, p);
    h.writeUInt32LE(flags, p + 4);
    h.writeBigUInt64LE(BigInt(off), p + 8);
    h.writeBigUInt64LE(BigInt(off), p + 16);
    h.writeBigUInt64LE(BigInt(off), p + 24);
    h.writeBigUInt64LE(BigInt(filesz), p + 32);
    h.writeBigUInt64LE(BigInt(filesz), p + 40);
    h.writeBigUInt64LE(0x1000n, p + 48);
  };
  ph(0, 1, 5, 0, dataStart); // PT_LOAD r-x
  ph(1, 1, 6, dataStart, loadEnd - dataStart); // PT_LOAD rw-
  ph(2, 4, 4, 0x200, 36); // PT_NOTE
  h.writeUInt32LE(4, 0x200); // namesz
  h.writeUInt32LE(20, 0x204); // descsz
  h.writeUInt32LE(3, 0x208); // NT_GNU_BUILD_ID
  h.write("GNU\0", 0x20c, "latin1");
  for (let i = 0; i < 20; i++) h[0x210 + i] = randInt(r, 0, 256);
  return h;
}

function planBase(spec, r, pool, words) {
  const layer = [];
  const osRelease = Buffer.from(
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  );
  layer.push(
    bufFile("usr/lib/os-release", osRelease),
    { path: "etc/os-release", type: "symlink", target: "../usr/lib/os-release" },
    bufFile("etc/debian_version", Buffer.from("12.8\n")),
  );
  const pkgs = packageSet((spec.seed ?? 1) + 101, spec.dpkgPackages);
  const status = statusFile(pkgs);
  layer.push(bufFile("var/lib/dpkg/status", status));
  let bytes = osRelease.length + 5 + status.length;
  let files = 3;
  for (const p of pkgs) {
    const copyright = copyrightFile(p, pool, r);
    const info = `var/lib/dpkg/info/${p.name}${p.arch === "amd64" ? ":amd64" : ""}`;
    const l = randInt(r, 200, 3000);
    const m = randInt(r, 300, 3000);
    layer.push(
      bufFile(`usr/share/doc/${p.name}/copyright`, copyright),
      file(`${info}.list`, l, "text"),
      file(`${info}.md5sums`, m, "text"),
    );
    bytes += copyright.length + l + m;
    files += 3;
  }
  // the rest: libraries and executables (ELF), locale and man data (binary), perl / config text
  const n = Math.max(10, spec.baseFiles - files);
  const kinds = [
    { dir: "usr/lib/x86_64-linux-gnu", ext: ".so.1", elf: true, share: 0.1, median: 80 << 10 },
    { dir: "usr/bin", ext: "", elf: true, share: 0.06, median: 60 << 10 },
    { dir: "usr/share/locale", ext: ".mo", share: 0.2, median: 6 << 10 },
    { dir: "usr/share/man/man1", ext: ".1.gz", share: 0.15, median: 3 << 10 },
    { dir: "usr/share/perl5", ext: ".pm", text: true, share: 0.25, median: 5 << 10 },
    { dir: "usr/share/zoneinfo", ext: "", share: 0.14, median: 2 << 10 },
    { dir: "etc", ext: ".conf", text: true, share: 0.1, median: 1 << 10 },
  ];
  const planned = [];
  let raw = 0;
  for (let i = 0; i < n; i++) {
    const k = weighted(r, kinds, (kd) => kd.share);
    const size = logNormal(r, k.median, 1.4, k.elf ? 16 << 10 : 0, k.elf ? 12 * MiB : 2 * MiB);
    planned.push({ k, size, sub: pick(r, words), name: `${pick(r, words)}${i}` });
    raw += size;
  }
  // scale to the byte budget (ELF files stay at least 16 KiB for their headers)
  const scale = Math.max(0.05, (spec.baseBytes - bytes) / raw);
  for (const f of planned) {
    const size = Math.max(f.k.elf ? 16 << 10 : 0, Math.round(f.size * scale));
    const path = f.k.dir === "usr/bin" ? `usr/bin/${f.name}` : `${f.k.dir}/${f.sub}/${f.name}${f.k.ext}`;
    layer.push(file(path, size, f.k.elf ? "elf" : f.k.text ? "text" : "random", f.k.elf ? 0o755 : 0o644));
    bytes += size;
    files++;
  }
  return { layer, dpkg: pkgs.length, files, bytes };
}

// ---------------------------------------------------------------------------------------------------
// node_modules

const LICENSES = ["MIT", "MIT", "MIT", "MIT", "MIT", "ISC", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause"];
const SUBDIRS = ["lib", "dist", "dist/cjs", "dist/esm", "src", "types", "build", "es", "cjs", "esm"];
const EXTS = [
  [".js", 0.55, 2200, 1.4],
  [".d.ts", 0.2, 1300, 1.2],
  [".js.map", 0.1, 4000, 1.4],
  [".mjs", 0.05, 2200, 1.4],
  [".cjs", 0.03, 2200, 1.4],
  [".json", 0.04, 600, 1.2],
  [".md", 0.03, 2500, 1.2],
];

function semver(r) {
  const v = `${randInt(r, 0, 8) === 0 ? 0 : randInt(r, 1, 12)}.${randInt(r, 0, 30)}.${randInt(r, 0, 20)}`;
  return r() < 0.03 ? `${v}-beta.${randInt(r, 0, 9)}` : v;
}

function planNodeModules(spec, r, words) {
  const nPkgs = spec.npmPackages;
  const nNames = Math.max(1, Math.round(nPkgs * 0.87));
  const scopes = wordList(rng((spec.seed ?? 1) + 202), 60).map((w) => `@${w}`);
  const nameSet = new Set();
  while (nameSet.size < nNames) {
    const x = r();
    const base = x < 0.5 ? pick(r, words) : `${pick(r, words)}-${pick(r, words)}`;
    nameSet.add(r() < 0.16 ? `${pick(r, scopes)}/${base}` : base);
  }
  const names = [...nameSet];
  /** name → versions installed (primary first) */
  const versions = new Map(names.map((n) => [n, [semver(r)]]));
  const installs = names.map((name) => ({ name, version: versions.get(name)[0], dir: `${NM}/${name}` }));
  const taken = new Set(installs.map((i) => i.dir));
  const top = installs.length;
  for (let guard = 0; installs.length < nPkgs && guard < nPkgs * 50; guard++) {
    const name = pick(r, names);
    // mostly below a top-level package; one in ten below an already nested one
    const parent = r() < 0.9 || installs.length === top ? installs[randInt(r, 0, top)] : pick(r, installs);
    if (parent.name === name) continue;
    const dir = `${parent.dir}/node_modules/${name}`;
    if (taken.has(dir)) continue;
    const vs = versions.get(name);
    let version;
    if (vs.length > 1 && r() < 0.3)
      version = vs[randInt(r, 1, vs.length)]; // same version, not hoistable
    else {
      do version = semver(r);
      while (vs.includes(version));
      vs.push(version);
    }
    taken.add(dir);
    installs.push({ name, version, dir });
  }

  // files per package: log-normal weights scaled to the budget (package.json + at least one more)
  const budget = spec.nodeFiles - 1; // npm's hidden lockfile is the one file outside any package
  const weights = installs.map(() => Math.exp(1.15 * gauss(r)));
  const extra = budget - 2 * installs.length;
  if (extra < 0) throw new Error(`nodeFiles ${spec.nodeFiles} too small for ${installs.length} packages`);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => 2 + Math.floor((extra * w) / wsum));
  let left = budget - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % counts.length, left--) counts[i]++;

  const entries = [];
  const bins = [];
  let bytes = 0;
  const add = (path, size, content) => {
    entries.push(file(path, size, content));
    bytes += size;
  };
  installs.forEach((pkg, idx) => {
    const n = counts[idx];
    const bare = pkg.name.slice(pkg.name.lastIndexOf("/") + 1);
    const license = r() < 0.03 ? undefined : r() < 0.01 ? { type: "MIT", url: "" } : pick(r, LICENSES);
    pkg.license = license;
    const deps = {};
    for (let k = randInt(r, 0, 5); k > 0; k--) deps[pick(r, names)] = `^${semver(r)}`;
    pkg.deps = deps;
    const hasBin = pkg.dir.split("/node_modules/").length === 2 && n >= 4 && r() < 0.05;
    const manifest = {
      name: pkg.name,
      version: pkg.version,
      description: `${bare} ${pick(r, words)} ${pick(r, words)} for node`,
      keywords: [pick(r, words), pick(r, words), pick(r, words)],
      homepage: `https://github.com/${pick(r, words)}/${bare}#readme`,
      bugs: { url: `https://github.com/${pick(r, words)}/${bare}/issues` },
      ...(license === undefined ? {} : { license }),
      author: `${pick(r, words)} ${pick(r, words)} <${pick(r, words)}@example.com>`,
      files: ["index.js", "lib", "dist"],
      main: "index.js",
      ...(r() < 0.4 ? { types: "index.d.ts" } : {}),
      ...(hasBin ? { bin: { [bare]: "bin/cli.js" } } : {}),
      scripts: { test: "node test.js", build: `tsc -p ${pick(r, words)}.json` },
      repository: { type: "git", url: `git+https://github.com/${pick(r, words)}/${bare}.git` },
      ...(Object.keys(deps).length ? { dependencies: deps } : {}),
      ...(r() < 0.3 ? { engines: { node: `>=${randInt(r, 8, 20)}` } } : {}),
    };
    const pj = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    entries.push(bufFile(`${pkg.dir}/package.json`, pj));
    bytes += pj.length;
    let k = n - 1;
    const one = (path, size, content = "text") => {
      if (k <= 0) return;
      add(path, size, content);
      k--;
    };
    one(`${pkg.dir}/index.js`, logNormal(r, 600, 1.2, 30, 200 << 10));
    if (r() < 0.9) one(`${pkg.dir}/LICENSE`, randInt(r, 1050, 1250));
    if (r() < 0.85) one(`${pkg.dir}/README.md`, logNormal(r, 4000, 1.1, 200, 300 << 10));
    if (n >= 8 && r() < 0.2) one(`${pkg.dir}/CHANGELOG.md`, logNormal(r, 8000, 1.2, 300, 500 << 10));
    if (hasBin) {
      one(`${pkg.dir}/bin/cli.js`, logNormal(r, 1500, 1, 100, 50 << 10));
      if (!bins.some((b) => b.name === bare)) bins.push({ name: bare, target: `../${pkg.name}/bin/cli.js` });
    }
    // manifests that are not installed packages
    if (k > 0 && n >= 6 && r() < 0.06) {
      const stub = Buffer.from(`{\n  "type": "${r() < 0.5 ? "module" : "commonjs"}"\n}\n`);
      one(`${pkg.dir}/dist/${stub.includes("module") ? "esm" : "cjs"}/package.json`, stub.length, stub);
    }
    if (k > 0 && n >= 10 && r() < 0.02) {
      const fixture = Buffer.from(
        `${JSON.stringify({ name: `fixture-${pick(r, words)}`, version: "0.0.0-test", private: true }, null, 2)}\n`,
      );
      one(`${pkg.dir}/test/fixtures/${pick(r, words)}/package.json`, fixture.length, fixture);
    }
    // the rest in a few subdirectories; big packages get a second directory level
    const dirs = Array.from({ length: Math.min(4, 1 + Math.floor(k / 25)) }, () => pick(r, SUBDIRS));
    let sub = "";
    let subLeft = 0;
    for (let j = 0; k > 0; j++) {
      const [ext, , median, sigma] = weighted(r, EXTS, (e) => e[1]);
      let dir = dirs[j % dirs.length];
      if (n > 60) {
        if (subLeft-- <= 0) {
          sub = pick(r, words);
          subLeft = randInt(r, 8, 40);
        }
        dir = `${dir}/${sub}`;
      }
      // a few packages ship big bundles
      const size = r() < 0.004 ? randInt(r, 200 << 10, 2 * MiB) : logNormal(r, median, sigma, 0, 1 * MiB);
      one(`${pkg.dir}/${dir}/${pick(r, words)}${j}${ext}`, size);
    }
  });

  // package-lock.json (v3) and npm's hidden copy in node_modules
  const rel = (dir) => dir.slice(APP.length + 1);
  const lockPackages = {
    "": {
      name: "app",
      version: "1.0.0",
      license: "UNLICENSED",
      dependencies: Object.fromEntries(installs.slice(0, top).map((i) => [i.name, `^${i.version}`])),
    },
  };
  const integrity = (p) => `sha512-${createHash("sha512").update(`${p.name}@${p.version}`).digest("base64")}`;
  const hidden = {};
  for (const p of installs) {
    const bare = p.name.slice(p.name.lastIndexOf("/") + 1);
    const e = {
      version: p.version,
      resolved: `https://registry.npmjs.org/${p.name}/-/${bare}-${p.version}.tgz`,
      integrity: integrity(p),
      ...(r() < 0.2 ? { dev: true } : {}),
      ...(typeof p.license === "string" ? { license: p.license } : {}),
      ...(Object.keys(p.deps).length ? { dependencies: p.deps } : {}),
    };
    lockPackages[rel(p.dir)] = e;
    hidden[rel(p.dir)] = e;
  }
  const lock = Buffer.from(
    `${JSON.stringify({ name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages: lockPackages }, null, 2)}\n`,
  );
  const hiddenLock = Buffer.from(
    `${JSON.stringify({ name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages: hidden }, null, 2)}\n`,
  );
  entries.push(bufFile(`${NM}/.package-lock.json`, hiddenLock));
  bytes += hiddenLock.length;
  for (const b of bins) entries.push({ path: `${NM}/.bin/${b.name}`, type: "symlink", target: b.target });

  const appManifest = Buffer.from(
    `${JSON.stringify({ name: "app", version: "1.0.0", private: true, dependencies: lockPackages[""].dependencies }, null, 2)}\n`,
  );
  const distinct = [...new Set(installs.map((i) => `${i.name}@${i.version}`))].sort();
  return {
    manifests: [bufFile(`${APP}/package.json`, appManifest), bufFile(`${APP}/package-lock.json`, lock)],
    entries,
    files: entries.filter((e) => e.type === "file").length,
    bytes,
    installed: installs.length,
    scoped: installs.filter((i) => i.name.startsWith("@")).length,
    nested: installs.length - top,
    distinct,
  };
}

// ---------------------------------------------------------------------------------------------------
// Spring Boot fat jar

/** Class-file-like bytes: CAFEBABE, then constant-pool-like text runs and random "bytecode" runs. */
function classBytes(size, r, pool, random) {
  const parts = [Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61])];
  let left = Math.max(0, size - 8);
  while (left > 0) {
    const n = Math.min(left, randInt(r, 48, 400));
    parts.push(r() < 0.7 ? textSlice(pool, r, n) : random(n));
    left -= n;
  }
  return Buffer.concat(parts);
}

function mavenVersion(r) {
  const v = `${randInt(r, 1, 7)}.${randInt(r, 0, 20)}.${randInt(r, 0, 15)}`;
  const x = r();
  return x < 0.08 ? `${v}.RELEASE` : x < 0.14 ? `${v}.Final` : x < 0.18 ? `${v}-jre` : v;
}

const manifestText = (fields) =>
  Buffer.from(
    `${Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\r\n")}\r\n\r\n`,
  );

const pomProperties = (g, a, v) =>
  Buffer.from(
    `#Generated by Maven\n#Thu Jan 01 12:00:00 UTC 2026\nartifactId=${a}\ngroupId=${g}\nversion=${v}\n`,
  );

const pomXml = (g, a, v, pool, r) =>
  Buffer.concat([
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>${g}</groupId>\n  <artifactId>${a}</artifactId>\n  <version>${v}</version>\n  <description>`,
    ),
    textSlice(pool, r, randInt(r, 500, 4000)),
    Buffer.from("</description>\n</project>\n"),
  ]);

/**
 * One library jar of about `target` compressed bytes. kind: "pom" (own pom.properties), "manifest"
 * (Implementation-Title/Version only), "osgi" (Bundle-SymbolicName + Implementation-Vendor-Id), "shaded"
 * (own pom plus two shaded libraries' pom.properties). Returns { buffer, expected: ["name@version"] }.
 */
function libraryJar(coords, kind, target, descriptor, r, pool, random, words) {
  const { g, a, v } = coords;
  const entries = [];
  const fields = {
    "Manifest-Version": "1.0",
    "Created-By": "Maven JAR Plugin 3.3.0",
    "Build-Jdk-Spec": "17",
  };
  const expected = [];
  if (kind === "manifest") {
    Object.assign(fields, {
      "Created-By": "Gradle 8.5",
      "Implementation-Title": a,
      "Implementation-Version": v,
    });
    expected.push(`${a}@${v}`);
  } else if (kind === "osgi") {
    Object.assign(fields, {
      "Bundle-ManifestVersion": "2",
      "Bundle-SymbolicName": `${g}.${a}`,
      "Bundle-Version": v,
      "Bundle-Name": `${a} bundle`,
      "Implementation-Vendor-Id": g,
      "Bundle-License": "https://www.apache.org/licenses/LICENSE-2.0.txt",
    });
    expected.push(`${g}:${a}@${v}`);
  } else {
    Object.assign(fields, { "Implementation-Title": a, "Implementation-Version": v });
    if (r() < 0.3) fields["Automatic-Module-Name"] = `${g}.${a.replace(/-/g, ".")}`;
    expected.push(`${g}:${a}@${v}`);
  }
  entries.push({ name: "META-INF/", method: 0 });
  entries.push({ name: "META-INF/MANIFEST.MF", data: manifestText(fields), method: 8, descriptor });
  const poms = kind === "pom" || kind === "shaded" ? [[g, a, v]] : [];
  if (kind === "shaded")
    for (let i = 0; i < 2; i++) {
      const sg = `${g}.shaded.${pick(r, words)}`;
      const sa = `${pick(r, words)}-${pick(r, words)}`;
      const sv = mavenVersion(r);
      poms.push([sg, sa, sv]);
      expected.push(`${sg}:${sa}@${sv}`);
    }
  // classes until the compressed size reaches the target
  const pkgDir = `${g.replace(/\./g, "/")}/${a.replace(/-/g, "")}`;
  const dirs = new Set();
  let compressed = 0;
  for (let i = 0; compressed < target; i++) {
    const dir = `${pkgDir}/${i % 7 === 0 ? pick(r, words) : "impl"}`;
    for (let d = dir; d && !dirs.has(d); d = d.slice(0, Math.max(0, d.lastIndexOf("/")))) dirs.add(d);
    const size = logNormal(r, 2600, 1.0, 300, 256 << 10);
    entries.push({
      name: `${dir}/${pick(r, words).replace(/^./, (c) => c.toUpperCase())}${i}.class`,
      data: classBytes(size, r, pool, random),
      method: 8,
      descriptor,
    });
    compressed += Math.round(size * 0.56) + 60;
  }
  const classEntries = entries.splice(2);
  entries.push(...[...dirs].sort().map((d) => ({ name: `${d}/`, method: 0 })), ...classEntries);
  for (const [pg, pa, pv] of poms) {
    const base = `META-INF/maven/${pg}/${pa}`;
    entries.push(
      { name: `${base}/pom.xml`, data: pomXml(pg, pa, pv, pool, r), method: 8, descriptor },
      { name: `${base}/pom.properties`, data: pomProperties(pg, pa, pv), method: 8, descriptor },
    );
  }
  return { buffer: zipBuffer(entries), expected };
}

const KINDS = ["manifest", "osgi", "shaded", "pom", "pom"];

function planFatJar(spec, r, pool, random, words) {
  const expected = ["com.example:demo-service@1.4.2"];
  const small = spec.jarBytes < 10 * MiB;
  const outer = [];
  outer.push(
    { name: "META-INF/", method: 0 },
    {
      name: "META-INF/MANIFEST.MF",
      method: 8,
      descriptor: true,
      data: manifestText({
        "Manifest-Version": "1.0",
        "Created-By": "Maven JAR Plugin 3.3.0",
        "Build-Jdk-Spec": "17",
        "Implementation-Title": "demo-service",
        "Implementation-Version": "1.4.2",
        "Main-Class": "org.springframework.boot.loader.launch.JarLauncher",
        "Start-Class": "com.example.demo.DemoApplication",
        "Spring-Boot-Version": "3.2.5",
        "Spring-Boot-Classes": "BOOT-INF/classes/",
        "Spring-Boot-Lib": "BOOT-INF/lib/",
        "Spring-Boot-Classpath-Index": "BOOT-INF/classpath.idx",
        "Spring-Boot-Layers-Index": "BOOT-INF/layers.idx",
      }),
    },
  );
  const classes = (prefix, count) => {
    const seen = new Set();
    for (let i = 0; i < count; i++) {
      const dir = `${prefix}/${pick(r, ["", "net/", "jar/", "zip/", "launch/", "web/", "service/"])}`;
      if (!seen.has(dir)) {
        seen.add(dir);
        outer.push({ name: dir, method: 0 });
      }
      const size = logNormal(r, 2600, 1.0, 300, 64 << 10);
      outer.push({
        name: `${dir}C${i}.class`,
        data: classBytes(size, r, pool, random),
        method: 8,
        descriptor: true,
      });
    }
  };
  outer.push({ name: "org/", method: 0 }, { name: "org/springframework/", method: 0 });
  outer.push({ name: "org/springframework/boot/", method: 0 });
  classes("org/springframework/boot/loader", small ? 10 : 90);
  outer.push({ name: "BOOT-INF/", method: 0 }, { name: "BOOT-INF/classes/", method: 0 });
  outer.push({
    name: "BOOT-INF/classes/application.yml",
    method: 8,
    descriptor: true,
    data: textSlice(pool, r, 1500),
  });
  classes("BOOT-INF/classes/com/example/demo", small ? 20 : 400);
  outer.push(
    { name: "META-INF/maven/", method: 0 },
    { name: "META-INF/maven/com.example/", method: 0 },
    { name: "META-INF/maven/com.example/demo-service/", method: 0 },
    {
      name: "META-INF/maven/com.example/demo-service/pom.xml",
      method: 8,
      descriptor: true,
      data: pomXml("com.example", "demo-service", "1.4.2", pool, r),
    },
    {
      name: "META-INF/maven/com.example/demo-service/pom.properties",
      method: 8,
      descriptor: true,
      data: pomProperties("com.example", "demo-service", "1.4.2"),
    },
    { name: "BOOT-INF/lib/", method: 0 },
  );
  const outerSoFar = writeZip(outer).size;
  let left = spec.jarBytes - outerSoFar - 64 * 1024;
  const groups = Array.from({ length: 40 }, () => {
    const x = r();
    return x < 0.4
      ? `org.${pick(r, words)}`
      : x < 0.7
        ? `com.${pick(r, words)}`
        : x < 0.85
          ? `io.${pick(r, words)}`
          : `org.${pick(r, words)}.${pick(r, words)}`;
  });
  const libs = [];
  const used = new Set();
  const counts = { pom: 0, manifest: 0, osgi: 0, shaded: 0, descriptor: 0 };
  while (left > 2048) {
    let a;
    do a = r() < 0.5 ? pick(r, words) : `${pick(r, words)}-${pick(r, words)}`;
    while (used.has(a));
    used.add(a);
    const coords = { g: pick(r, groups), a, v: mavenVersion(r) };
    // the first libraries cover every kind (so even the tiny image exercises each), then at random
    const x = r();
    const kind =
      KINDS[libs.length] ?? (x < 0.82 ? "pom" : x < 0.9 ? "manifest" : x < 0.96 ? "osgi" : "shaded");
    const descriptor = libs.length === 4 || r() < 0.15;
    counts[kind]++;
    if (descriptor) counts.descriptor++;
    const want = logNormal(r, small ? 30 << 10 : 200 << 10, 1.5, 4 << 10, small ? 200 << 10 : 12 * MiB);
    const { buffer, expected: e } = libraryJar(
      coords,
      kind,
      Math.min(want, left),
      descriptor,
      r,
      pool,
      random,
      words,
    );
    left -= buffer.length + 46 + 2 * (a.length + coords.v.length + 20);
    libs.push({ name: `BOOT-INF/lib/${a}-${coords.v}.jar`, data: buffer, method: 0 });
    expected.push(...e);
  }
  outer.push(...libs);
  outer.push(
    {
      name: "BOOT-INF/classpath.idx",
      method: 8,
      descriptor: true,
      data: Buffer.from(libs.map((l) => `- "${l.name}"\n`).join("")),
    },
    {
      name: "BOOT-INF/layers.idx",
      method: 8,
      descriptor: true,
      data: Buffer.from(
        '- "dependencies":\n  - "BOOT-INF/lib/"\n- "spring-boot-loader":\n  - "org/"\n- "application":\n  - "BOOT-INF/classes/"\n  - "BOOT-INF/classpath.idx"\n  - "BOOT-INF/layers.idx"\n  - "META-INF/"\n',
      ),
    },
  );
  const { parts, size } = writeZip(outer);
  return { parts, size, nested: libs.length, counts, expected: expected.sort() };
}

// ---------------------------------------------------------------------------------------------------
// layers and the OCI layout

function planImage(spec) {
  const seed = spec.seed ?? 1;
  const r = rng(seed * 7919);
  const pool = textPool(seed);
  const words = wordList(r, 5000);
  const random = randomBytesSource(seed * 31 + 5);
  const base = planBase(spec, r, pool, words);
  const npm = planNodeModules(spec, r, words);
  const jar = planFatJar(spec, r, pool, random, words);
  const src = [];
  for (let i = 0; i < 40; i++)
    src.push(file(`${APP}/src/${pick(r, words)}${i}.js`, logNormal(r, 3000, 1, 200, 64 << 10), "text"));
  const service = [
    file(JAR_PATH, jar.size, { parts: jar.parts }),
    bufFile("opt/service/application.yml", textSlice(pool, r, 800)),
  ];
  const layers = [base.layer, npm.manifests, npm.entries, src, service];
  for (const l of layers) l.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    pool,
    layers,
    stats: {
      baseFiles: base.files,
      baseBytes: base.bytes,
      nodeModulesFiles: npm.files,
      nodeModulesBytes: npm.bytes,
      npmInstalled: npm.installed,
      npmScoped: npm.scoped,
      npmNested: npm.nested,
      jarBytes: jar.size,
      jarNested: jar.nested,
      jarKinds: jar.counts,
    },
    expected: {
      dpkg: base.dpkg,
      npm: npm.distinct,
      npmInstalled: npm.installed,
      maven: jar.expected,
    },
  };
}

/** Layer i's file bodies: literal buffers, zip parts (streamed), generated ELF/text/random content. */
function bodyOfLayer(pool, seed) {
  return (index) => {
    const r = rng(seed * 1000 + index + 17);
    const random = randomBytesSource(seed * 1000 + index + 17);
    const contentOf = (e) => {
      if (Buffer.isBuffer(e.content)) return e.content;
      if (e.size === 0) return Buffer.alloc(0);
      if (e.content === "random") return random(e.size);
      if (e.content === "elf") {
        const h = elfHeader(e.size, r);
        return Buffer.concat([h, random(e.size - h.length)], e.size);
      }
      return textSlice(pool, r, e.size);
    };
    return (e) => (e.content?.parts ? e.content.parts : contentOf(e));
  };
}

const CREATED_BY = [
  "ADD rootfs.tar.xz / # debian:bookworm-slim",
  "COPY package.json package-lock.json ./",
  "RUN npm ci --omit=dev",
  "COPY src ./src",
  "COPY target/demo-service-1.4.2.jar /opt/service/app.jar",
];

/** Generate the image for `spec` into `dir` (replacing whatever is there). */
export async function generateLangImage(dir, spec) {
  const started = performance.now();
  const seed = spec.seed ?? 1;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const plan = planImage(spec);
  const layers = await writeOciImage(dir, plan.layers, {
    bodyOfLayer: bodyOfLayer(plan.pool, seed),
    config: { Cmd: ["node", "src/index.js"], WorkingDir: `/${APP}` },
    createdBy: (i) => CREATED_BY[i],
  });
  const meta = {
    version: GENERATOR_VERSION,
    spec,
    dir,
    target: `oci:${dir}`,
    layers,
    stats: plan.stats,
    ...layerTotals(layers),
    expected: plan.expected,
    generatedMs: Math.round(performance.now() - started),
  };
  return writeImageMeta(dir, meta);
}

/** The image for `spec` in `dir`: reused when a complete image of the same spec is there. */
export function ensureLangImage(dir, spec) {
  return reuseOrGenerate(dir, spec, GENERATOR_VERSION, generateLangImage);
}
