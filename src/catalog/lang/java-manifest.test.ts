import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  bundleLicenses,
  manifestFields,
  mavenCandidates,
  parseManifest,
  parseProperties,
  pomFromProperties,
  splitFileName,
} from "./java-manifest.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures/java/jar-metadata");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const files = walk(FIX);
const manifests = files.filter((f) => f.endsWith("MANIFEST.MF"));
const props = files.filter((f) => f.endsWith("pom.properties"));

/**
 * The JDK as oracle: java.util.jar.Manifest and java.util.Properties parse the same files. One line per
 * attribute: kind, section, key, value (tabs, newlines and backslashes escaped).
 */
const DUMP = `
import java.io.*; import java.nio.file.*; import java.util.*; import java.util.jar.*;
public class Dump {
  static String e(String s) { return s.replace("\\\\", "\\\\\\\\").replace("\\t", "\\\\t").replace("\\n", "\\\\n").replace("\\r", "\\\\r"); }
  public static void main(String[] a) throws Exception {
    for (String f : a) {
      System.out.println("F\\t" + e(f));
      try (InputStream in = new FileInputStream(f)) {
        if (f.endsWith(".MF")) {
          Manifest m = new Manifest(in);
          for (Map.Entry<Object, Object> x : m.getMainAttributes().entrySet())
            System.out.println("A\\t\\t" + e(x.getKey().toString().toLowerCase()) + "\\t" + e(x.getValue().toString()));
          for (Map.Entry<String, Attributes> s : m.getEntries().entrySet())
            for (Map.Entry<Object, Object> x : s.getValue().entrySet())
              System.out.println("A\\t" + e(s.getKey()) + "\\t" + e(x.getKey().toString().toLowerCase()) + "\\t" + e(x.getValue().toString()));
        } else {
          Properties p = new Properties(); p.load(in);
          for (String k : new TreeSet<>(p.stringPropertyNames())) System.out.println("A\\t\\t" + e(k) + "\\t" + e(p.getProperty(k)));
        }
      }
    }
  }
}`;

const tmp = mkdtempSync(join(tmpdir(), "java-manifest-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** file → sorted "section\tkey\tvalue" lines, as the JDK reads it */
function jdk(paths: string[]): Map<string, string[]> {
  writeFileSync(join(tmp, "Dump.java"), DUMP);
  const out = execFileSync("java", [join(tmp, "Dump.java"), ...paths], { encoding: "utf8" });
  const res = new Map<string, string[]>();
  let cur: string[] = [];
  for (const line of out.split("\n")) {
    if (line.startsWith("F\t")) {
      cur = [];
      res.set(line.slice(2), cur);
    } else if (line.startsWith("A\t")) cur.push(line.slice(2));
  }
  for (const v of res.values()) v.sort();
  return res;
}

const esc = (s: string) =>
  s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

function ours(path: string, text: string): string[] {
  const lines: string[] = [];
  if (path.endsWith(".MF")) {
    const m = parseManifest(text);
    for (const [k, v] of m.main) lines.push(`\t${esc(k)}\t${esc(v)}`);
    for (const s of m.sections)
      for (const [k, v] of s)
        if (k !== "name") lines.push(`${esc(s.get("name") ?? "")}\t${esc(k)}\t${esc(v)}`);
  } else for (const [k, v] of parseProperties(text)) lines.push(`\t${esc(k)}\t${esc(v)}`);
  return lines.sort();
}

describe("MANIFEST.MF and pom.properties parsing agree with the JDK", () => {
  it("syft's jar-metadata fixtures, plus edge-case texts", () => {
    // the JDK drops a last line without a line end; we keep it (shown below), so compare terminated text
    const extra: [string, string][] = [
      [
        "cont.MF",
        "Manifest-Version: 1.0\nImplementation-Title: long-\n name-continued\n  with-space\r\nX: a:b: c\n\nName: a/b/\nImplementation-Version: 9\n\n",
      ],
      ["cr.MF", "Manifest-Version: 1.0\rBundle-Version: 2.0\r\r"],
      [
        "escapes.properties",
        "# c\n! c2\nkey\\ one = v\\u00e9\\tx\\\n    continued\nversion:1.0\n  artifactId   demo \n\\#k=v\nempty=\n",
      ],
    ];
    const inputs = [...manifests, ...props].map((p) => {
      const t = readFileSync(p, "latin1");
      if (/[\r\n]$/.test(t)) return p;
      const copy = join(tmp, relative(FIX, p).replace(/\//g, "_"));
      writeFileSync(copy, `${t}\n`);
      return copy;
    });
    for (const [n, t] of extra) {
      writeFileSync(join(tmp, n), t);
      inputs.push(join(tmp, n));
    }
    const oracle = jdk(inputs);
    expect(oracle.size).toBe(inputs.length);
    for (const p of inputs) expect(ours(p, readFileSync(p, "latin1")), p).toEqual(oracle.get(p));
  });

  it("keeps a last line that has no line end (the JDK would drop it)", () => {
    const m = parseManifest(readFileSync(join(FIX, "api-all-2.0.0-sources/META-INF/MANIFEST.MF"), "utf8"));
    expect(m.main.get("build-jdk")).toBe("1.8.0_191");
  });

  it("selected fields: main section first, then the first per-entry section that has them", () => {
    const m = parseManifest(readFileSync(join(FIX, "opensaml-core-3.4.6/META-INF/MANIFEST.MF"), "utf8"));
    expect(manifestFields(m)).toEqual({
      "Automatic-Module-Name": "org.opensaml.core",
      "Implementation-Title": "opensaml-core",
      "Implementation-Vendor": "opensaml.org",
      "Implementation-Version": "3.4.6",
    });
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (s) => {
        manifestFields(parseManifest(s));
        parseProperties(s);
        pomFromProperties("META-INF/maven/g/a/pom.properties", s);
        bundleLicenses(s);
        splitFileName(s);
      }),
      { numRuns: 500 },
    );
  });

  it("a line of backslashes is parsed in linear time", () => {
    const t = performance.now();
    parseProperties(`${"\\".repeat(200_000)}\n`);
    expect(performance.now() - t).toBeLessThan(500);
  });
});

describe("pom.properties coordinates", () => {
  it("fixture files", () => {
    const p = "META-INF/maven/org.opensaml/opensaml-core/pom.properties";
    expect(pomFromProperties(p, readFileSync(join(FIX, "opensaml-core-3.4.6", p), "utf8"))).toEqual({
      path: p,
      groupId: "org.opensaml",
      artifactId: "opensaml-core",
      version: "3.4.6",
    });
  });
  it("path fills a missing groupId/artifactId; no version or an unresolved one → nothing", () => {
    expect(pomFromProperties("META-INF/maven/com.x/y/pom.properties", "version=1\n")).toMatchObject({
      groupId: "com.x",
      artifactId: "y",
    });
    expect(
      pomFromProperties("META-INF/maven/com.x/y/pom.properties", "groupId=a\nartifactId=b\n"),
    ).toBeUndefined();
    expect(
      pomFromProperties("META-INF/maven/com.x/y/pom.properties", "version=$" + "{project.version}\n"),
    ).toBeUndefined();
  });
});

describe("file names and licences", () => {
  it.each([
    ["commons-lang3-3.12.0.jar", "commons-lang3", "3.12.0"],
    ["guava-32.1.2-jre.jar", "guava", "32.1.2-jre"],
    ["kotlin-stdlib-jdk8-1.9.0.jar", "kotlin-stdlib-jdk8", "1.9.0"],
    ["bcprov-jdk18on-1.78.JAR", "bcprov-jdk18on", "1.78"],
    ["app.jar", "app", undefined],
    ["gradle.hpi", "gradle", undefined],
    ["1.0.jar", "1.0", undefined],
  ])("%s", (name, artifact, version) => {
    const r = splitFileName(name);
    expect([r.artifact, r.version]).toEqual([artifact, version]);
  });
  it("Bundle-License: names or URLs, attributes dropped, <<EXTERNAL>> ignored", () => {
    expect(bundleLicenses('"Apache-2.0";link="https://www.apache.org/licenses/LICENSE-2.0", MIT')).toEqual([
      "Apache-2.0",
      "MIT",
    ]);
    expect(bundleLicenses("https://www.apache.org/licenses/LICENSE-2.0.txt")).toEqual([
      "https://www.apache.org/licenses/LICENSE-2.0.txt",
    ]);
    expect(bundleLicenses("<<EXTERNAL>>")).toEqual([]);
  });
});

/** Candidates for a fixture directory, as if it were a jar named `fileName`. */
function candidates(dir: string, fileName = `${dir.split("/").pop()}.jar`) {
  const root = join(FIX, dir);
  const mf = join(root, "META-INF/MANIFEST.MF");
  const manifest = manifestFields(parseManifest(readFileSync(mf, "utf8")));
  const poms = walk(root)
    .filter((f) => f.endsWith("pom.properties"))
    .map((f) => pomFromProperties(relative(root, f), readFileSync(f, "utf8"))!);
  return mavenCandidates({ fileName, manifest, poms }).map((c) => [
    c.groupId ? `${c.groupId}:${c.artifactId}` : c.artifactId,
    c.version,
    c.evidence,
    c.licenses.join(","),
  ]);
}

describe("which packages an archive yields", () => {
  it("its own pom.properties, plus the others it carries", () => {
    expect(candidates("opensaml-core-3.4.6")).toEqual([
      ["org.opensaml:opensaml-core", "3.4.6", "pom.properties", ""],
    ]);
    expect(candidates("api-all-2.0.0-sources").sort()).toEqual([
      ["org.apache.directory.api:api-all", "2.0.0", "pom.properties", ""],
      ["org.apache.directory.api:api-asn1-api", "2.0.0", "pom.properties", ""],
    ]);
  });
  it("no pom.properties of its own: one more package from the manifest / file name, without a guessed group", () => {
    expect(candidates("multiple-matching-2.11.5").map((c) => c[0])).toEqual([
      "org.multiple:multiple-matching-1",
      "org.multiple:multiple-matching-2",
      "org.multiple:multiple-matching-3",
      "multiple-matching",
    ]);
    // no version in the name or the manifest: only the pom.properties
    expect(
      candidates("org.multiple-thename")
        .map((c) => c[0])
        .sort(),
    ).toEqual(["com.multiple:thename", "org.multiple:thename"]);
  });
  it("manifest only: the group is taken when Bundle-SymbolicName confirms Implementation-Vendor-Id", () => {
    const jackson = [
      "com.fasterxml.jackson.core:jackson-core",
      "2.15.2",
      "manifest",
      "https://www.apache.org/licenses/LICENSE-2.0.txt",
    ];
    expect(candidates("jackson-core-2.15.2")).toEqual([jackson]);
    // sbt names lib/ jars groupId.artifactId-version.jar
    expect(candidates("com.fasterxml.jackson.core.jackson-core-2.15.2")).toEqual([jackson]);
    expect(candidates("micronaut-aop-4.9.11")).toEqual([["micronaut-aop", "4.9.11", "manifest", ""]]);
    expect(candidates("commons-lang3-3.12.0")).toEqual([["commons-lang3", "3.12.0", "filename", ""]]);
    expect(candidates("spring-instrumentation-4.3.0-1.0")).toEqual([
      ["spring-instrumentation", "1.0", "manifest", ""],
    ]);
  });
  it("Jenkins plugins: Group-Id, Short-Name, Plugin-Version", () => {
    expect(candidates("jenkins-plugins/gradle/2.11", "gradle.hpi")).toEqual([
      ["org.jenkins-ci.plugins:gradle", "2.11", "manifest", ""],
    ]);
  });
  it("an unversioned name with a manifest: an identifier-like title, never a product name with spaces", () => {
    const c = (manifest: Record<string, string>) =>
      mavenCandidates({ fileName: "app.jar", manifest, poms: [] });
    expect(c({ "Implementation-Title": "my-service", "Implementation-Version": "1.2" })[0]).toMatchObject({
      artifactId: "my-service",
    });
    expect(
      c({ "Implementation-Title": "Apache Tomcat", "Implementation-Version": "9.0.80" })[0],
    ).toMatchObject({ artifactId: "app" });
    expect(c({ "Specification-Version": "4.0" })[0]).toMatchObject({ artifactId: "app", version: "4.0" });
    expect(c({})).toEqual([]);
  });
  it("a single pom.properties in a renamed jar is the jar's own (app.jar of a Spring Boot build)", () => {
    const poms = [
      {
        path: "META-INF/maven/com.example/demo/pom.properties",
        groupId: "com.example",
        artifactId: "demo",
        version: "0.0.1-SNAPSHOT",
      },
    ];
    const manifest = {
      "Implementation-Title": "demo",
      "Implementation-Version": "0.0.1-SNAPSHOT",
      "Bundle-License": "MIT",
    };
    expect(mavenCandidates({ fileName: "app.jar", manifest, poms })).toEqual([
      {
        groupId: "com.example",
        artifactId: "demo",
        version: "0.0.1-SNAPSHOT",
        licenses: ["MIT"],
        evidence: "pom.properties",
        pomPath: poms[0]!.path,
      },
    ]);
  });
});
