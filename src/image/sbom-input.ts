/**
 * `sbom:PATH` targets: read an existing CycloneDX (JSON 1.2–1.6) or SPDX (2.2/2.3 JSON, 3.0 JSON-LD)
 * document into an Inventory, so `airbag scan` matches it like a cataloged image. Packages are identified by
 * their purl; Airbag's own `airbag:*` properties (and Syft's / Trivy's where they carry the same facts) are
 * read back so an SBOM written by `airbag sbom` scans exactly like the image it came from.
 */
import { readFile, stat } from "node:fs/promises";
import { AirbagError, type Inventory, inputError, type Location, type OsInfo } from "../model/index.js";
import { clip, normaliseFamily, osInfoFor } from "./purl-parse.js";
import {
  Collector,
  Fields,
  inventoryOf,
  isDigest,
  isObject,
  type Json,
  location,
  metadataValue,
  noLicense,
  type RawPackage,
  splitAnd,
} from "./sbom-common.js";
import { readSpdx2, readSpdx3 } from "./sbom-spdx.js";

/** Larger than any real SBOM; protects against reading a disk image by mistake. */
const MAX_BYTES = 512 * 1024 * 1024;
/** Component nesting (assemblies) in real documents is a few levels; a deeper one is hostile. */
const MAX_DEPTH = 64;

export async function readSbom(path: string): Promise<Inventory> {
  let buf: Buffer;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw inputError(`${path}: not a file (sbom: needs a CycloneDX or SPDX JSON file)`);
    if (st.size > MAX_BYTES) throw inputError(`${path}: ${st.size} bytes is too large for an SBOM document`);
    buf = await readFile(path);
  } catch (err) {
    if (err instanceof AirbagError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw inputError(`${path}: cannot read SBOM (${e.code ?? clip(String(e.message))})`, err);
  }
  return parseSbom(buf.toString("utf8"), path);
}

/** Parse SBOM text; `file` names the document in errors and warnings. Throws only AirbagError. */
export function parseSbom(text: string, file: string): Inventory {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw inputError(`${file}: not valid JSON (${clip((err as Error).message, 160)})`, err);
  }
  const f = new Fields(file);
  if (!isObject(doc))
    throw inputError(`${file}: not a CycloneDX or SPDX JSON document (the top level is not an object)`);
  try {
    if ("bomFormat" in doc) return readCycloneDx(doc, f);
    if ("spdxVersion" in doc) return readSpdx2(doc, f);
    if ("@graph" in doc || /spdx/i.test(String(doc["@context"] ?? ""))) return readSpdx3(doc, f);
  } catch (err) {
    if (err instanceof AirbagError) throw err;
    // a reader bug must still surface as one line naming the file, not a stack
    throw new AirbagError("INTERNAL", `${file}: cannot read SBOM (${clip(String(err), 160)})`, {
      cause: err,
    });
  }
  throw inputError(
    `${file}: not a CycloneDX or SPDX JSON document (no "bomFormat", "spdxVersion" or SPDX 3 "@graph" field)`,
  );
}

// ---------------------------------------------------------------------------------------------
// CycloneDX
// ---------------------------------------------------------------------------------------------

type Props = Map<string, string[]>;

function properties(f: Fields, c: Json, where: string): Props {
  const out: Props = new Map();
  f.arr(c, "properties", where).forEach((p, i) => {
    const o = f.obj(p, `${where}.properties[${i}]`);
    const name = f.str(o, "name", `${where}.properties[${i}]`);
    const value = f.str(o, "value", `${where}.properties[${i}]`);
    if (name === undefined || value === undefined) return;
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  });
  return out;
}

const one = (p: Props, name: string): string | undefined => p.get(name)?.[0];

function cdxLicenses(f: Fields, c: Json, where: string): string[] {
  const out: string[] = [];
  f.arr(c, "licenses", where).forEach((entry, i) => {
    const w = `${where}.licenses[${i}]`;
    const e = f.obj(entry, w);
    const expr = f.str(e, "expression", w);
    if (expr !== undefined && !noLicense(expr)) out.push(...splitAnd(expr));
    const lic = f.optObj(e, "license", w);
    if (!lic) return;
    const text = f.str(lic, "id", `${w}.license`) ?? f.str(lic, "name", `${w}.license`);
    const lexpr = f.str(lic, "expression", `${w}.license`);
    if (text !== undefined && !noLicense(text)) out.push(text.trim());
    else if (lexpr !== undefined && !noLicense(lexpr)) out.push(...splitAnd(lexpr));
  });
  return out;
}

/** Where the package was found: Airbag, Syft and Trivy properties, CycloneDX 1.5 evidence. */
function cdxLocations(f: Fields, c: Json, props: Props, where: string): Location[] {
  const out: Location[] = [];
  const push = (l: Location | undefined) => l && out.push(l);
  // indexed forms: airbag:location:0:path, syft:location:0:path / :layerID
  const indexed = new Map<string, { path?: string; layer?: string }>();
  for (const [name, values] of props) {
    const m = /^(airbag|syft):location:(\d+):(path|layer|layerID)$/.exec(name);
    if (!m) continue;
    const key = `${m[1]}:${m[2]!.padStart(6, "0")}`;
    const e = indexed.get(key) ?? {};
    if (m[3] === "path") e.path = values[0];
    else e.layer = values[0];
    indexed.set(key, e);
  }
  for (const [, e] of [...indexed].sort(([a], [b]) => (a < b ? -1 : 1))) push(location(e.path, e.layer));
  // Airbag's pairs: airbag:location:path + airbag:location:layer, once per place. A sorted document
  // cannot pair several paths with several different layers again, so those keep their paths only.
  const paths = props.get("airbag:location:path") ?? [];
  const layers = props.get("airbag:location:layer") ?? [];
  const sameLayer = new Set(layers).size === 1 && layers.length === paths.length;
  for (const [i, p] of paths.entries())
    push(location(p, paths.length === 1 || sameLayer ? layers[i] : undefined));
  // Trivy: FilePath for language packages, the layer for all
  const trivyPath = one(props, "aquasecurity:trivy:FilePath");
  push(location(trivyPath, one(props, "aquasecurity:trivy:LayerDiffID")));
  const evidence = f.optObj(c, "evidence", where);
  if (evidence)
    f.arr(evidence, "occurrences", `${where}.evidence`).forEach((o, i) => {
      const w = `${where}.evidence.occurrences[${i}]`;
      push(location(f.str(f.obj(o, w), "location", w)));
    });
  return out;
}

function cdxSource(props: Props): { name: string; version?: string } | undefined {
  const airbag = one(props, "airbag:source:name");
  if (airbag) {
    const v = one(props, "airbag:source:version");
    return v ? { name: airbag, version: v } : { name: airbag };
  }
  const trivy = one(props, "aquasecurity:trivy:SrcName");
  if (trivy) {
    const epoch = one(props, "aquasecurity:trivy:SrcEpoch");
    const ver = one(props, "aquasecurity:trivy:SrcVersion");
    const rel = one(props, "aquasecurity:trivy:SrcRelease");
    const v = ver ? `${epoch && epoch !== "0" ? `${epoch}:` : ""}${ver}${rel ? `-${rel}` : ""}` : undefined;
    return v ? { name: trivy, version: v } : { name: trivy };
  }
  const syft = one(props, "syft:metadata:source");
  if (syft) {
    const v = one(props, "syft:metadata:sourceVersion");
    return v ? { name: syft, version: v } : { name: syft };
  }
  return undefined;
}

// Component types that are never packages of the target.
const NOT_PACKAGES = new Set(["operating-system", "container", "file", "data", "machine-learning-model"]);

function readCycloneDx(doc: Json, f: Fields): Inventory {
  const format = doc.bomFormat;
  if (format !== "CycloneDX")
    f.fail("bomFormat", `${clip(JSON.stringify(format) ?? "")}: expected "CycloneDX"`);
  const spec = f.str(doc, "specVersion", "") ?? "";
  if (!/^1\.\d+$/.test(spec))
    f.fail(
      "specVersion",
      `${clip(JSON.stringify(doc.specVersion) ?? "missing")}: not a CycloneDX 1.x version`,
    );
  const c = new Collector(f.file);
  const meta = f.optObj(doc, "metadata", "");
  const root = meta ? f.optObj(meta, "component", "metadata") : undefined;
  const oses: OsInfo[] = [];
  const visit = (list: unknown[], prefix: string, depth = 0): void =>
    list.forEach((entry, i) => {
      const where = `${prefix}[${i}]`;
      const comp = f.obj(entry, where);
      const props = properties(f, comp, where);
      const type = f.str(comp, "type", where);
      const name = f.str(comp, "name", where);
      const version = f.str(comp, "version", where);
      const purl = f.str(comp, "purl", where);
      if (type === "operating-system") {
        const os = cdxOs(name, version, comp, props, f, where);
        if (os) oses.push(os);
      } else if (NOT_PACKAGES.has(type ?? "")) {
        // the image, its files: not packages
      } else if (purl || type === undefined || type === "library" || type === "framework") {
        c.add(cdxPackage(f, comp, props, where, { name, version, purl }));
      } // applications, devices, firmware without a purl describe the document's structure

      const nested = f.arr(comp, "components", where);
      if (nested.length && depth >= MAX_DEPTH)
        f.fail(`${where}.components`, `nested deeper than ${MAX_DEPTH} levels`);
      visit(nested, `${where}.components`, depth + 1);
    });
  // the OS entry decides the release of OS packages whose purl has no distro= (read it first)
  const comps = f.arr(doc, "components", "");
  for (const [i, entry] of comps.entries()) {
    const comp = f.obj(entry, `components[${i}]`);
    if (comp.type !== "operating-system") continue;
    const w = `components[${i}]`;
    const os = cdxOs(f.str(comp, "name", w), f.str(comp, "version", w), comp, properties(f, comp, w), f, w);
    if (os) c.docOs = os;
    break;
  }
  visit(comps, "components");
  const rootProps = root ? properties(f, root, "metadata.component") : new Map();
  const rootVersion = root ? f.str(root, "version", "metadata.component") : undefined;
  const repoDigest = one(rootProps, "aquasecurity:trivy:RepoDigest")?.split("@")[1];
  return inventoryOf(f, c, {
    name: root ? f.str(root, "name", "metadata.component") : undefined,
    digest: isDigest(rootVersion)
      ? rootVersion
      : (repoDigest ?? one(rootProps, "aquasecurity:trivy:ImageID")),
    os: oses[0],
    architecture: one(rootProps, "airbag:target:architecture"),
  });
}

function cdxOs(
  name: string | undefined,
  version: string | undefined,
  comp: Json,
  props: Props,
  f: Fields,
  where: string,
): OsInfo | undefined {
  if (!name) return undefined;
  const prettyName = one(props, "syft:distro:prettyName") ?? f.str(comp, "description", where);
  const codename = one(props, "airbag:os:codename") ?? one(props, "syft:distro:versionCodename");
  const os = osInfoFor(normaliseFamily(name), version || undefined, {
    ...(codename ? { codename } : {}),
    ...(prettyName ? { prettyName } : {}),
  });
  const eco = one(props, "airbag:ecosystem");
  if (os && eco) os.ecosystem = eco;
  return os;
}

function cdxPackage(
  f: Fields,
  comp: Json,
  props: Props,
  where: string,
  base: { name?: string; version?: string; purl?: string },
): RawPackage {
  const raw: RawPackage = {
    where,
    ...base,
    licenses: cdxLicenses(f, comp, where),
    locations: cdxLocations(f, comp, props, where),
  };
  const source = cdxSource(props);
  if (source) raw.source = source;
  const ecosystem = one(props, "airbag:ecosystem");
  if (ecosystem) {
    // Airbag's own component: npm scopes were moved to `group`; everything else is as cataloged
    const group = f.str(comp, "group", where);
    if (group && base.name) raw.name = `${group}/${base.name}`;
    const metadata: Record<string, string | number | boolean> = {};
    for (const [k, v] of props) {
      const m = /^airbag:metadata:(.+)$/.exec(k);
      if (m && v[0] !== undefined) metadata[m[1]!] = metadataValue(m[1]!, v[0]);
    }
    const bomRef = f.str(comp, "bom-ref", where);
    const type = one(props, "airbag:package:type");
    const arch = one(props, "airbag:package:arch");
    raw.trusted = {
      ecosystem,
      ...(type ? { type } : {}),
      ...(arch ? { arch } : {}),
      ...(bomRef && /^[0-9a-f]{16}$/.test(bomRef) ? { id: bomRef } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
  }
  return raw;
}
