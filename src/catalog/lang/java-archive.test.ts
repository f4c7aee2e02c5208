import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, crc32, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import type { AnalyzerContext } from "../analyzer.js";
import { type JavaArchiveExtract, javaArchiveAnalyzer, javaArchiveConsumer } from "./java-archive.js";
import {
  chunksOf,
  jarTool,
  pomProperties,
  writeTree,
  type ZipSpec,
  zipBuffer,
  zipChunks,
} from "./zip.testutil.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures/java/jar-metadata");

function extract(chunks: Iterable<Buffer>): JavaArchiveExtract | undefined {
  const c = javaArchiveConsumer();
  for (const ch of chunks) if (!c.write(ch)) break;
  return c.end();
}

function analyze(files: { path: string; data: Buffer | Buffer[] }[]) {
  const warnings: string[] = [];
  const ctx: AnalyzerContext = { file: () => undefined, warn: (m) => warnings.push(m) };
  const streamed = files.map((f) => {
    const chunks = Buffer.isBuffer(f.data) ? [f.data] : f.data;
    return {
      path: f.path,
      layer: "sha256:aa",
      mode: 0o644,
      size: chunks.reduce((n, c) => n + c.length, 0),
      result: extract(chunks)!,
    };
  });
  const pkgs = javaArchiveAnalyzer.analyze(streamed, ctx) as Package[];
  return { pkgs, warnings };
}

/** name@version [nestedPath] — compact for assertions */
const brief = (pkgs: Package[]) =>
  pkgs
    .map((p) => `${p.name}@${p.version}${p.metadata?.nestedPath ? ` [${p.metadata.nestedPath}]` : ""}`)
    .sort();

let tmp: string;
const jars: Record<string, Buffer> = {};
const build = (name: string, cwd: string, args: string[], files = ["."]) => {
  execFileSync("zip", ["-qr", ...args, join(tmp, name), ...files], { cwd });
  jars[name] = readFileSync(join(tmp, name));
};

const shadedTree = {
  "META-INF/MANIFEST.MF":
    "Manifest-Version: 1.0\nBundle-License: Apache-2.0\nImplementation-Version: 3.0.0\n",
  "META-INF/maven/com.example/shaded-app/pom.properties": pomProperties("com.example", "shaded-app", "3.0.0"),
  "META-INF/maven/com.google.guava/guava/pom.properties": pomProperties(
    "com.google.guava",
    "guava",
    "32.1.2-jre",
  ),
  "META-INF/maven/org.slf4j/slf4j-api/pom.properties": pomProperties("org.slf4j", "slf4j-api", "2.0.9"),
  "com/example/Main.class": randomBytes(500),
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "java-archive-"));
  // syft's fixture directories zipped as its Makefile does
  for (const d of readdirSync(FIX)) if (d !== "jenkins-plugins") build(`${d}.jar`, join(FIX, d), []);
  build("gradle.hpi", join(FIX, "jenkins-plugins/gradle/2.11"), []);

  const shaded = join(tmp, "shaded");
  writeTree(shaded, shadedTree);
  build("shaded-app-3.0.0.jar", shaded, []);

  // Spring Boot layout: nested jars stored (`-n .jar`), the rest deflated
  const boot = join(tmp, "boot");
  const bootTree = {
    "META-INF/MANIFEST.MF":
      "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.demo.DemoApplication\nImplementation-Title: demo\nImplementation-Version: 0.0.1-SNAPSHOT\n",
    "META-INF/maven/com.example/demo/pom.properties": pomProperties("com.example", "demo", "0.0.1-SNAPSHOT"),
    "BOOT-INF/classes/com/example/demo/DemoApplication.class": randomBytes(800),
    "BOOT-INF/lib/opensaml-core-3.4.6.jar": jars["opensaml-core-3.4.6.jar"]!,
    "BOOT-INF/lib/jackson-core-2.15.2.jar": jars["jackson-core-2.15.2.jar"]!,
    "BOOT-INF/lib/shaded-app-3.0.0.jar": jars["shaded-app-3.0.0.jar"]!,
    "BOOT-INF/lib/commons-lang3-3.12.0.jar": jars["commons-lang3-3.12.0.jar"]!,
  };
  writeTree(boot, bootTree);
  build("app.jar", boot, ["-n", ".jar"], Object.keys(bootTree)); // in this order

  // a war and an ear made by the JDK's jar tool: deflated nested archives with data descriptors
  const war = join(tmp, "war");
  writeTree(war, {
    "WEB-INF/web.xml": "<web-app/>",
    "META-INF/maven/com.example/shop/pom.properties": pomProperties("com.example", "shop", "1.4.0"),
    "WEB-INF/lib/opensaml-core-3.4.6.jar": jars["opensaml-core-3.4.6.jar"]!,
    "WEB-INF/lib/micronaut-aop-4.9.11.jar": jars["micronaut-aop-4.9.11.jar"]!,
  });
  jarTool(["cf", join(tmp, "shop.war"), "-C", war, "."], tmp);
  jars["shop.war"] = readFileSync(join(tmp, "shop.war"));
  const ear = join(tmp, "ear");
  mkdirSync(join(ear, "lib"), { recursive: true });
  cpSync(join(tmp, "shop.war"), join(ear, "shop.war"));
  cpSync(join(tmp, "api-all-2.0.0-sources.jar"), join(ear, "lib/api-all-2.0.0-sources.jar"));
  jarTool(["cf", join(tmp, "bundle.ear"), "-C", ear, "."], tmp);
  jars["bundle.ear"] = readFileSync(join(tmp, "bundle.ear"));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("java-archive: single jars", () => {
  it("syft's jar-metadata fixtures zipped", () => {
    const names = Object.keys(jars).filter(
      (n) => /^[a-z].*\.(jar|hpi)$/.test(n) && !n.startsWith("shaded") && n !== "app.jar",
    );
    const { pkgs, warnings } = analyze(names.map((n) => ({ path: `opt/lib/${n}`, data: jars[n]! })));
    expect(warnings).toEqual([]);
    expect(brief(pkgs)).toEqual([
      "com.fasterxml.jackson.core:jackson-core@2.15.2",
      "com.fasterxml.jackson.core:jackson-core@2.15.2",
      "com.multiple:thename@10.11.12",
      "commons-lang3@3.12.0",
      "micronaut-aop@4.9.11",
      "multiple-matching@2.11.5",
      "org.apache.directory.api:api-all@2.0.0",
      "org.apache.directory.api:api-asn1-api@2.0.0",
      "org.jenkins-ci.plugins:gradle@2.11",
      "org.multiple:multiple-matching-1@2.11.5",
      "org.multiple:multiple-matching-2@2.11.5",
      "org.multiple:multiple-matching-3@2.11.5",
      "org.multiple:thename@10.11.12",
      "org.opensaml:opensaml-core@3.4.6",
      "spring-instrumentation@1.0",
    ]);
    const saml = pkgs.find((p) => p.name === "org.opensaml:opensaml-core")!;
    expect(saml).toMatchObject({
      ecosystem: "Maven",
      type: "maven",
      purl: "pkg:maven/org.opensaml/opensaml-core@3.4.6",
      locations: [{ path: "opt/lib/opensaml-core-3.4.6.jar", layer: "sha256:aa" }],
      licenses: [],
      metadata: {
        evidence: "pom.properties",
        pomPath: "META-INF/maven/org.opensaml/opensaml-core/pom.properties",
      },
    });
    expect(saml.id).toMatch(/^[0-9a-f]{16}$/);
    const jackson = pkgs.find((p) => p.locations[0]!.path === "opt/lib/jackson-core-2.15.2.jar")!;
    expect(jackson).toMatchObject({
      purl: "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2",
      licenses: ["https://www.apache.org/licenses/LICENSE-2.0.txt"],
      metadata: { evidence: "manifest" },
    });
    expect(pkgs.find((p) => p.name === "micronaut-aop")!.purl).toBe("pkg:maven/micronaut-aop@4.9.11");
  });

  it("a shaded jar: one package per pom.properties, the licence on its own only", () => {
    const { pkgs } = analyze([{ path: "app/shaded-app-3.0.0.jar", data: jars["shaded-app-3.0.0.jar"]! }]);
    expect(pkgs.map((p) => [p.name, p.version, p.licenses]).sort()).toEqual([
      ["com.example:shaded-app", "3.0.0", ["Apache-2.0"]],
      ["com.google.guava:guava", "32.1.2-jre", []],
      ["org.slf4j:slf4j-api", "2.0.9", []],
    ]);
  });
});

describe("java-archive: nested archives", () => {
  it("a Spring Boot fat jar: the app and every BOOT-INF/lib jar", () => {
    const { pkgs, warnings } = analyze([{ path: "app/app.jar", data: jars["app.jar"]! }]);
    expect(warnings).toEqual([]);
    expect(brief(pkgs)).toEqual([
      "com.example:demo@0.0.1-SNAPSHOT",
      "com.example:shaded-app@3.0.0 [BOOT-INF/lib/shaded-app-3.0.0.jar]",
      "com.fasterxml.jackson.core:jackson-core@2.15.2 [BOOT-INF/lib/jackson-core-2.15.2.jar]",
      "com.google.guava:guava@32.1.2-jre [BOOT-INF/lib/shaded-app-3.0.0.jar]",
      "commons-lang3@3.12.0 [BOOT-INF/lib/commons-lang3-3.12.0.jar]",
      "org.opensaml:opensaml-core@3.4.6 [BOOT-INF/lib/opensaml-core-3.4.6.jar]",
      "org.slf4j:slf4j-api@2.0.9 [BOOT-INF/lib/shaded-app-3.0.0.jar]",
    ]);
    // the location is the real file; ids differ per nested path
    for (const p of pkgs) expect(p.locations).toEqual([{ path: "app/app.jar", layer: "sha256:aa" }]);
    expect(new Set(pkgs.map((p) => p.id)).size).toBe(pkgs.length);
  });

  it("an ear holding a war holding jars (all deflated, with data descriptors)", () => {
    expect(readFileSync(join(tmp, "bundle.ear")).readUInt16LE(6) & 8).toBe(8);
    const { pkgs, warnings } = analyze([{ path: "srv/bundle.ear", data: jars["bundle.ear"]! }]);
    expect(warnings).toEqual([]);
    expect(brief(pkgs)).toEqual([
      "com.example:shop@1.4.0 [shop.war]",
      "micronaut-aop@4.9.11 [shop.war!/WEB-INF/lib/micronaut-aop-4.9.11.jar]",
      "org.apache.directory.api:api-all@2.0.0 [lib/api-all-2.0.0-sources.jar]",
      "org.apache.directory.api:api-asn1-api@2.0.0 [lib/api-all-2.0.0-sources.jar]",
      "org.opensaml:opensaml-core@3.4.6 [shop.war!/WEB-INF/lib/opensaml-core-3.4.6.jar]",
    ]);
  });

  it("nesting deeper than 4 archives is not followed", () => {
    let inner = zipBuffer([
      { name: "META-INF/maven/g/level5/pom.properties", data: pomProperties("g", "level5", "5") },
    ]);
    for (let level = 4; level >= 1; level--)
      inner = zipBuffer([
        {
          name: `META-INF/maven/g/level${level}/pom.properties`,
          data: pomProperties("g", `level${level}`, `${level}`),
        },
        { name: `lib/level${level + 1}.jar`, data: inner, method: level % 2 ? 0 : 8 },
      ]);
    const outer = zipBuffer([{ name: "lib/level1.jar", data: inner }]);
    const { pkgs, warnings } = analyze([{ path: "deep.jar", data: outer }]);
    expect(pkgs.map((p) => p.name)).toEqual(["g:level1", "g:level2", "g:level3", "g:level4"]);
    expect(warnings).toEqual([
      "java-archive: deep.jar: lib/level1.jar!/lib/level2.jar!/lib/level3.jar!/lib/level4.jar: lib/level5.jar: nested more than 4 archives deep; not read",
    ]);
  });
});

describe("java-archive: streaming", () => {
  it("property: any chunking gives the same extract", () => {
    for (const name of ["app.jar", "bundle.ear"]) {
      const whole = extract([jars[name]!]);
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 70_000 }), (seed, max) => {
          expect(extract(chunksOf(jars[name]!, seed, max))).toEqual(whole);
        }),
        { numRuns: 40 },
      );
    }
  });

  it("stops reading at the central directory", () => {
    const c = javaArchiveConsumer();
    const jar = jars["opensaml-core-3.4.6.jar"]!;
    const cd = jar.indexOf(Buffer.from("PK\x01\x02", "latin1"));
    expect(c.write(jar.subarray(0, cd))).toBe(true);
    expect(c.write(jar.subarray(cd, cd + 100))).toBe(false);
    expect(c.end()?.archives[0]?.poms).toHaveLength(1);
  });

  it("many small deflated entries with data descriptors (as `jar` writes classes) stay fast", () => {
    const spec: ZipSpec[] = Array.from({ length: 20_000 }, (_, i) => ({
      name: `com/x/C${i}.class`,
      data: `class ${i} `.repeat(5 + (i % 50)),
      descriptor: true,
    }));
    spec.push({
      name: "META-INF/maven/com.x/x/pom.properties",
      data: pomProperties("com.x", "x", "1"),
      descriptor: true,
    });
    const jar = zipBuffer(spec);
    const t = performance.now();
    const r = extract(chunksOf(jar, 1, 1 << 20));
    // was quadratic (each entry copied the rest of its 1 MiB chunk): tens of seconds
    expect(performance.now() - t).toBeLessThan(5000);
    expect(r?.archives[0]?.poms.map((p) => p.artifactId)).toEqual(["x"]);
  });

  it("a 200 MB fat jar streams through in bounded memory", () => {
    const MiB = 1 << 20;
    const random = randomBytes(MiB);
    const text = Buffer.from(
      Array.from({ length: 40_000 }, (_, i) => `line ${i} ${(i * 31) % 977}\n`).join(""),
    );
    // a deflate stream made of sync-flushed pieces repeated: long, without compressing it all
    const piece = (b: Buffer) => deflateRawSync(b, { finishFlush: constants.Z_SYNC_FLUSH });
    const repeated = (b: Buffer, n: number) => {
      const p = piece(b);
      let crc = 0;
      for (let i = 0; i < n; i++) crc = crc32(b, crc);
      return {
        compressed: () => [...Array.from({ length: n }, () => p), Buffer.from([3, 0])],
        size: b.length * n,
        crc,
      };
    };
    const lib = (i: number): ZipSpec => {
      const entries: ZipSpec[] = [
        {
          name: "META-INF/MANIFEST.MF",
          data: `Manifest-Version: 1.0\nImplementation-Version: ${i}.0\n`,
          descriptor: true,
        },
        {
          name: `META-INF/maven/org.big/lib${i}/pom.properties`,
          data: pomProperties("org.big", `lib${i}`, `${i}.0`),
        },
        { name: "blob.bin", data: () => Array.from({ length: 9 }, () => random), method: 0 },
        { name: "text.txt", raw: repeated(text, 4), descriptor: true },
      ];
      return { name: `BOOT-INF/lib/lib${i}-${i}.0.jar`, data: () => zipChunks(entries), method: 0 };
    };
    const spec: ZipSpec[] = [
      { name: "META-INF/MANIFEST.MF", data: "Manifest-Version: 1.0\nImplementation-Title: big\n" },
      { name: "META-INF/maven/org.big/app/pom.properties", data: pomProperties("org.big", "app", "1.0") },
      { name: "BOOT-INF/classes/random.bin", raw: repeated(random, 40), descriptor: true },
      { name: "BOOT-INF/classes/text.bin", raw: repeated(text, 30), descriptor: true },
      ...Array.from({ length: 16 }, (_, i) => lib(i + 1)),
      // one nested jar deflated, as a war would hold it
      {
        name: "BOOT-INF/lib/deflated-1.0.jar",
        data: zipBuffer([
          {
            name: "META-INF/maven/org.big/deflated/pom.properties",
            data: pomProperties("org.big", "deflated", "1.0"),
          },
          { name: "r.bin", data: random, method: 0 },
        ]),
      },
    ];
    const c = javaArchiveConsumer();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let total = 0;
    let n = 0;
    for (const chunk of zipChunks(spec)) {
      total += chunk.length;
      c.write(chunk);
      if (++n % 16 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const r = c.end()!;
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(total).toBeGreaterThan(200 * 1e6);
    expect(r.warnings).toEqual([]);
    expect(r.archives).toHaveLength(18);
    expect(r.archives.flatMap((a) => a.poms.map((p) => p.artifactId)).sort()).toEqual(
      ["app", "deflated", ...Array.from({ length: 16 }, (_, i) => `lib${i + 1}`)].sort(),
    );
    expect(r.archives[1]!.manifest).toEqual({ "Implementation-Version": "1.0" });
    console.log(
      `200 MB jar: ${(total / 1e6).toFixed(0)} MB fed, rss delta ${((peak - rss0) / MiB).toFixed(1)} MiB`,
    );
    expect(peak - rss0).toBeLessThan(100 * MiB);
  }, 120_000);
});

describe("java-archive: damaged input", () => {
  it("truncated fat jar: a warning and what came before the cut", () => {
    const jar = jars["app.jar"]!;
    const cut = jar.indexOf(Buffer.from("BOOT-INF/lib/opensaml")) + 200; // inside the nested jar
    const { pkgs, warnings } = analyze([{ path: "app.jar", data: jar.subarray(0, cut) }]);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w.startsWith("java-archive: app.jar: "))).toBe(true);
    expect(warnings.some((w) => /truncated/.test(w))).toBe(true);
    expect(pkgs.some((p) => p.name === "com.example:demo")).toBe(true);
  });

  it("a nested entry that is not a zip: a warning, no file-name package for it", () => {
    const outer = zipBuffer([
      { name: "WEB-INF/lib/fake-1.0.jar", data: "not a zip at all" },
      { name: "WEB-INF/lib/real-2.0.jar", data: zipBuffer([{ name: "x", data: "x" }]), method: 0 },
    ]);
    const { pkgs, warnings } = analyze([{ path: "w.war", data: outer }]);
    expect(brief(pkgs)).toEqual(["real@2.0 [WEB-INF/lib/real-2.0.jar]"]);
    expect(warnings).toEqual([
      "java-archive: w.war: WEB-INF/lib/fake-1.0.jar: not a zip archive (no local file header)",
    ]);
  });

  it("never throws on arbitrary bytes, chunked any way", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer(),
        fc.integer({ min: 1, max: 500 }),
        (d, seed, max) => {
          const { pkgs } = analyze([{ path: "x-1.0.jar", data: chunksOf(Buffer.from(d), seed, max) }]);
          for (const p of pkgs) expect(p.version.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws on damaged jars", () => {
    const jar = jars["bundle.ear"]!;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(jar.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 10 }),
        fc.nat(jar.length),
        (edits, cut) => {
          const z = Buffer.from(jar.subarray(0, cut));
          for (const [at, v] of edits) if (at < z.length) z[at] = v;
          analyze([{ path: "bundle.ear", data: z }]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("analyze ignores results it does not recognise", () => {
    const ctx: AnalyzerContext = { file: () => undefined, warn: () => {} };
    const odd = [undefined, null, 3, { archives: "x" }, { archives: [] }] as unknown as JavaArchiveExtract[];
    expect(
      javaArchiveAnalyzer.analyze(
        odd.map((result) => ({ path: "a.jar", mode: 0, size: 1, result })),
        ctx,
      ),
    ).toEqual([]);
  });
});

describe("java-archive: wants()", () => {
  it("archive extensions only, any case, not tiny files", () => {
    for (const p of ["a.jar", "b.WAR", "c.ear", "d.par", "e.jpi", "f.hpi"])
      expect(javaArchiveAnalyzer.wants(p, 100, 0o644)).toBe(true);
    for (const p of ["a.jar.sha1", "a.zip", "jar", "a.rar"])
      expect(javaArchiveAnalyzer.wants(p, 100, 0o644)).toBe(false);
    expect(javaArchiveAnalyzer.wants("a.jar", 21, 0o644)).toBe(false);
  });
});
