/**
 * Shared by the CycloneDX and SPDX readers: strict field access with one-line errors naming the file and
 * field, and the collector that turns raw SBOM entries into Airbag packages.
 */
import { buildPurl, packageId } from "../catalog/purl.js";
import {
  type Inventory,
  inputError,
  type Location,
  type OsInfo,
  type Package,
  type PackageSource,
} from "../model/index.js";
import { clip, type ParsedPurl, parsePurl, purlFacts } from "./purl-parse.js";

export type Json = Record<string, unknown>;

const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v);

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Field accessors: absent (undefined/null) is fine, a value of the wrong JSON type is an input error. */
export class Fields {
  constructor(readonly file: string) {}

  fail(field: string, what: string): never {
    throw inputError(`${this.file}: ${field}: ${what}`);
  }

  str(o: Json, key: string, where: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") this.fail(`${where}.${key}`, `expected a string, got ${kind(v)}`);
    return v;
  }

  arr(o: Json, key: string, where: string): unknown[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v))
      this.fail(`${where}${where ? "." : ""}${key}`, `expected an array, got ${kind(v)}`);
    return v;
  }

  obj(v: unknown, where: string): Json {
    if (!isObject(v)) this.fail(where, `expected an object, got ${kind(v)}`);
    return v;
  }

  optObj(o: Json, key: string, where: string): Json | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.obj(v, `${where}${where ? "." : ""}${key}`);
  }
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
export const isDigest = (s: string | undefined): s is string => s !== undefined && DIGEST.test(s);

/** Image paths are relative in Airbag (`var/lib/dpkg/status`); other tools write them absolute. */
export function location(path: string | undefined, layer?: string): Location | undefined {
  const p = path?.replace(/^\/+/, "");
  if (!p) return undefined;
  return isDigest(layer) ? { path: p, layer } : { path: p };
}

/** One package entry as found in the document, before purl interpretation. */
export interface RawPackage {
  /** e.g. `components[3]` or `packages[7]`, for warnings */
  where: string;
  purl?: string;
  name?: string;
  version?: string;
  licenses: string[];
  locations: Location[];
  source?: PackageSource;
  /** Airbag's own document: ecosystem, name, version, type, arch and id are taken as written */
  trusted?: {
    ecosystem: string;
    type?: string;
    arch?: string;
    id?: string;
    metadata?: Record<string, string | number | boolean>;
  };
}

const MAX_WARNINGS = 100;

export class Collector {
  readonly warnings: string[] = [];
  private dropped = 0;
  private readonly byId = new Map<string, Package>();
  /** distributions named by `distro=` qualifiers, counted, for documents without an OS entry */
  private readonly distros = new Map<string, { os: OsInfo; n: number }>();

  constructor(
    readonly file: string,
    public docOs?: OsInfo,
  ) {}

  warn(msg: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(`${this.file}: ${msg}`);
    else this.dropped++;
  }

  finish(): { packages: Package[]; warnings: string[]; os?: OsInfo } {
    const warnings = [...this.warnings];
    if (this.dropped) warnings.push(`${this.file}: ${this.dropped} more warnings not shown`);
    const top = [...this.distros.values()].sort((a, b) => b.n - a.n)[0];
    return { packages: [...this.byId.values()], warnings, ...(top ? { os: top.os } : {}) };
  }

  add(raw: RawPackage): void {
    const label = `${raw.where}${raw.name ? ` (${clip(raw.name, 60)}${raw.version ? ` ${clip(raw.version, 40)}` : ""})` : ""}`;
    let purl = raw.purl?.trim();
    if (!purl && raw.trusted?.type && raw.name)
      purl = buildPurl({ type: raw.trusted.type, name: raw.name, version: raw.version });
    if (!purl) {
      this.warn(`${label}: no package URL (purl); skipped`);
      return;
    }
    let parsed: ParsedPurl;
    try {
      parsed = parsePurl(purl);
    } catch (err) {
      this.warn(`${label}: ${(err as Error).message}; skipped`);
      return;
    }
    const facts = purlFacts(parsed, this.docOs);
    if (facts.os?.ecosystem) {
      const key = facts.os.ecosystem;
      const seen = this.distros.get(key);
      if (seen) seen.n++;
      else this.distros.set(key, { os: facts.os, n: 1 });
    }
    const t = raw.trusted;
    const name = (t && raw.name) || facts.name;
    const version = (t ? raw.version : undefined) ?? facts.version ?? raw.version ?? "";
    const locations = dedupeLocations(raw.locations);
    const pkg: Package = {
      id: t?.id ?? packageId(purl, locations[0]),
      ecosystem: t?.ecosystem || facts.ecosystem,
      name,
      version,
      purl,
      type: t?.type ?? facts.type,
      locations,
      licenses: [...new Set(raw.licenses)],
    };
    const arch = t?.arch ?? facts.arch;
    if (arch) pkg.arch = arch;
    const source = raw.source ?? (t ? undefined : facts.source);
    if (source?.name) pkg.source = source;
    const metadata = t?.metadata ?? (facts.epoch !== undefined ? { epoch: facts.epoch } : undefined);
    if (metadata && Object.keys(metadata).length) pkg.metadata = metadata;
    const prev = this.byId.get(pkg.id);
    if (!prev) {
      this.byId.set(pkg.id, pkg);
      return;
    }
    // the same package listed twice (one entry per file it was found in): merge
    prev.locations = dedupeLocations([...prev.locations, ...pkg.locations]);
    prev.licenses = [...new Set([...prev.licenses, ...pkg.licenses])];
  }
}

function dedupeLocations(locs: Location[]): Location[] {
  const seen = new Set<string>();
  return locs.filter((l) => {
    const k = `${l.path}\0${l.layer ?? ""}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Split a licence expression into the parts that all apply (top-level AND), dropping one pair of
 * parentheses around the whole and around each part. An expression with a top-level OR stays whole.
 */
export function splitAnd(expr: string): string[] {
  const unwrap = (s: string): string => {
    let t = s.trim();
    while (t.startsWith("(") && t.endsWith(")") && wrapsWhole(t)) t = t.slice(1, -1).trim();
    return t;
  };
  const text = unwrap(expr);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const tokens = text.matchAll(/\(|\)|\s+(AND|OR)\s+/gi);
  let hasOr = false;
  for (const m of tokens) {
    if (m[0] === "(") depth++;
    else if (m[0] === ")") depth--;
    else if (depth === 0) {
      if (m[1]!.toUpperCase() === "OR") hasOr = true;
      else {
        parts.push(text.slice(start, m.index));
        start = m.index + m[0].length;
      }
    }
  }
  parts.push(text.slice(start));
  if (hasOr) return text ? [text] : [];
  return parts.map(unwrap).filter((p) => p !== "");
}

function wrapsWhole(t: string): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === "(") depth++;
    else if (t[i] === ")" && --depth === 0) return i === t.length - 1;
  }
  return false;
}

/** Licence values that say nothing. */
export const noLicense = (s: string): boolean => /^\s*(NOASSERTION|NONE|UNKNOWN)?\s*$/i.test(s);

/** Airbag writes metadata values as strings; restore the types its analyzers use. */
export function metadataValue(key: string, v: string): string | number | boolean {
  if (v === "true") return true;
  if (v === "false") return false;
  if (key === "epoch" && /^\d{1,9}$/.test(v)) return Number(v);
  return v;
}

/** The Inventory all readers return: target kind `sbom`, OS from the document or the purls' distro. */
export function inventoryOf(
  f: Fields,
  c: Collector,
  target: { name?: string; digest?: string; os?: OsInfo; architecture?: string },
): Inventory {
  const done = c.finish();
  const os = target.os ?? done.os;
  const inv: Inventory = {
    schemaVersion: 1,
    target: {
      name: target.name?.trim() || f.file,
      kind: "sbom",
      ...(isDigest(target.digest) ? { digest: target.digest } : {}),
      ...(os ? { os } : {}),
      ...(target.architecture ? { architecture: target.architecture } : {}),
    },
    packages: done.packages,
  };
  if (done.warnings.length) inv.warnings = done.warnings;
  return inv;
}
