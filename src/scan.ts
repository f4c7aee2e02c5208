import { existsSync } from "node:fs";
import { analyzers, captureFor, captureKey, catalogFiles, sortPackages, tapsFor } from "./catalog/index.js";
import {
  configFindings,
  contentFindings,
  type DetectorSet,
  detectorsFor,
  detectorTaps,
  finishFindings,
  imageMeta,
} from "./detect/index.js";
import {
  type ExpansionLimits,
  type ImageSource,
  openTarget,
  parseTarget,
  readSbom,
  walkImage,
} from "./image/index.js";
import { LayerCache } from "./image/layer-cache.js";
import { readIgnoreFile } from "./match/ignore-file.js";
import { type AdvisoryLookup, matchInventory } from "./match/matcher.js";
import { atLeast } from "./match/severity.js";
import { suppressFindings } from "./match/suppress.js";
import { readVex } from "./match/vex.js";
import {
  AirbagError,
  type Finding,
  type Inventory,
  type LocatedFinding,
  type Report,
  SEVERITIES,
  type Severity,
} from "./model/index.js";
import { summarize } from "./report/summary.js";
import { VERSION } from "./version.js";
import { cacheMaxBytes, cachePath } from "./vulndb/cache-path.js";
import { missingDbError, resolveDbPath, VulnDb } from "./vulndb/index.js";

/**
 * The pipeline: target → image source → one walk over the layers → analyzers → Inventory
 * (`catalog`), then Inventory × vulnerability database → findings → suppressions → Report (`scan`).
 */

export interface CatalogOptions {
  /** `os/arch[/variant]` for multi-platform indexes */
  platform?: string;
  tmpDir?: string;
  /** registries: allow plain HTTP / unverified TLS (loopback registries speak HTTP anyway) */
  insecure?: boolean;
  /** `engine:` targets: Docker / podman API endpoint (default $DOCKER_HOST, then the usual sockets) */
  engine?: string;
  limits?: ExpansionLimits;
  /** receives non-fatal problems as they happen (they are also listed in `inventory.warnings`) */
  onWarning?: (message: string) => void;
  /**
   * Per-layer analysis cache for layered images: `true` = `layer-cache.sqlite` beside the vulnerability
   * database, a string = in that directory; default off. Its own problems go to `onWarning` only.
   */
  cache?: boolean | string;
}

export async function catalogSource(src: ImageSource, options: CatalogOptions = {}): Promise<Inventory> {
  return (await inspectSource(src, options, { content: [], config: [] })).inventory;
}

/**
 * One walk serves both the analyzers (inventory) and the content detectors (findings): the layers are
 * read once whatever is asked for.
 */
async function inspectSource(
  src: ImageSource,
  options: CatalogOptions,
  detect: DetectorSet,
): Promise<{ inventory: Inventory; located: LocatedFinding[] }> {
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    options.onWarning?.(m);
  };
  for (const s of detect.content) for (const w of s.warnings ?? []) warn(`${s.name}: ${w}`);
  const cache = openLayerCache(src, options);
  let walk: Awaited<ReturnType<typeof walkImage>>;
  try {
    walk = await walkImage(src, {
      capture: captureFor(analyzers),
      streams: [...tapsFor(analyzers), ...detectorTaps(detect.content)],
      warn,
      limits: options.limits,
      ...(cache ? { cache, cacheKey: `airbag ${VERSION}\n${captureKey(analyzers)}` } : {}),
    });
  } finally {
    cache?.close();
  }
  const { os, packages } = await catalogFiles(walk, warn);
  const located = [
    ...contentFindings(walk.streamed),
    ...contentFindings(walk.layered),
    ...finishFindings(detect.content, warn),
  ];
  if (detect.config.length && src.kind === "layers")
    located.push(...configFindings(imageMeta(src.info.name, src.config), detect.config, warn));
  const inv: Inventory = {
    schemaVersion: 1,
    target: {
      ...src.info,
      os,
      ...(src.kind === "layers"
        ? {
            layers: walk.layers.map((l, i) => ({
              digest: l.digest,
              diffId: l.diffId,
              size: l.size,
              createdBy: src.config?.history?.filter((h) => !h.empty_layer)[i]?.created_by,
            })),
          }
        : {}),
    },
    packages: sortPackages(packages),
  };
  if (warnings.length) inv.warnings = warnings;
  return { inventory: inv, located };
}

function openLayerCache(src: ImageSource, options: CatalogOptions & { db?: string }): LayerCache | undefined {
  if (!options.cache || src.kind !== "layers") return undefined;
  const dir = typeof options.cache === "string" ? options.cache : undefined;
  return LayerCache.open(cachePath(dir, options.db), {
    maxBytes: cacheMaxBytes(),
    warn: (m) => options.onWarning?.(m),
  });
}

/** Inventory (and detector findings) of a target, walked once. */
async function inspect(
  target: string,
  options: CatalogOptions,
  detect: DetectorSet,
): Promise<{ inventory: Inventory; located: LocatedFinding[] }> {
  const ref = await parseTarget(target);
  if (ref.kind === "sbom") {
    const inv = await readSbom(ref.path);
    for (const w of inv.warnings ?? []) options.onWarning?.(w);
    return { inventory: inv, located: [] };
  }
  const src = await openTarget(ref, {
    platform: options.platform,
    tmpDir: options.tmpDir,
    insecure: options.insecure,
    engine: options.engine,
  });
  try {
    return await inspectSource(src, options, detect);
  } finally {
    await src.close();
  }
}

/** Inventory of every package in a target (`docker-archive:`, `oci:`, `dir:`, `sbom:` or a bare path). */
export async function catalog(target: string, options: CatalogOptions = {}): Promise<Inventory> {
  return (await inspect(target, options, { content: [], config: [] })).inventory;
}

export type ScannerName = "vuln" | "secret" | "malware" | "misconfig";
export const SCANNERS: readonly ScannerName[] = ["vuln", "secret", "malware", "misconfig"];

export interface ScanOptions extends CatalogOptions {
  /** vulnerability database file; default `$AIRBAG_DB`, else the XDG cache (see defaultDbPath) */
  db?: string;
  /** an already-open advisory source (tests, the server); takes precedence over `db` */
  lookup?: AdvisoryLookup;
  scanners?: readonly ScannerName[];
  /** keep only these severities (others are listed as suppressed) */
  severities?: readonly Severity[];
  onlyFixed?: boolean;
  ignoreFile?: string;
  vex?: string;
  now?: Date;
}

/** `$AIRBAG_DB`, else `$XDG_CACHE_HOME/airbag/db.sqlite` (`~/.cache/airbag/db.sqlite`). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDbPath(undefined, env);
}

/** Inventory + findings of a target: what `airbag scan --format json` prints. */
export async function scan(target: string, options: ScanOptions = {}): Promise<Report> {
  const started = Date.now();
  const scanners = new Set(options.scanners ?? SCANNERS);
  // read the small inputs first: a typo in --ignore-file must not cost a whole image walk
  const ignore = options.ignoreFile ? await readIgnoreFile(options.ignoreFile) : undefined;
  const vex = options.vex ? await readVex(options.vex) : undefined;
  let db: VulnDb | undefined;
  let lookup = options.lookup;
  if (scanners.has("vuln") && !lookup) {
    const dbPath = resolveDbPath(options.db);
    if (!existsSync(dbPath)) throw missingDbError(dbPath);
    db = VulnDb.open(dbPath, { readonly: true });
    lookup = db;
  }
  try {
    const kinds = (["secret", "malware", "misconfig"] as const).filter((k) => scanners.has(k));
    const { inventory: inv, located } = await inspect(target, options, detectorsFor(kinds));
    const found: Finding[] = [...(lookup ? matchInventory(inv, lookup) : []), ...located];
    const { findings, suppressed, warnings } = suppressFindings(found, inv, {
      ...(ignore ? { ignore } : {}),
      ...(vex ? { vex } : {}),
      ...(options.severities ? { severities: new Set(options.severities) } : {}),
      ...(options.onlyFixed ? { onlyFixed: true } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    for (const w of warnings) options.onWarning?.(w);
    const allWarnings = [...(inv.warnings ?? []), ...warnings];
    const dbStatus = db?.status();
    return {
      ...inv,
      ...(allWarnings.length ? { warnings: allWarnings } : {}),
      findings,
      suppressed,
      summary: summarize(findings),
      metadata: {
        tool: "airbag",
        version: VERSION,
        scanners: SCANNERS.filter((s) => scanners.has(s)),
        ...(dbStatus
          ? {
              db: {
                path: dbStatus.path,
                builtAt: dbStatus.builtAt,
                schemaVersion: dbStatus.schemaVersion,
                sources: dbStatus.sources,
              },
            }
          : {}),
        durationMs: Date.now() - started,
      },
    };
  } finally {
    db?.close();
  }
}

/** `--fail-on SEV`: does any reported (not suppressed) finding reach the threshold? */
export function gateTripped(report: Pick<Report, "findings">, failOn: Severity): Finding[] {
  if (!SEVERITIES.includes(failOn)) throw new AirbagError("USAGE", `--fail-on: unknown severity "${failOn}"`);
  return report.findings.filter((f) => failOn === "unknown" || atLeast(f.severity, failOn));
}
