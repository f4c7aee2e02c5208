import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Inventory, Package } from "../model/index.js";
import type { InventoryFormatter, RenderOptions } from "./format.js";

// ---------------------------------------------------------------------------------------------
// SPDX licence list and expressions (shared with the CycloneDX writer)
// ---------------------------------------------------------------------------------------------

interface LicenseList {
  licenses: Set<string>;
  exceptions: Set<string>;
  /** lower-case id → canonical id: SPDX ids match case-insensitively (spec 2.3 Annex D.2) */
  canonical: Map<string, string>;
  /** SPDX License List version the enum was generated from, e.g. "3.29" */
  version?: string;
}

let licenseList: LicenseList | undefined;

/**
 * The SPDX License List as bundled by @cyclonedx/cyclonedx-library (res/schema/spdx.SNAPSHOT.schema.json):
 * no extra dependency, and CycloneDX `license.id` validates against exactly this enum.
 */
export function spdxLicenseList(): LicenseList {
  if (licenseList) return licenseList;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json"));
  const schema = require(join(root, "res/schema/spdx.SNAPSHOT.schema.json")) as {
    enum: string[];
    $comment?: string;
  };
  const ids = schema.enum;
  // The enum is the sorted licence ids followed by the sorted exception ids; the sort restarting marks
  // the boundary. If a future file is ordered differently, accept any listed id after WITH.
  let split = ids.length;
  for (let i = 1; i < ids.length; i++) {
    if ((ids[i - 1] as string).toLowerCase() > (ids[i] as string).toLowerCase()) {
      split = i;
      break;
    }
  }
  const licenses = new Set(ids.slice(0, split));
  const exceptions = new Set(split < ids.length ? ids.slice(split) : ids);
  const version = /-(\d+\.\d+)(?:\.\d+)?$/.exec(schema.$comment ?? "")?.[1];
  licenseList = {
    licenses,
    exceptions,
    canonical: new Map(ids.map((id) => [id.toLowerCase(), id])),
    ...(version ? { version } : {}),
  };
  return licenseList;
}

const LICENSE_REF = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;

/** Map one licence token (as written by dpkg copyright files, rpm headers, apk, npm) to an SPDX id. */
function licenseId(token: string): string | undefined {
  if (LICENSE_REF.test(token)) return token;
  const list = spdxLicenseList();
  // Debian/Fedora short names: GPL-2, GPL-2+, LGPL-2.1+, GPLv3+, AGPL-3 → GPL-2.0-only, GPL-2.0-or-later, …
  // (checked first so deprecated list ids like "GPL-2.0+" come out in their current form)
  const gnu = /^(A|L)?GPL-?v?(\d)(?:\.(\d))?(\+|-or-later|-only)?$/i.exec(token);
  if (gnu) {
    const later = gnu[4] === "+" || gnu[4]?.toLowerCase() === "-or-later";
    const id = `${(gnu[1] ?? "").toUpperCase()}GPL-${gnu[2]}.${gnu[3] ?? "0"}-${later ? "or-later" : "only"}`;
    if (list.licenses.has(id)) return id;
  }
  const exact = list.canonical.get(token.toLowerCase());
  if (exact && list.licenses.has(exact)) return exact;
  const alias: Record<string, string> = { expat: "MIT", "apache-2": "Apache-2.0", "asl-2.0": "Apache-2.0" };
  // hasOwn: a licence string like "__proto__" must not resolve to Object.prototype
  const aliased = Object.hasOwn(alias, token.toLowerCase()) ? alias[token.toLowerCase()] : undefined;
  if (aliased) return aliased;
  // "+" means "or any later version" on any listed licence (Annex D.3)
  if (token.endsWith("+") && token.length > 1) {
    const base = licenseId(token.slice(0, -1));
    if (base && !base.endsWith("+") && !LICENSE_REF.test(base)) return `${base}+`;
  }
  return undefined;
}

/**
 * Parse an SPDX licence expression (Annex D: ids, LicenseRef-, "+", WITH, AND, OR, parentheses) and
 * return it with canonical ids and upper-case operators, or undefined if it is not one. Lower-case
 * operators are accepted on input because rpm headers write "GPLv2+ and LGPLv2+".
 */
export function parseLicenseExpression(text: string): string | undefined {
  const tokens = text.match(/\(|\)|[^\s()]+/g);
  if (!tokens) return undefined;
  const out: string[] = [];
  let i = 0;
  const upper = (t: string | undefined): string | undefined => t?.toUpperCase();
  const term = (): boolean => {
    const t = tokens[i];
    if (t === "(") {
      i++;
      out.push("(");
      if (!compound() || tokens[i] !== ")") return false;
      i++;
      out.push(")");
      return true;
    }
    if (t === undefined || t === ")" || ["AND", "OR", "WITH"].includes(upper(t) as string)) return false;
    const id = licenseId(t);
    if (!id) return false;
    i++;
    out.push(id);
    if (upper(tokens[i]) === "WITH") {
      const ex = spdxLicenseList().canonical.get(tokens[i + 1]?.toLowerCase() ?? "");
      if (!ex || !spdxLicenseList().exceptions.has(ex)) return false;
      out.push("WITH", ex);
      i += 2;
    }
    return true;
  };
  const compound = (): boolean => {
    if (!term()) return false;
    while (upper(tokens[i]) === "AND" || upper(tokens[i]) === "OR") {
      out.push(upper(tokens[i]) as string);
      i++;
      if (!term()) return false;
    }
    return true;
  };
  if (!compound() || i !== tokens.length) return undefined;
  return out.join(" ").replace(/\( /g, "(").replace(/ \)/g, ")");
}

export type NormalizedLicense =
  | { kind: "id"; id: string } // one id from the SPDX License List
  | { kind: "expression"; expression: string } // any other valid expression (compound, "+", LicenseRef-)
  | { kind: "text"; text: string }; // free text that is no SPDX expression ("public-domain", "ASL 2.0 or BSD")

/** Classify a licence string from package metadata; undefined when it carries no information. */
export function normalizeLicense(raw: string): NormalizedLicense | undefined {
  const text = raw.trim();
  if (text === "" || /^(NONE|NOASSERTION|UNKNOWN)$/i.test(text)) return undefined;
  const expression = parseLicenseExpression(text);
  if (expression === undefined) return { kind: "text", text };
  if (spdxLicenseList().licenses.has(expression)) return { kind: "id", id: expression };
  return { kind: "expression", expression };
}

// ---------------------------------------------------------------------------------------------
// Identifiers shared by both SBOM writers
// ---------------------------------------------------------------------------------------------

const URL_NAMESPACE = Buffer.from("6ba7b8119dad11d180b400c04fd430c8", "hex"); // RFC 4122 appendix C

/** RFC 4122 version-5 UUID: the same name always gives the same UUID (reproducible documents). */
export function uuidV5(name: string): string {
  const b = createHash("sha1").update(URL_NAMESPACE).update(name).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Identity of one rendering: the image, its packages and the creation time. Two renders of the same
 * inventory at the same `now` are byte-identical; a new scan (new time) gets a new serial/namespace,
 * as both specs ask for.
 */
export function documentUuid(kind: string, inv: Inventory, now: Date): string {
  const ids = inv.packages.map((p) => p.id).sort();
  return uuidV5(
    ["airbag", kind, inv.target.name, inv.target.digest ?? "", now.toISOString(), ...ids].join("\n"),
  );
}

/** Stable order for document bodies, independent of the order analyzers finished in. */
export function sortedPackages(packages: readonly Package[]): Package[] {
  const key = (p: Package): string => `${p.name}\u0000${p.version}\u0000${p.type}\u0000${p.id}`;
  return [...packages].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// SPDX 2.3 JSON document
// ---------------------------------------------------------------------------------------------

const NOASSERTION = "NOASSERTION";

/** SPDXIDs are "SPDXRef-" + [A-Za-z0-9.-]+ (spec 2.3 §7.2). */
export const spdxIdPart = (s: string): string => s.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "");

/**
 * Every LicenseRef- used in the document must be declared in hasExtractedLicensingInfos (spec 2.3
 * §10.1). Free text gets a generated id; a LicenseRef- already written in package metadata is declared
 * with that metadata as its text, since the licence text itself is not available.
 */
export class ExtractedLicenses {
  private readonly byText = new Map<string, string>();
  private readonly texts = new Map<string, string>();

  ref(text: string): string {
    const known = this.byText.get(text);
    if (known) return known;
    let id = `LicenseRef-${spdxIdPart(text).slice(0, 64) || "unknown"}`;
    // two texts can slug to the same id ("GPL v2" / "GPL/v2"): disambiguate with a content hash
    if (this.texts.has(id)) id = `${id}-${createHash("sha256").update(text).digest("hex").slice(0, 8)}`;
    this.byText.set(text, id);
    this.texts.set(id, text);
    return id;
  }

  declare(id: string, text: string): void {
    if (!this.texts.has(id)) this.texts.set(id, text);
  }

  toJson(): { licenseId: string; extractedText: string; name: string; comment: string }[] {
    return [...this.texts]
      .map(([licenseId, text]) => ({
        licenseId,
        extractedText: text,
        name: text,
        comment: "Licence string from package metadata that is not an SPDX License List expression",
      }))
      .sort((a, b) => (a.licenseId < b.licenseId ? -1 : 1));
  }
}

/** All of a package's licence strings as one licenseDeclared value (they all apply: AND). */
export function declaredLicense(licenses: readonly string[], extracted: ExtractedLicenses): string {
  const parts: string[] = [];
  for (const raw of licenses) {
    const n = normalizeLicense(raw);
    if (!n) continue;
    let part: string;
    if (n.kind === "id") part = n.id;
    else if (n.kind === "text" || n.expression.includes("DocumentRef-")) {
      // DocumentRef- would need an externalDocumentRefs entry we cannot produce: keep it as text
      part = extracted.ref(n.kind === "text" ? n.text : raw.trim());
    } else {
      part = n.expression;
      for (const ref of part.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) extracted.declare(ref, raw.trim());
    }
    if (!parts.includes(part)) parts.push(part);
  }
  return parts.length === 0 ? NOASSERTION : joinAnd(parts);
}

/** "A", "B OR C" → "A AND (B OR C)"; a part already wrapped in one pair of parentheses stays as is. */
export function joinAnd(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0] as string;
  const wrapped = (p: string): boolean => {
    if (!p.startsWith("(")) return false;
    let depth = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === "(") depth++;
      else if (p[i] === ")" && --depth === 0) return i === p.length - 1;
    }
    return false;
  };
  return parts.map((p) => (p.includes(" ") && !wrapped(p) ? `(${p})` : p)).join(" AND ");
}

function sourceInfo(p: Package): string {
  const where = p.locations.map((l) => (l.layer ? `${l.path} (layer ${l.layer})` : l.path)).join(", ");
  const parts = [`${p.ecosystem} package found in ${where || "unknown location"}`];
  if (p.source)
    parts.push(`source package ${p.source.name}${p.source.version ? ` ${p.source.version}` : ""}`);
  return parts.join("; ");
}

/** SPDX timestamps are YYYY-MM-DDThh:mm:ssZ, without fractions (spec 2.3 §6.9). */
const spdxDate = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, "Z");

export function renderSpdx(inv: Inventory, opts: RenderOptions): string {
  const now = opts.now ?? new Date();
  const t = inv.target;
  const extracted = new ExtractedLicenses();
  const imageId = `SPDXRef-Image-${spdxIdPart(t.name) || "target"}`;
  const uuid = documentUuid("spdx", inv, now);

  const image: Record<string, unknown> = {
    SPDXID: imageId,
    name: t.name,
    ...(t.digest ? { versionInfo: t.digest } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: t.kind === "dir" ? "FILE" : "CONTAINER",
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    ...(t.os
      ? { comment: `os: ${[t.os.family, t.os.version, t.os.codename].filter(Boolean).join(" ")}` }
      : {}),
  };

  const seen = new Set<string>();
  const packages = sortedPackages(inv.packages).map((p) => {
    let spdxId = `SPDXRef-Package-${spdxIdPart(p.type)}-${spdxIdPart(p.name)}-${spdxIdPart(p.id)}`;
    // ids are unique in a well-formed inventory; guard anyway so relationships never dangle
    for (let n = 2; seen.has(spdxId); n++) spdxId = `${spdxId.replace(/-dup\d+$/, "")}-dup${n}`;
    seen.add(spdxId);
    return {
      SPDXID: spdxId,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      licenseConcluded: NOASSERTION,
      licenseDeclared: declaredLicense(p.licenses, extracted),
      copyrightText: NOASSERTION,
      sourceInfo: sourceInfo(p),
      externalRefs: [
        { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: p.purl },
      ],
    };
  });

  const list = spdxLicenseList();
  const extractedInfos = extracted.toJson();
  const doc = {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0", // required value (spec 2.3 §6.2)
    SPDXID: "SPDXRef-DOCUMENT",
    name: t.name,
    documentNamespace: `https://spdx.org/spdxdocs/airbag/${spdxIdPart(t.name) || "target"}-${uuid}`,
    creationInfo: {
      created: spdxDate(now),
      creators: [`Tool: airbag-${opts.toolVersion}`],
      ...(list.version ? { licenseListVersion: list.version } : {}),
    },
    packages: [image, ...packages],
    ...(extractedInfos.length ? { hasExtractedLicensingInfos: extractedInfos } : {}),
    relationships: [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageId },
      ...packages.map((p) => ({
        spdxElementId: imageId,
        relationshipType: "CONTAINS",
        relatedSpdxElement: p.SPDXID,
      })),
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const spdxFormat: InventoryFormatter = { name: "spdx", render: renderSpdx };
