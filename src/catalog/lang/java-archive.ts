import type { Location, Package } from "../../model/index.js";
import type { StreamAnalyzer, StreamConsumer } from "../analyzer.js";
import { buildPurl, packageId } from "../purl.js";
import {
  ARCHIVE_EXTENSIONS,
  manifestFields,
  mavenCandidates,
  type PomProperties,
  parseManifest,
  pomFromProperties,
} from "./java-manifest.js";
import { type ZipBudget, type ZipEntrySink, ZipStreamReader } from "./zip-stream.js";

/**
 * Java archives (`.jar .war .ear .par`, Jenkins `.jpi .hpi`) read as zip streams while the layer streams
 * past: only MANIFEST.MF and the pom.properties under META-INF/maven/ are kept, and archives nested inside
 * (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`, an ear's modules — any entry with an archive extension) are
 * parsed recursively as streams of their decompressed bytes, so nothing is held whole in memory.
 *
 * Locations: `Location.path` is the file in the image (the outer archive); for a nested archive the chain
 * of entry names is in `metadata.nestedPath`, joined by `!/` (`BOOT-INF/lib/x.jar`; for a jar in a war
 * in an ear, `shop.war!/WEB-INF/lib/x.jar`). The package id hashes `<outer>!/<nestedPath>`, so the same
 * library in two places of one fat jar gets two ids. `metadata.evidence` says what named the package
 * (pom.properties, manifest, filename); `metadata.pomPath` is the pom.properties entry.
 *
 * Limits, per outer file: nesting depth 4, one million zip entries, and 2 GiB of decoded deflate output in
 * all (only wanted entries, nested archives and data-descriptor entries are decoded; a zip bomb stops
 * with a warning); MANIFEST.MF up to 1 MiB and pom.properties up to 64 KiB.
 */

const MAX_DEPTH = 4;
const MAX_MANIFEST = 1 << 20;
const MAX_POM = 64 << 10;
const MAX_WARNINGS = 20;

export interface ArchiveRecord {
  /** entry names from the outer file down to this archive; empty for the outer file */
  nested: string[];
  manifest?: Record<string, string>;
  poms: PomProperties[];
}

export interface JavaArchiveExtract {
  archives: ArchiveRecord[];
  warnings: string[];
}

const isArchiveName = (name: string): boolean => {
  const tail = name.slice(-4).toLowerCase();
  return ARCHIVE_EXTENSIONS.includes(tail);
};

const isPomProperties = (name: string): boolean =>
  name.startsWith("META-INF/maven/") && name.endsWith("/pom.properties");

/** Collects an entry's bytes up to `max`, then hands them over once complete. */
function bufferSink(max: number, done: (content: Buffer) => void, tooBig: () => void): ZipEntrySink {
  const parts: Buffer[] = [];
  let size = 0;
  return {
    data(chunk) {
      size += chunk.length;
      if (size > max) {
        tooBig();
        return false;
      }
      parts.push(Buffer.from(chunk));
      return true;
    },
    end(complete) {
      if (complete && size <= max) done(Buffer.concat(parts));
    },
  };
}

/** Streams one outer archive; nested archives get their own reader fed from the entry's bytes. */
export function javaArchiveConsumer(): StreamConsumer<JavaArchiveExtract> {
  const archives: ArchiveRecord[] = [];
  const warnings: string[] = [];
  let dropped = 0;
  const budget: ZipBudget = { entries: 0, inflated: 0, maxEntries: 1_000_000, maxInflated: 2 ** 31 };
  const warn = (nested: string[], msg: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push(nested.length ? `${nested.join("!/")}: ${msg}` : msg);
    else dropped++;
  };

  const readers: ZipStreamReader[] = [];
  const open = (nested: string[]): ZipStreamReader => {
    const record: ArchiveRecord = { nested, poms: [] };
    archives.push(record);
    const reader = new ZipStreamReader({
      budget,
      warn: (m) => warn(nested, m),
      onEntry(e) {
        const name = e.name;
        if (name.toUpperCase() === "META-INF/MANIFEST.MF") {
          return bufferSink(
            MAX_MANIFEST,
            (b) => {
              record.manifest = manifestFields(parseManifest(b.toString("utf8")));
            },
            () => warn(nested, `${name} is over ${MAX_MANIFEST} bytes; ignored`),
          );
        }
        if (isPomProperties(name)) {
          return bufferSink(
            MAX_POM,
            (b) => {
              const pom = pomFromProperties(name, b.toString("utf8"));
              if (pom) record.poms.push(pom);
              else warn(nested, `${name}: no groupId/artifactId/version; ignored`);
            },
            () => warn(nested, `${name} is over ${MAX_POM} bytes; ignored`),
          );
        }
        if (!isArchiveName(name)) return undefined;
        if (nested.length >= MAX_DEPTH) {
          warn(nested, `${name}: nested more than ${MAX_DEPTH} archives deep; not read`);
          return undefined;
        }
        const child = open([...nested, name]);
        return {
          data: (chunk) => child.write(chunk),
          end: () => child.end(),
        };
      },
    });
    readers.push(reader);
    return reader;
  };

  const outer = open([]);
  return {
    write: (chunk) => outer.write(chunk),
    end() {
      outer.end();
      if (dropped) warnings.push(`… ${dropped} more warnings`);
      if (outer.entries === 0 && warnings.length === 0) return undefined;
      // an entry that is not a zip after all (its reader warned) must not yield a file-name package
      return { archives: archives.filter((_, i) => readers[i]!.entries > 0), warnings };
    },
  };
}

const last = (a: ArchiveRecord): string => a.nested[a.nested.length - 1] ?? "";
const baseName = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

export const javaArchiveAnalyzer: StreamAnalyzer<JavaArchiveExtract> = {
  name: "java-archive",
  version: 1,
  wants(path, size) {
    // the smallest zip (an empty one) is 22 bytes
    return size >= 22 && isArchiveName(path);
  },
  consume: () => javaArchiveConsumer(),
  analyze(files, ctx) {
    const out = new Map<string, Package>();
    for (const f of files) {
      const r = f.result;
      if (!r || !Array.isArray(r.archives)) continue;
      for (const w of r.warnings ?? []) ctx.warn(`java-archive: ${f.path}: ${w}`);
      const location: Location = f.layer ? { path: f.path, layer: f.layer } : { path: f.path };
      for (const a of r.archives) {
        const fileName = baseName(a.nested.length ? last(a) : f.path);
        const nestedPath = a.nested.join("!/");
        for (const c of mavenCandidates({ fileName, manifest: a.manifest, poms: a.poms })) {
          const name = c.groupId ? `${c.groupId}:${c.artifactId}` : c.artifactId;
          const purl = buildPurl({
            type: "maven",
            namespace: c.groupId,
            name: c.artifactId,
            version: c.version,
          });
          const where = nestedPath ? `${f.path}!/${nestedPath}` : f.path;
          const key = `${purl}\0${where}`;
          if (out.has(key)) continue;
          const metadata: Record<string, string> = { evidence: c.evidence };
          if (nestedPath) metadata.nestedPath = nestedPath;
          if (c.pomPath) metadata.pomPath = c.pomPath;
          out.set(key, {
            id: packageId(purl, { path: where }),
            ecosystem: "Maven",
            name,
            version: c.version,
            purl,
            type: "maven",
            locations: [{ ...location }],
            licenses: c.licenses,
            metadata,
          });
        }
      }
    }
    return [...out.values()];
  },
};
