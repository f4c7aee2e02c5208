import { analyzers, captureFor, catalogFiles, sortPackages, tapsFor } from "./catalog/index.js";
import { type ExpansionLimits, type ImageSource, openTarget, parseTarget, walkImage } from "./image/index.js";
import type { Inventory } from "./model/index.js";

/**
 * The pipeline: target → image source → one walk over the layers → analyzers → Inventory.
 * (Matching and detectors plug in after this as later stages; see ARCHITECTURE.md.)
 */

export interface CatalogOptions {
  /** `os/arch[/variant]` for multi-platform indexes */
  platform?: string;
  tmpDir?: string;
  limits?: ExpansionLimits;
  /** receives non-fatal problems as they happen (they are also listed in `inventory.warnings`) */
  onWarning?: (message: string) => void;
}

export async function catalogSource(src: ImageSource, options: CatalogOptions = {}): Promise<Inventory> {
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    options.onWarning?.(m);
  };
  const walk = await walkImage(src, {
    capture: captureFor(analyzers),
    streams: tapsFor(analyzers),
    warn,
    limits: options.limits,
  });
  const { os, packages } = await catalogFiles(walk, warn);
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
  return inv;
}

/** Inventory of every package in a target (`docker-archive:`, `oci:`, `dir:` or a bare path). */
export async function catalog(target: string, options: CatalogOptions = {}): Promise<Inventory> {
  const src = await openTarget(await parseTarget(target), {
    platform: options.platform,
    tmpDir: options.tmpDir,
  });
  try {
    return await catalogSource(src, options);
  } finally {
    await src.close();
  }
}
