/**
 * What a Java archive says about itself: `META-INF/MANIFEST.MF` (JAR File Specification, "Manifest
 * Specification"), `META-INF/maven/<groupId>/<artifactId>/pom.properties` (java.util.Properties format,
 * written by Maven's archiver), and its file name. `mavenCandidates` turns those into Maven coordinates.
 *
 * The decision, per archive (outer or nested):
 * 1. every pom.properties is a package `groupId:artifactId@version` (a shaded jar carries several);
 * 2. if none of them is the archive's own — artifactId equal to the file name's artifact part (or
 *    `groupId.artifactId`, sbt's lib/ naming), to the manifest's Implementation-Title, Bundle-SymbolicName
 *    or Jenkins Short-Name, or the only pom.properties present whose version does not contradict the
 *    file name — one more package comes from the manifest and the file name:
 *    - name: Jenkins Short-Name; else the artifact part of `name-1.2.3.jar`; else Implementation-Title
 *      when it is an identifier (titles like "Apache Commons Lang" are product names, not artifactIds);
 *      else Bundle-SymbolicName; else the file name without extension;
 *    - version: Plugin-Version (Jenkins); Implementation-Version; Bundle-Version; the file name's; and
 *      last Specification-Version (it versions the API spec, often not the implementation);
 *    - groupId only when confident: Jenkins `Group-Id`, or an Implementation-Vendor-Id (older Maven
 *      archivers wrote the groupId there) that Bundle-SymbolicName confirms as `<vendorId>.<artifact>`.
 *      Otherwise the package has no group (purl without namespace) rather than a guessed one;
 *    - no version anywhere → no package.
 * Licences come from `Bundle-License` and go to the archive's own package(s) only, not to the
 * pom.properties of shaded dependencies.
 */

export type Attributes = Map<string, string>;

export interface Manifest {
  /** main section; keys lower-cased (attribute names are case-insensitive) */
  main: Attributes;
  /** per-entry sections (`Name: …`) in order */
  sections: Attributes[];
}

/** Parse MANIFEST.MF text. Lines end in CRLF, LF or CR; a line starting with one space continues the last. */
export function parseManifest(text: string): Manifest {
  const main: Attributes = new Map();
  const sections: Attributes[] = [];
  let cur = main;
  let started = false;
  let lastKey: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (started) {
        cur = new Map();
        started = false;
      }
      lastKey = undefined;
      continue;
    }
    if (line[0] === " ") {
      if (lastKey !== undefined) cur.set(lastKey, cur.get(lastKey)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      lastKey = undefined;
      continue;
    }
    if (!started && cur !== main) sections.push(cur);
    started = true;
    lastKey = line.slice(0, colon).toLowerCase();
    cur.set(lastKey, line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1));
  }
  return { main, sections };
}

/** The attributes packages are built from, with their canonical spelling. */
export const MANIFEST_FIELDS = [
  "Implementation-Title",
  "Implementation-Version",
  "Implementation-Vendor",
  "Implementation-Vendor-Id",
  "Specification-Title",
  "Specification-Version",
  "Specification-Vendor",
  "Bundle-SymbolicName",
  "Bundle-Version",
  "Bundle-Name",
  "Bundle-License",
  "Automatic-Module-Name",
  "Short-Name",
  "Plugin-Version",
  "Group-Id",
  "Start-Class",
] as const;

/** Selected attributes: the main section's value, else the first per-entry section stating it. */
export function manifestFields(m: Manifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of MANIFEST_FIELDS) {
    const k = f.toLowerCase();
    const v = m.main.get(k) ?? m.sections.find((s) => s.has(k))?.get(k);
    if (v !== undefined && v.trim() !== "") out[f] = v.trim();
  }
  return out;
}

/** java.util.Properties text format: `key=value`, `key: value` or `key value`; # and ! comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, "");
    if (line === "" || line[0] === "#" || line[0] === "!") continue;
    // an odd number of trailing backslashes joins the next line (its leading blanks dropped)
    while (oddTrailingBackslashes(line) && i + 1 < lines.length)
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, "");
    let k = 0;
    while (k < line.length && !"=: \t\f".includes(line[k]!)) k += line[k] === "\\" ? 2 : 1;
    let v = k;
    while (v < line.length && " \t\f".includes(line[v]!)) v++;
    if (v < line.length && (line[v] === "=" || line[v] === ":")) v++;
    while (v < line.length && " \t\f".includes(line[v]!)) v++;
    out.set(unescapeProperty(line.slice(0, k)), unescapeProperty(line.slice(v)));
  }
  return out;
}

function oddTrailingBackslashes(line: string): boolean {
  let n = 0;
  while (n < line.length && line[line.length - 1 - n] === "\\") n++;
  return n % 2 === 1;
}

const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", f: "\f" };

function unescapeProperty(s: string): string {
  if (!s.includes("\\")) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|.?)/g, (_, c: string) =>
    c.length === 5 ? String.fromCharCode(Number.parseInt(c.slice(1), 16)) : (ESCAPES[c] ?? c),
  );
}

export interface PomProperties {
  /** entry path inside the archive */
  path: string;
  groupId: string;
  artifactId: string;
  version: string;
}

const TOKEN = /^[^\s${}]+$/;

/**
 * Coordinates from a `META-INF/maven/<g>/<a>/pom.properties` entry; the path stands in for a missing
 * groupId/artifactId (Maven's archiver writes both from the same coordinates). No version → undefined.
 */
export function pomFromProperties(path: string, text: string): PomProperties | undefined {
  const p = parseProperties(text);
  const segs = path.split("/");
  const groupId = (p.get("groupId") ?? segs[segs.length - 3] ?? "").trim();
  const artifactId = (p.get("artifactId") ?? segs[segs.length - 2] ?? "").trim();
  const version = (p.get("version") ?? "").trim();
  if (![groupId, artifactId, version].every((s) => TOKEN.test(s))) return undefined;
  return { path, groupId, artifactId, version };
}

export const ARCHIVE_EXTENSIONS = [".jar", ".war", ".ear", ".par", ".jpi", ".hpi"];

/** `name-1.2.3.jar` → artifact `name`, version `1.2.3` (split at the first `-` followed by a digit). */
export function splitFileName(fileName: string): { base: string; artifact: string; version?: string } {
  const lower = fileName.toLowerCase();
  const ext = ARCHIVE_EXTENSIONS.find((e) => lower.endsWith(e));
  const base = ext ? fileName.slice(0, -ext.length) : fileName;
  for (let k = 1; k < base.length - 1; k++) {
    if (base[k] !== "-" || !(base[k + 1]! >= "0" && base[k + 1]! <= "9")) continue;
    const version = base.slice(k + 1);
    if (/^[0-9][0-9A-Za-z._+~-]*$/.test(version)) return { base, artifact: base.slice(0, k), version };
    break;
  }
  return { base, artifact: base };
}

/** `Bundle-License` (OSGi): comma-separated licences, each a name or URL with optional `;attributes`. */
export function bundleLicenses(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const part of value.match(/(?:"[^"]*"|[^,])+/g) ?? []) {
    const name = (part.split(";")[0] ?? "").trim().replace(/^"|"$/g, "").trim();
    if (name && name !== "<<EXTERNAL>>" && !out.includes(name)) out.push(name);
  }
  return out;
}

export interface ArchiveFacts {
  /** the archive's own file name (last path segment) */
  fileName: string;
  manifest?: Record<string, string>;
  poms: PomProperties[];
}

export interface MavenCandidate {
  groupId?: string;
  artifactId: string;
  version: string;
  licenses: string[];
  evidence: "pom.properties" | "manifest" | "filename";
  /** the pom.properties entry, for evidence "pom.properties" */
  pomPath?: string;
}

const IDENT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const PACKAGE_LIKE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;

const symbolicName = (m: Record<string, string>) =>
  m["Bundle-SymbolicName"]?.split(";")[0]?.trim() || undefined;

function isOwnPom(p: PomProperties, facts: ArchiveFacts, file: ReturnType<typeof splitFileName>): boolean {
  const m = facts.manifest ?? {};
  const ga = `${p.groupId}.${p.artifactId}`;
  const names = [file.artifact, file.base, m["Implementation-Title"], symbolicName(m), m["Short-Name"]];
  if (names.some((n) => n === p.artifactId || n === ga)) return true;
  return facts.poms.length === 1 && (file.version === undefined || file.version === p.version);
}

export function mavenCandidates(facts: ArchiveFacts): MavenCandidate[] {
  const m = facts.manifest ?? {};
  const file = splitFileName(facts.fileName);
  const licenses = bundleLicenses(m["Bundle-License"]);
  const out: MavenCandidate[] = [];
  let own = false;
  for (const p of facts.poms) {
    const mine = isOwnPom(p, facts, file);
    own ||= mine;
    out.push({
      groupId: p.groupId,
      artifactId: p.artifactId,
      version: p.version,
      licenses: mine ? licenses : [],
      evidence: "pom.properties",
      pomPath: p.path,
    });
  }
  if (own) return out;
  const fallback = fromManifest(m, file);
  if (
    fallback &&
    !out.some(
      (c) =>
        c.groupId === fallback.groupId &&
        c.artifactId === fallback.artifactId &&
        c.version === fallback.version,
    )
  )
    out.push({ ...fallback, licenses });
  return out;
}

function fromManifest(
  m: Record<string, string>,
  file: ReturnType<typeof splitFileName>,
): Omit<MavenCandidate, "licenses"> | undefined {
  const valid = (s: string | undefined) => (s && IDENT.test(s) ? s : undefined);
  if (valid(m["Short-Name"]) && valid(m["Plugin-Version"])) {
    const g = m["Group-Id"];
    return {
      ...(g && PACKAGE_LIKE.test(g) ? { groupId: g } : {}),
      artifactId: m["Short-Name"]!,
      version: m["Plugin-Version"]!,
      evidence: "manifest",
    };
  }
  const bsn = valid(symbolicName(m));
  const fromManifestVersion = valid(m["Implementation-Version"]) ?? valid(m["Bundle-Version"]);
  const version = fromManifestVersion ?? valid(file.version) ?? valid(m["Specification-Version"]);
  let name = file.version ? file.artifact : (valid(m["Implementation-Title"]) ?? bsn ?? file.base);
  if (!version || !valid(name)) return undefined;
  let groupId: string | undefined;
  const vid = m["Implementation-Vendor-Id"];
  if (bsn && vid && PACKAGE_LIKE.test(vid) && bsn.startsWith(`${vid}.`)) {
    const rest = bsn.slice(vid.length + 1);
    if (name === rest || name === bsn) {
      groupId = vid;
      name = rest;
    }
  }
  const evidence = fromManifestVersion || version !== file.version ? "manifest" : "filename";
  return { ...(groupId ? { groupId } : {}), artifactId: name, version, evidence };
}
