/**
 * SPDX readers for `sbom:` targets: 2.2/2.3 JSON (packages with a PACKAGE-MANAGER purl reference, the
 * DESCRIBES'd package as the target) and 3.0 JSON-LD (`software_Package` elements in `@graph`).
 */
import type { Inventory, Location, OsInfo } from "../model/index.js";
import { clip, normaliseFamily, osInfoFor } from "./purl-parse.js";
import {
  Collector,
  type Fields,
  inventoryOf,
  isDigest,
  isObject,
  type Json,
  location,
  noLicense,
  type RawPackage,
  splitAnd,
} from "./sbom-common.js";

// ---------------------------------------------------------------------------------------------
// sourceInfo: the only free-text field the common writers fill with location and source facts
// ---------------------------------------------------------------------------------------------

interface SourceFacts {
  locations: Location[];
  source?: { name: string; version?: string };
  ecosystem?: string;
}

/** Syft lists the copyright file before the database; the database is the package's place. */
const evidenceLast = (locs: Location[]): Location[] => {
  const doc = (l: Location) => /^usr\/share\/(doc|licenses)\//.test(l.path);
  return [...locs.filter((l) => !doc(l)), ...locs.filter(doc)];
};

function parseSourceInfo(info: string | undefined, airbag: boolean): SourceFacts {
  if (!info) return { locations: [] };
  if (airbag) {
    // "<ecosystem> package found in <path> (layer <digest>), <path>; source package <name> <version>"
    const m = /^(.+?) package found in ([\s\S]*)$/.exec(info);
    if (m) {
      const out: SourceFacts = { ecosystem: m[1]!, locations: [] };
      let where = m[2]!;
      const sp = where.lastIndexOf("; source package ");
      if (sp >= 0) {
        const [name, ...version] = where.slice(sp + 17).split(" ");
        if (name) out.source = version.length ? { name, version: version.join(" ") } : { name };
        where = where.slice(0, sp);
      }
      if (where !== "unknown location")
        for (const part of where.split(", ")) {
          const l = /^([\s\S]*) \(layer (\S+)\)$/.exec(part);
          const loc = l ? location(l[1], l[2]) : location(part);
          if (loc) out.locations.push(loc);
        }
      return out;
    }
  }
  const trivy = /^built package from: (\S+) (\S+)$/.exec(info.trim());
  if (trivy) return { locations: [], source: { name: trivy[1]!, version: trivy[2]! } };
  const syft = /^acquired package info from [^:]*: ([\s\S]+)$/.exec(info.trim());
  if (syft) {
    const locs = syft[1]!.split(", ").map((p) => location(p));
    return { locations: evidenceLast(locs.filter((l): l is Location => l !== undefined)) };
  }
  return { locations: [] };
}

// ---------------------------------------------------------------------------------------------
// SPDX 2.x
// ---------------------------------------------------------------------------------------------

const strings = (a: unknown[]): string[] => a.filter((x): x is string => typeof x === "string");

const isOsPurpose = (p: string | undefined): boolean => /^OPERATING[-_]SYSTEM$/i.test(p ?? "");

export function readSpdx2(doc: Json, f: Fields): Inventory {
  const version = f.str(doc, "spdxVersion", "") ?? "";
  if (!/^SPDX-2\.\d+$/.test(version))
    f.fail("spdxVersion", `"${clip(version)}": not an SPDX 2.x version (SPDX 3 documents are JSON-LD)`);
  const info = f.optObj(doc, "creationInfo", "");
  const creators = info ? strings(f.arr(info, "creators", "creationInfo")) : [];
  const airbag = creators.some((c) => /^Tool:\s*airbag-/i.test(c));

  // LicenseRef-… ids → the licence text they stand for, when it is a short name rather than a full text
  const extracted = new Map<string, string>();
  f.arr(doc, "hasExtractedLicensingInfos", "").forEach((e, i) => {
    const w = `hasExtractedLicensingInfos[${i}]`;
    const o = f.obj(e, w);
    const id = f.str(o, "licenseId", w);
    const name = f.str(o, "name", w);
    const text = f.str(o, "extractedText", w);
    const label =
      name && !noLicense(name) ? name : text && text.length <= 200 && !/[\r\n]/.test(text) ? text : undefined;
    if (id && label) extracted.set(id, label.trim());
  });
  const licenseText = (part: string): string => extracted.get(part) ?? part;

  const described = strings(f.arr(doc, "documentDescribes", ""));
  f.arr(doc, "relationships", "").forEach((r, i) => {
    const w = `relationships[${i}]`;
    const o = f.obj(r, w);
    const from = f.str(o, "spdxElementId", w);
    const type = f.str(o, "relationshipType", w);
    const to = f.str(o, "relatedSpdxElement", w);
    if (type === "DESCRIBES" && from === "SPDXRef-DOCUMENT" && to) described.push(to);
    if (type === "DESCRIBED_BY" && to === "SPDXRef-DOCUMENT" && from) described.push(from);
  });

  const packages = f.arr(doc, "packages", "").map((p, i) => ({ o: f.obj(p, `packages[${i}]`), i }));
  const ids = new Map(packages.map((p) => [f.str(p.o, "SPDXID", `packages[${p.i}]`), p]));
  const target = described.map((d) => ids.get(d)).find((p) => p !== undefined);
  const isOs = (p: Json, w: string): boolean =>
    isOsPurpose(f.str(p, "primaryPackagePurpose", w)) ||
    (f.str(p, "SPDXID", w) ?? "").startsWith("SPDXRef-OperatingSystem");

  let docOs: OsInfo | undefined;
  for (const { o, i } of packages) {
    const w = `packages[${i}]`;
    const name = f.str(o, "name", w);
    if (name && o !== target?.o && isOs(o, w)) {
      docOs = osInfoFor(normaliseFamily(name), f.str(o, "versionInfo", w) || undefined);
      if (docOs) break;
    }
  }
  // Airbag writes the OS on the image package: "os: debian 12 bookworm"
  const targetComment = target ? f.str(target.o, "comment", `packages[${target.i}]`) : undefined;
  const osComment = airbag ? /^os: (\S+)(?: (\S+))?(?: (\S+))?$/.exec(targetComment ?? "") : null;
  if (osComment && !docOs) {
    const [, family, a, b] = osComment;
    const hasVersion = a !== undefined && /^\d/.test(a);
    const codename = hasVersion ? b : a;
    docOs = osInfoFor(family!, hasVersion ? a : undefined, codename ? { codename } : {});
  }

  const c = new Collector(f.file, docOs);
  for (const { o, i } of packages) {
    const w = `packages[${i}]`;
    if (o === target?.o || isOs(o, w)) continue;
    const name = f.str(o, "name", w);
    const version = f.str(o, "versionInfo", w);
    let purl: string | undefined;
    f.arr(o, "externalRefs", w).forEach((r, j) => {
      const rw = `${w}.externalRefs[${j}]`;
      const ref = f.obj(r, rw);
      if (purl === undefined && f.str(ref, "referenceType", rw)?.toLowerCase() === "purl")
        purl = f.str(ref, "referenceLocator", rw);
    });
    const declared = f.str(o, "licenseDeclared", w);
    const concluded = f.str(o, "licenseConcluded", w);
    const expr = declared && !noLicense(declared) ? declared : concluded;
    const licenses = expr && !noLicense(expr) ? splitAnd(expr).map(licenseText) : [];
    const src = parseSourceInfo(f.str(o, "sourceInfo", w), airbag);
    // Trivy: "LayerDiffID: sha256:…", "FilePath: …"
    const attr = new Map(
      strings(f.arr(o, "attributionTexts", w)).map((t) => [t.split(": ")[0]!, t.slice(t.indexOf(": ") + 2)]),
    );
    const trivyLoc = location(attr.get("FilePath"), attr.get("LayerDiffID"));
    const raw: RawPackage = {
      where: w,
      ...(purl !== undefined ? { purl } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(version !== undefined ? { version } : {}),
      licenses,
      locations: trivyLoc ? [...src.locations, trivyLoc] : src.locations,
      ...(src.source ? { source: src.source } : {}),
      ...(src.ecosystem ? { trusted: { ecosystem: src.ecosystem } } : {}),
    };
    c.add(raw);
  }

  const tw = target ? `packages[${target.i}]` : "";
  const targetVersion = target ? f.str(target.o, "versionInfo", tw) : undefined;
  const imageId = target
    ? strings(f.arr(target.o, "attributionTexts", tw))
        .find((t) => t.startsWith("ImageID: "))
        ?.slice(9)
    : undefined;
  return inventoryOf(f, c, {
    name: (target ? f.str(target.o, "name", tw) : undefined) ?? f.str(doc, "name", ""),
    digest: isDigest(targetVersion) ? targetVersion : imageId,
    ...(docOs ? { os: docOs } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// SPDX 3.0 JSON-LD
// ---------------------------------------------------------------------------------------------

/** `software_Package`, `Package`, `spdx:Software/Package` → `Package` */
const typeTail = (t: unknown): string => (typeof t === "string" ? (t.split(/[_:/]/).pop() ?? "") : "");
const s = (o: Json, k: string): string | undefined =>
  typeof o[k] === "string" ? (o[k] as string) : undefined;
const list = (o: Json, k: string): string[] => (Array.isArray(o[k]) ? strings(o[k] as unknown[]) : []);

export function readSpdx3(doc: Json, f: Fields): Inventory {
  const graph = f.arr(doc, "@graph", "");
  const byId = new Map<string, Json>();
  const elements: { o: Json; i: number }[] = [];
  graph.forEach((e, i) => {
    if (!isObject(e)) return;
    elements.push({ o: e, i });
    const id = s(e, "spdxId") ?? s(e, "@id");
    if (id) byId.set(id, e);
  });
  const ofType = (t: string) => elements.filter((e) => typeTail(e.o.type) === t);

  const roots: string[] = [];
  for (const { o } of ofType("SpdxDocument"))
    for (const r of list(o, "rootElement")) {
      const el = byId.get(r);
      roots.push(...(el && typeTail(el.type) === "Sbom" ? list(el, "rootElement") : [r]));
    }
  for (const { o } of ofType("Sbom")) roots.push(...list(o, "rootElement"));
  const target = roots.map((r) => byId.get(r)).find((e) => e && typeTail(e.type) === "Package");

  // licences hang off relationships: package —hasDeclaredLicense→ licence element(s)
  const licensesOf = new Map<string, { declared: string[]; concluded: string[] }>();
  for (const { o } of elements.filter((e) => typeTail(e.o.type).endsWith("Relationship"))) {
    const rel = s(o, "relationshipType");
    const from = s(o, "from");
    if (!from || (rel !== "hasDeclaredLicense" && rel !== "hasConcludedLicense")) continue;
    const entry = licensesOf.get(from) ?? { declared: [], concluded: [] };
    for (const to of list(o, "to")) {
      const el = byId.get(to);
      const text = el
        ? (s(el, "simplelicensing_licenseExpression") ?? s(el, "name"))
        : /^https?:\/\/spdx\.org\/licenses\/([^/]+)$/.exec(to)?.[1];
      if (text && !noLicense(text))
        (rel === "hasDeclaredLicense" ? entry.declared : entry.concluded).push(text);
    }
    licensesOf.set(from, entry);
  }

  const packages = ofType("Package").filter(({ o }) => o !== target);
  const osEl = packages.find(({ o }) => s(o, "software_primaryPurpose") === "operatingSystem");
  const docOs = osEl
    ? osInfoFor(normaliseFamily(s(osEl.o, "name") ?? ""), s(osEl.o, "software_packageVersion"))
    : undefined;
  const c = new Collector(f.file, docOs);
  for (const { o, i } of packages) {
    const purpose = s(o, "software_primaryPurpose");
    if (purpose === "operatingSystem" || purpose === "container") continue;
    const ids = Array.isArray(o.externalIdentifier) ? o.externalIdentifier.filter(isObject) : [];
    const purl =
      s(o, "software_packageUrl") ??
      ids
        .map((x) => (s(x, "externalIdentifierType") === "packageUrl" ? s(x, "identifier") : undefined))
        .find(Boolean);
    const id = s(o, "spdxId") ?? "";
    const lic = licensesOf.get(id);
    const src = parseSourceInfo(s(o, "software_sourceInfo"), false);
    const name = s(o, "name");
    const version = s(o, "software_packageVersion");
    c.add({
      where: `@graph[${i}]`,
      ...(purl ? { purl } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(version !== undefined ? { version } : {}),
      licenses: (lic?.declared.length ? lic.declared : (lic?.concluded ?? [])).flatMap(splitAnd),
      locations: src.locations,
    });
  }
  const targetVersion = target ? s(target, "software_packageVersion") : undefined;
  return inventoryOf(f, c, {
    name: (target ? s(target, "name") : undefined) ?? s(ofType("SpdxDocument")[0]?.o ?? {}, "name"),
    digest: targetVersion,
    ...(docOs ? { os: docOs } : {}),
  });
}
