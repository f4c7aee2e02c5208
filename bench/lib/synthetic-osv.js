import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randInt, rng } from "./synthetic-content.js";

/**
 * Synthetic OSV records for the vulnerability-database benchmark (issue "Version semantics,
 * vulnerability database and matching"), shaped like osv.dev's export: GHSA (npm, PyPI, Maven, Go,
 * crates.io, RubyGems, NuGet, Packagist) with CVE aliases, CVSS v3 vectors, CWE ids and explicit
 * `versions` lists; PYSEC; MAL- malicious-package reports; DEBIAN-CVE / UBUNTU-CVE / ALPINE-CVE records
 * with `upstream` CVEs and distro version strings. Every record has a details paragraph and references.
 * CVE numbers are shared across ecosystems so alias groups form (a CVE in Debian, Ubuntu and GHSA).
 *
 * Package names are a bijection of (ecosystem, index) (`packageName`), so an inventory can be drawn
 * from the same pools; popular packages (low indexes) collect many advisories, as `linux` or `openssl` do.
 * Versions are `M.m.p` with M < 10 (distro suffixes added); a version with major 10 is above every fix.
 *
 * `ensureOsvFeed` writes the records as JSON lines, streamed (never the whole feed in memory), and
 * reuses a complete feed of the same spec.
 */

const GENERATOR_VERSION = 1;

export const OSV_PRESETS = {
  full: { records: 1_000_000, pool: 40_000, seed: 1 },
  quick: { records: 100_000, pool: 8_000, seed: 1 },
  tiny: { records: 2_000, pool: 400, seed: 1 },
};

/** ecosystem, share of records, version scheme, purl type, id prefix */
export const ECOSYSTEMS = [
  { ecosystem: "npm", share: 0.2, scheme: "semver", type: "npm", kind: "ghsa" },
  { ecosystem: "npm", share: 0.12, scheme: "semver", type: "npm", kind: "mal" },
  { ecosystem: "PyPI", share: 0.06, scheme: "pep440", type: "pypi", kind: "ghsa" },
  { ecosystem: "PyPI", share: 0.05, scheme: "pep440", type: "pypi", kind: "pysec" },
  { ecosystem: "Maven", share: 0.07, scheme: "maven", type: "maven", kind: "ghsa" },
  { ecosystem: "Go", share: 0.04, scheme: "semver", type: "golang", kind: "ghsa" },
  { ecosystem: "crates.io", share: 0.03, scheme: "semver", type: "cargo", kind: "ghsa" },
  { ecosystem: "RubyGems", share: 0.03, scheme: "gem", type: "gem", kind: "ghsa" },
  { ecosystem: "NuGet", share: 0.03, scheme: "nuget", type: "nuget", kind: "ghsa" },
  { ecosystem: "Packagist", share: 0.03, scheme: "composer", type: "composer", kind: "ghsa" },
  { ecosystem: "Debian:12", share: 0.1, scheme: "deb", type: "deb", kind: "debian" },
  { ecosystem: "Debian:11", share: 0.06, scheme: "deb", type: "deb", kind: "debian" },
  { ecosystem: "Ubuntu:22.04:LTS", share: 0.1, scheme: "ubuntu", type: "deb", kind: "ubuntu" },
  { ecosystem: "Alpine:v3.19", share: 0.08, scheme: "apk", type: "apk", kind: "alpine" },
];

const SYL = [
  "ba", "be", "bi", "bo", "bu", "da", "de", "di", "do", "du", "fa", "fe", "fi", "fo", "ga", "ge",
  "gi", "go", "ka", "ke", "ki", "ko", "ku", "la", "le", "li", "lo", "lu", "ma", "me", "mi", "mo",
  "na", "ne", "ni", "no", "nu", "pa", "pe", "pi", "po", "ra", "re", "ri", "ro", "ru", "sa", "se",
  "si", "so", "ta", "te", "ti", "to", "tu", "va", "ve", "vi", "vo", "za", "ze", "zi", "zo", "zu",
]; // biome-ignore format: data

/** A unique word per non-negative integer (bijective base-64 over syllables). */
function word(i) {
  let n = i + 1;
  let w = "";
  while (n > 0) {
    n -= 1;
    w = SYL[n % 64] + w;
    n = Math.floor(n / 64);
  }
  return w;
}

/** The name of package `i` of an ecosystem's pool, spelled as that ecosystem spells names. */
export function packageName(ecosystem, i) {
  const a = word(i);
  const b = word((i * 7919) % 4096);
  switch (ecosystem.split(":", 1)[0]) {
    case "npm":
      return i % 4 === 0 ? `@${b}/${a}` : `${a}-${b}`;
    case "PyPI":
      return i % 3 === 0 ? `${a}_${b}` : `${a}-${b}`;
    case "Maven":
      return `org.${b}:${a}-core`;
    case "Go":
      return `github.com/${b}/${a}`;
    case "NuGet":
      return `${b[0].toUpperCase()}${b.slice(1)}.${a}`;
    case "Packagist":
      return `${b}/${a}`;
    case "RubyGems":
    case "crates.io":
      return `${a}_${b}`;
    default: // distro source packages
      return i % 3 === 0 ? `lib${a}` : a;
  }
}

/** `M.m.p` in the version syntax of `scheme` (distro revisions added). */
export function versionString(scheme, major, minor, patch, rev = 1) {
  const base = `${major}.${minor}.${patch}`;
  switch (scheme) {
    case "deb":
      return `${base}-${rev}`;
    case "ubuntu":
      return `${base}-${rev}ubuntu0.1`;
    case "apk":
      return `${base}-r${rev}`;
    default:
      return base;
  }
}

const WORDS = (() => {
  const r = rng(77);
  const out = [];
  for (let i = 0; i < 800; i++) out.push(word(randInt(r, 0, 200_000)));
  return out;
})();

function sentence(r, min, max) {
  const n = randInt(r, min, max);
  const w = [];
  for (let i = 0; i < n; i++) w.push(WORDS[randInt(r, 0, WORDS.length)]);
  const s = w.join(" ");
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

function paragraph(r, sentences) {
  const out = [];
  for (let i = 0; i < sentences; i++) out.push(sentence(r, 6, 22));
  return out.join(" ");
}

const pick = (r, list) => list[randInt(r, 0, list.length)];
const METRICS = [
  ["AV", ["N", "A", "L", "P"]],
  ["AC", ["L", "H"]],
  ["PR", ["N", "L", "H"]],
  ["UI", ["N", "R"]],
  ["S", ["U", "C"]],
  ["C", ["N", "L", "H"]],
  ["I", ["N", "L", "H"]],
  ["A", ["N", "L", "H"]],
];
const cvss3 = (r) => `CVSS:3.1/${METRICS.map(([k, vs]) => `${k}:${pick(r, vs)}`).join("/")}`;

function date(r, year) {
  const p = (n) => String(n).padStart(2, "0");
  return `${year}-${p(randInt(r, 1, 13))}-${p(randInt(r, 1, 29))}T${p(randInt(r, 0, 24))}:${p(randInt(r, 0, 60))}:${p(randInt(r, 0, 60))}Z`;
}

const ghsaId = (r) => {
  const part = () => {
    let s = "";
    for (let i = 0; i < 4; i++) s += "23456789cfghjmpqrvwx"[randInt(r, 0, 20)];
    return s;
  };
  return `GHSA-${part()}-${part()}-${part()}`;
};

/** Popular packages collect more advisories: index = pool × u² leans to the low end. */
const packageIndex = (r, pool) => Math.floor(pool * r() ** 2);

function rangeFor(r, eco, withVersions) {
  const major = randInt(r, 0, 10);
  const fixMinor = randInt(r, 1, 20);
  const fixed = versionString(eco.scheme, major, fixMinor, randInt(r, 0, 10), randInt(r, 1, 4));
  const introduced = r() < 0.5 ? "0" : versionString(eco.scheme, major, 0, 0);
  const events = [{ introduced }];
  if (r() < 0.9) events.push({ fixed });
  else events.push({ last_affected: fixed });
  const type = eco.scheme === "semver" && eco.ecosystem !== "npm" ? "SEMVER" : "ECOSYSTEM";
  const range = { type: eco.ecosystem === "npm" ? "SEMVER" : type, events };
  const versions = [];
  if (withVersions)
    for (let m = 0; m < fixMinor; m++)
      for (let p = 0; p < 3; p++) versions.push(versionString(eco.scheme, major, m, p));
  return { range, versions };
}

function references(r, id, cve, count) {
  const refs = [];
  if (cve) refs.push({ type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/${cve}` });
  for (let i = 0; i < count; i++)
    refs.push({
      type: pick(r, ["WEB", "FIX", "REPORT", "PACKAGE"]),
      url: `https://github.com/${pick(r, WORDS)}/${pick(r, WORDS)}/${pick(r, ["commit", "issues", "pull"])}/${randInt(r, 1, 1e6).toString(16)}`,
    });
  refs.push({ type: "ADVISORY", url: `https://osv.dev/vulnerability/${id}` });
  return refs;
}

const cveOf = (m) => `CVE-${2015 + (m % 11)}-${10000 + m}`;

/** Record `n` of the feed (deterministic for spec and n). */
export function osvRecord(spec, n, eco) {
  const r = rng((spec.seed * 0x9e3779b1) ^ (n * 2654435761));
  // a distro record is about its own CVE (its id derives from it, so ids stay unique); GHSA and PYSEC
  // records alias a CVE of another record, so alias groups span ecosystems
  const distro = eco.kind === "debian" || eco.kind === "ubuntu" || eco.kind === "alpine";
  const cve = cveOf(distro ? n : randInt(r, 0, spec.records));
  const year = Number(cve.slice(4, 8));
  const name = packageName(eco.ecosystem, packageIndex(r, spec.pool));
  const published = date(r, year);
  const base = {
    schema_version: "1.6.0",
    modified: date(r, Math.min(year + 1, 2026)),
    published,
  };
  const affected = (extra, withVersions, rangesN = 1) => {
    const ranges = [];
    const versions = [];
    for (let i = 0; i < rangesN; i++) {
      const x = rangeFor(r, eco, withVersions);
      ranges.push(x.range);
      versions.push(...x.versions);
    }
    return {
      package: { ecosystem: eco.ecosystem, name },
      ranges,
      ...(versions.length ? { versions } : {}),
      ...extra,
    };
  };
  const details = paragraph(r, randInt(r, 2, 8));
  switch (eco.kind) {
    case "ghsa": {
      const id = ghsaId(r);
      const severity = pick(r, ["LOW", "MODERATE", "HIGH", "CRITICAL"]);
      return {
        ...base,
        id,
        aliases: [cve],
        summary: sentence(r, 5, 12),
        details,
        severity: [{ type: "CVSS_V3", score: cvss3(r) }],
        affected: [
          affected(
            { database_specific: { source: `https://github.com/github/advisory-database/${id}` } },
            r() < 0.3,
            randInt(r, 1, 3),
          ),
        ],
        references: references(r, id, cve, randInt(r, 1, 5)),
        database_specific: {
          cwe_ids: [`CWE-${randInt(r, 20, 1000)}`],
          severity,
          github_reviewed: true,
          github_reviewed_at: published,
          nvd_published_at: published,
        },
      };
    }
    case "pysec": {
      const id = `PYSEC-${year}-${n}`;
      return {
        ...base,
        id,
        aliases: [cve, ghsaId(r)],
        details,
        affected: [affected({}, true)],
        references: references(r, id, cve, randInt(r, 1, 4)),
      };
    }
    case "mal": {
      const id = `MAL-${year}-${n}`;
      return {
        ...base,
        id,
        summary: `Malicious code in ${name} (${eco.ecosystem})`,
        details: `\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\n${details}`,
        affected: [
          {
            package: { ecosystem: eco.ecosystem, name },
            ...(r() < 0.5
              ? { ranges: [{ type: "SEMVER", events: [{ introduced: "0" }] }] }
              : {
                  versions: [
                    versionString(eco.scheme, randInt(r, 0, 10), randInt(r, 0, 20), randInt(r, 0, 10)),
                  ],
                }),
            database_specific: { cwes: [{ cweId: "CWE-506", name: "Embedded Malicious Code" }] },
          },
        ],
        references: references(r, id, undefined, 1),
        database_specific: {
          "malicious-packages-origins": [{ source: "ossf-package-analysis", sha256: "0".repeat(64) }],
        },
      };
    }
    case "debian":
      return {
        ...base,
        id: `DEBIAN-${cve}`,
        upstream: [cve],
        details,
        affected: [
          affected(
            { ecosystem_specific: { urgency: pick(r, ["low", "medium", "high", "not yet assigned"]) } },
            false,
          ),
        ],
        references: references(r, `DEBIAN-${cve}`, cve, 0),
      };
    case "ubuntu":
      return {
        ...base,
        id: `UBUNTU-${cve}`,
        upstream: [cve],
        details,
        severity: [
          { type: "Ubuntu", score: pick(r, ["low", "medium", "high", "negligible"]) },
          { type: "CVSS_V3", score: cvss3(r) },
        ],
        affected: [
          affected(
            {
              ecosystem_specific: {
                binaries: [{ binary_name: name, binary_version: "1" }],
                availability: "No subscription required",
              },
            },
            false,
          ),
        ],
        references: references(r, `UBUNTU-${cve}`, cve, randInt(r, 1, 3)),
      };
    default: // alpine
      return {
        ...base,
        id: `ALPINE-${cve}`,
        upstream: [cve],
        details,
        affected: [affected({}, false)],
        references: references(r, `ALPINE-${cve}`, cve, 0),
      };
  }
}

/** The ecosystem entry of record `n`: a fixed interleaving by share, so any prefix has the same mix. */
export function ecosystemOf(n) {
  const x = (((n * 0.6180339887498949) % 1) + 1) % 1;
  let acc = 0;
  for (const e of ECOSYSTEMS) {
    acc += e.share;
    if (x < acc) return e;
  }
  return ECOSYSTEMS.at(-1);
}

/** Write `spec.records` records as JSON lines to `file`, streaming with backpressure. */
export async function writeOsvFeed(file, spec) {
  const out = createWriteStream(file);
  const done = new Promise((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  let bytes = 0;
  let chunk = "";
  for (let n = 0; n < spec.records; n++) {
    chunk += `${JSON.stringify(osvRecord(spec, n, ecosystemOf(n)))}\n`;
    if (chunk.length > 1 << 20 || n === spec.records - 1) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise((resolve) => out.once("drain", resolve));
      chunk = "";
    }
  }
  out.end();
  await done;
  return bytes;
}

/** The feed for `spec` in `dir` (`osv.jsonl`), generated unless a complete one of the same spec is there. */
export async function ensureOsvFeed(dir, spec) {
  const metaFile = join(dir, "osv-feed.json");
  const file = join(dir, "osv.jsonl");
  try {
    const meta = JSON.parse(await readFile(metaFile, "utf8"));
    if (meta.version === GENERATOR_VERSION && JSON.stringify(meta.spec) === JSON.stringify(spec)) {
      if ((await stat(file)).size === meta.bytes) return { ...meta, reused: true };
    }
  } catch {
    // missing or stale: regenerate
  }
  await mkdir(dir, { recursive: true });
  await rm(metaFile, { force: true });
  const started = performance.now();
  const bytes = await writeOsvFeed(`${file}.tmp`, spec);
  await rename(`${file}.tmp`, file);
  const meta = {
    version: GENERATOR_VERSION,
    spec,
    file,
    bytes,
    generatedMs: Math.round(performance.now() - started),
  };
  await writeFile(metaFile, JSON.stringify(meta, null, 2)); // written last: the feed is complete
  return { ...meta, reused: false };
}
