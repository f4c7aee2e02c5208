import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Analyzer,
  type AnyAnalyzer,
  analyzers,
  catalogFiles,
  type StreamAnalyzer,
} from "../../src/catalog/index.js";
import { zipBuffer } from "../../src/catalog/lang/zip.testutil.js";
import type { Package } from "../../src/model/index.js";

/**
 * The issue's property, for every language analyzer the catalog runs (the `analyzers` list itself, so a
 * new ecosystem is covered the day it is added): on arbitrary bytes and on damaged real documents, at
 * every path shape the analyzer accepts, nothing throws — neither the analyzer called the way the
 * catalog calls it (`catalogFiles`, which would turn an exception into an "analyzer … failed" warning
 * and hide it) nor a stream analyzer's consumer fed in random chunk sizes — and whatever comes out is a
 * well-formed package located in the file it was read from. For the JSON, TOML and YAML formats, input
 * that is not even syntactically valid is reported as an input problem naming the file.
 *
 * The per-format suites next to each parser (src/catalog/lang/*.test.ts) hold the format-specific
 * properties; this one is the uniform net over the dispatch.
 */

const FIX = join(import.meta.dirname, "../fixtures");
const fx = (rel: string) => readFileSync(join(FIX, rel));
const OS = new Set(["dpkg", "apk", "rpm"]);
const isStream = (a: AnyAnalyzer): a is StreamAnalyzer => "consume" in a;

/** Path shapes the analyzers accept, each with real documents to damage. */
const SAMPLES: { path: string; seeds: Buffer[]; syntax?: "json" | "toml" | "yaml" }[] = [
  {
    path: "srv/app/node_modules/@scope/pkg/package.json",
    seeds: [fx("npm/packagejson/package.json"), fx("npm/packagejson/legacy_package.json")],
    syntax: "json",
  },
  {
    path: "srv/app/package-lock.json",
    seeds: [fx("npm/npm/package-lock_v1.json"), fx("npm/npm/package-lock_v3_with_workspace.json")],
    syntax: "json",
  },
  { path: "srv/app/npm-shrinkwrap.json", seeds: [fx("npm/npm/package-lock_v2.json")], syntax: "json" },
  { path: "srv/app/yarn.lock", seeds: [fx("npm/yarn/yarn_happy.lock"), fx("npm/yarn/yarn_v2_happy.lock")] },
  {
    path: "srv/app/pnpm-lock.yaml",
    seeds: [fx("npm/pnpm/pnpm-lock_normal.yaml"), fx("npm/pnpm/pnpm-lock_v9.yaml")],
    syntax: "yaml",
  },
  {
    path: "usr/lib/python3/site-packages/zipp-3.12.1.dist-info/METADATA",
    seeds: [fx("python/installed/zipp-3.12.1.METADATA")],
  },
  {
    path: "usr/lib/python3/dist-packages/setuptools.egg-info/PKG-INFO",
    seeds: [fx("python/installed/setuptools-51.3.3-py3.8.egg-info.PKG-INFO")],
  },
  {
    path: "usr/lib/python3/dist-packages/distlib-0.3.1.egg-info",
    seeds: [fx("python/installed/distlib-0.3.1-py3.9.egg-info")],
  },
  {
    path: "usr/lib/python3/site-packages/x-1.0.egg/EGG-INFO/PKG-INFO",
    seeds: [fx("python/installed/unidecode-egg-info.PKG-INFO")],
  },
  { path: "app/Pipfile.lock", seeds: [fx("python/pipenv/Pipfile_normal.lock")], syntax: "json" },
  { path: "app/poetry.lock", seeds: [fx("python/poetry/poetry_v2_flask.lock")], syntax: "toml" },
  { path: "app/uv.lock", seeds: [fx("python/uv/uv_normal.lock")], syntax: "toml" },
  { path: "app/requirements-prod.txt", seeds: [fx("python/requirements/requirements_flask.txt")] },
  {
    path: "usr/local/bundle/specifications/rack-1.1.0.gemspec",
    seeds: [fx("ruby/gemspec/rack-1.1.0.gemspec"), fx("ruby/gemspec/nokogiri-1.15.0-x86_64-linux.gemspec")],
  },
  { path: "app/Gemfile.lock", seeds: [fx("ruby/Gemfile_normal.lock")] },
  {
    path: "var/www/vendor/composer/installed.json",
    seeds: [fx("php/installed-composer1.json"), fx("php/composer2-project/vendor/composer/installed.json")],
    syntax: "json",
  },
  { path: "var/www/composer.lock", seeds: [fx("php/composer_happy.lock")], syntax: "json" },
  { path: "app/WebApi.deps.json", seeds: [fx("dotnet/WebApi.deps.json")], syntax: "json" },
  { path: "src/Web/packages.lock.json", seeds: [fx("dotnet/packages.lock.json")], syntax: "json" },
  { path: "src/app/Cargo.lock", seeds: [fx("rust/cargo_normal.lock"), fx("rust/cargo-v4-workspace.lock")] },
];

/** Stream analyzers: the file a consumer is offered, and real content to damage. */
function streamSamples(): { path: string; mode: number; seeds: Buffer[] }[] {
  const meta = join(FIX, "java/jar-metadata/opensaml-core-3.4.6/META-INF");
  const jar = zipBuffer([
    { name: "META-INF/MANIFEST.MF", data: readFileSync(join(meta, "MANIFEST.MF")), descriptor: true },
    {
      name: "META-INF/maven/org.opensaml/opensaml-core/pom.properties",
      data: readFileSync(join(meta, "maven/org.opensaml/opensaml-core/pom.properties")),
    },
    // unwanted, sizes only in a descriptor: skipped by scanning, not decoding
    { name: "org/opensaml/core/Version.class", data: Buffer.alloc(900, 7), descriptor: true },
    {
      name: "org/opensaml/core/Config.class",
      data: Buffer.alloc(700, 9),
      descriptor: true,
      descriptorSig: false,
    },
  ]);
  const war = zipBuffer([{ name: "WEB-INF/lib/opensaml-core-3.4.6.jar", data: jar, method: 0 }]);
  return [
    { path: "usr/local/bin/app", mode: 0o755, seeds: [fx("go/hello")] },
    { path: "opt/app/lib/opensaml-core-3.4.6.jar", mode: 0o644, seeds: [jar, war] },
    { path: "opt/app/shop.war", mode: 0o644, seeds: [war] },
  ];
}

const langAnalyzers = analyzers.filter((a) => !OS.has(a.name));
const buffered = langAnalyzers.filter((a): a is Analyzer => !isStream(a));
const streaming = langAnalyzers.filter(isStream);

/** Bytes: arbitrary, text-like, or a real seed cut and overwritten at random places. */
const damaged = (seeds: Buffer[]) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)),
    fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
    fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
      )
      .map(([seed, edits, cut, whole]) => {
        const b = Buffer.from(seed);
        for (const [at, v] of edits) b[at % Math.max(1, b.length)] = v;
        return whole ? b : b.subarray(0, cut % (b.length + 1));
      }),
  );

function wellFormed(pkgs: Package[], path: string): void {
  for (const p of pkgs) {
    expect(typeof p.name === "string" && p.name.length > 0, `name of ${p.purl}`).toBe(true);
    expect(typeof p.version === "string", `version of ${p.purl}`).toBe(true);
    expect(p.purl.startsWith(`pkg:${p.type}/`), p.purl).toBe(true);
    expect(typeof p.ecosystem === "string" && p.ecosystem.length > 0).toBe(true);
    expect(p.locations[0]?.path).toBe(path);
    expect(p.id).toMatch(/^[0-9a-f]{16}$/);
  }
}

async function viaCatalog(path: string, content: Buffer, list: AnyAnalyzer[]) {
  const warnings: string[] = [];
  const { packages } = await catalogFiles(
    {
      files: [{ path, realPath: path, content, layer: "sha256:00", mode: 0o644 }],
      streamed: [],
    },
    (m) => warnings.push(m),
    list,
  );
  return { packages, warnings };
}

const syntaxOk = (syntax: string, b: Buffer): boolean => {
  if (syntax !== "json") return true; // only JSON is cheap to check here without the parsers' own libraries
  try {
    JSON.parse(b.toString("utf8").replace(/^\ufeff/, ""));
    return true;
  } catch {
    return false;
  }
};

describe("every language parser survives hostile input (through the catalog's dispatch)", () => {
  it("every buffered language analyzer accepts at least one of the sampled paths", () => {
    const uncovered = buffered.filter((a) => !SAMPLES.some((s) => a.match(s.path))).map((a) => a.name);
    expect(uncovered).toEqual([]);
    const streams = streamSamples();
    const unoffered = streaming
      .filter((a) => !streams.some((s) => a.wants(s.path, s.seeds[0]!.length, s.mode)))
      .map((a) => a.name);
    expect(unoffered).toEqual([]);
  });

  it.each(SAMPLES.map((s) => [s.path, s] as const))("%s: never throws, output well-formed", async (_, s) => {
    const list = buffered.filter((a) => a.match(s.path));
    await fc.assert(
      fc.asyncProperty(damaged(s.seeds), async (content) => {
        const { packages, warnings } = await viaCatalog(s.path, content, list);
        // an exception inside an analyzer surfaces only as this warning
        expect(warnings.filter((w) => /^analyzer .* failed/.test(w))).toEqual([]);
        wellFormed(packages, s.path);
        if (s.syntax === "json" && !syntaxOk("json", content)) {
          // not JSON at all: an input problem, reported against the file
          expect(warnings.some((w) => w.includes(s.path))).toBe(true);
          expect(packages).toEqual([]);
        }
      }),
      { numRuns: 120 },
    );
  });

  it.each(SAMPLES.filter((s) => s.syntax).map((s) => [s.path, s] as const))(
    "%s: a truncated document is reported, not silently half-read as whole",
    async (_, s) => {
      const list = buffered.filter((a) => a.match(s.path));
      for (const seed of s.seeds) {
        // cut inside the document (past its first third, so it is not just empty)
        const cut = seed.subarray(0, Math.floor(seed.length * 0.6));
        const { packages, warnings } = await viaCatalog(s.path, cut, list);
        wellFormed(packages, s.path);
        if (s.syntax === "json") expect(warnings.some((w) => w.includes(s.path))).toBe(true);
        else expect(warnings.length + packages.length).toBeGreaterThan(0);
      }
    },
  );

  it("stream analyzers: consumers fed damaged bytes in random chunks never throw, and analyze copes", async () => {
    const streams = streamSamples();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...streams),
        fc.integer({ min: 0, max: 10 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.nat(),
        fc.integer({ min: 1, max: 70_000 }),
        async (s, which, edits, cut, chunk) => {
          const seed = s.seeds[which % s.seeds.length]!;
          const b = Buffer.from(seed);
          for (const [at, v] of edits) b[at % b.length] = v;
          const data = cut % 3 === 0 ? b : b.subarray(0, cut % (b.length + 1));
          for (const a of streaming) {
            if (!a.wants(s.path, data.length, s.mode)) continue;
            const c = a.consume(s.path, data.length);
            for (let i = 0; i < data.length; i += chunk) if (!c.write(data.subarray(i, i + chunk))) break;
            const result = c.end();
            if (result === undefined) continue;
            const warnings: string[] = [];
            const pkgs = await a.analyze(
              [{ path: s.path, layer: "sha256:00", mode: s.mode, size: data.length, result }],
              {
                file: () => undefined,
                warn: (m) => warnings.push(m),
              },
            );
            wellFormed(pkgs, s.path);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
