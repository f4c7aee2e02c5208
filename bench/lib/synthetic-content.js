import { createCipheriv, createHash } from "node:crypto";

/**
 * Deterministic content for the synthetic benchmark image: a seeded PRNG, incompressible bytes
 * (AES-CTR keystream, fast and reproducible), compressible pseudo-text sliced from a shared pool, and
 * the Debian metadata the dpkg analyzer reads (status stanzas, DEP-5 copyright files).
 */

/** mulberry32: tiny seeded PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi). */
export const randInt = (r, lo, hi) => lo + Math.floor(r() * (hi - lo));

const ZEROS = Buffer.alloc(1 << 20);

/** A reproducible stream of incompressible bytes. */
export function randomBytesSource(seed) {
  const key = createHash("sha256").update(`airbag-bench-${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return (n) => {
    if (n <= ZEROS.length) return cipher.update(ZEROS.subarray(0, n));
    const parts = [];
    for (let left = n; left > 0; left -= ZEROS.length)
      parts.push(cipher.update(ZEROS.subarray(0, Math.min(left, ZEROS.length))));
    return Buffer.concat(parts, n);
  };
}

const CONS = "bcdfghjklmnprstvwz";
const VOWELS = "aeiou";

/** Pronounceable lowercase words (valid in dpkg package names and file names). */
export function wordList(r, count) {
  const words = new Set();
  while (words.size < count) {
    let w = "";
    const syl = randInt(r, 1, 4);
    for (let i = 0; i < syl; i++)
      w += CONS[randInt(r, 0, CONS.length)] + VOWELS[randInt(r, 0, VOWELS.length)];
    if (r() < 0.3) w += CONS[randInt(r, 0, CONS.length)];
    words.add(w);
  }
  return [...words];
}

/** ~4 MiB of text-like bytes (words, punctuation, code-ish lines); gzip shrinks it about 3x. */
export function textPool(seed, bytes = 4 << 20) {
  const r = rng(seed);
  const words = wordList(r, 3000);
  const lines = [];
  let len = 0;
  while (len < bytes) {
    const n = randInt(r, 3, 14);
    const w = [];
    // Zipf-ish: frequent words dominate, as in real text and code
    for (let i = 0; i < n; i++) w.push(words[Math.floor(words.length * r() ** 3)]);
    const kind = r();
    const line =
      kind < 0.25
        ? `  const ${w[0]} = ${w.slice(1).join(".")}(${randInt(r, 0, 4096)});`
        : kind < 0.35
          ? `# ${w.join(" ")}`
          : `${w.join(" ")}${r() < 0.5 ? "." : ","}`;
    lines.push(line);
    len += line.length + 1;
  }
  return Buffer.from(`${lines.join("\n")}\n`, "latin1").subarray(0, bytes);
}

/** `n` bytes of text from the pool, at a random offset (no copy). */
export function textSlice(pool, r, n) {
  if (n <= pool.length) {
    const off = randInt(r, 0, pool.length - n + 1);
    return pool.subarray(off, off + n);
  }
  const parts = [];
  for (let left = n; left > 0; left -= pool.length)
    parts.push(textSlice(pool, r, Math.min(left, pool.length)));
  return Buffer.concat(parts, n);
}

const LICENSES = [
  "GPL-2+",
  "GPL-3+",
  "LGPL-2.1+",
  "Expat",
  "BSD-3-clause",
  "Apache-2.0",
  "Zlib",
  "public-domain",
];
const SECTIONS = ["libs", "utils", "admin", "net", "python", "perl", "devel", "misc"];

/** Package names and versions for `count` packages. */
export function packageSet(seed, count) {
  const r = rng(seed ^ 0x5eed);
  return wordList(r, count).map((w, i) => {
    const lib = i % 3 === 0;
    const name = lib ? `lib${w}${randInt(r, 0, 4)}` : `${w}${i % 7 === 0 ? "-utils" : ""}`;
    const version = `${randInt(r, 0, 12)}.${randInt(r, 0, 30)}.${randInt(r, 0, 9)}-${randInt(r, 1, 6)}${r() < 0.2 ? "+deb12u1" : ""}`;
    return {
      name,
      version,
      source: w,
      arch: i % 11 === 0 ? "all" : "amd64",
      license: LICENSES[randInt(r, 0, LICENSES.length)],
      section: SECTIONS[randInt(r, 0, SECTIONS.length)],
      installedSize: randInt(r, 20, 40000),
    };
  });
}

/** A dpkg status stanza; `status` other than installed makes dpkg skip it. */
export function statusStanza(p, deps, status = "install ok installed") {
  const lines = [
    `Package: ${p.name}`,
    `Status: ${status}`,
    `Priority: optional`,
    `Section: ${p.section}`,
    `Installed-Size: ${p.installedSize}`,
    `Maintainer: Debian ${p.source} Maintainers <${p.source}@packages.debian.org>`,
    `Architecture: ${p.arch}`,
    ...(p.arch === "amd64" ? ["Multi-Arch: same"] : []),
    ...(p.source !== p.name ? [`Source: ${p.source} (${p.version})`] : []),
    `Version: ${p.version}`,
    ...(deps.length ? [`Depends: ${deps.map((d) => `${d.name} (>= ${d.version})`).join(", ")}`] : []),
    `Description: synthetic ${p.section} package ${p.name}`,
    ` This package exists only in the Airbag benchmark image. It is described`,
    ` over several lines, as real packages are.`,
    ` .`,
    ` Homepage-like text: https://example.org/${p.source}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The whole var/lib/dpkg/status for `pkgs` (plus `removed` stanzas in config-files state). */
export function statusFile(pkgs, removed = []) {
  const out = [];
  pkgs.forEach((p, i) => {
    const deps =
      i > 0 ? [pkgs[(i * 7 + 3) % i], pkgs[(i * 13 + 5) % i]].filter((d, j, a) => a.indexOf(d) === j) : [];
    out.push(statusStanza(p, deps));
  });
  for (const p of removed) out.push(statusStanza(p, [], "deinstall ok config-files"));
  return Buffer.from(out.join("\n"));
}

/** A machine-readable (DEP-5) copyright file. */
export function copyrightFile(p, pool, r) {
  const year = randInt(r, 1995, 2020);
  const body = textSlice(pool, r, randInt(r, 400, 2500))
    .toString("latin1")
    .split("\n")
    .map((l) => ` ${l || "."}`);
  return Buffer.from(
    [
      "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
      `Upstream-Name: ${p.source}`,
      `Source: https://example.org/${p.source}`,
      "",
      "Files: *",
      `Copyright: ${year}-2024 The ${p.source} authors`,
      `License: ${p.license}`,
      "",
      "Files: debian/*",
      `Copyright: ${year + 1}-2024 Debian maintainers`,
      `License: ${p.license}`,
      "",
      `License: ${p.license}`,
      ...body,
      "",
    ].join("\n"),
  );
}
