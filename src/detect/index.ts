import type { ImageConfig, StreamedResult, StreamTap } from "../image/index.js";
import type { LocatedFinding } from "../model/index.js";
import type { ConfigScanner, ContentHit, ContentScanner, ImageMeta } from "./detector.js";
import { createMalwareConfigScanner, createMalwareScanner } from "./malware/index.js";
import { createMisconfigFileScanner, misconfigConfigScanner } from "./misconfig/index.js";
import { createSecretConfigScanner, createSecretScanner } from "./secret/index.js";

export type * from "./detector.js";

/**
 * The detector registry: which content and config scanners serve each `--scanners` name.
 * Adding a detector = one file + one line here.
 */
export type DetectorKind = "secret" | "malware" | "misconfig";

export interface DetectorSet {
  content: ContentScanner[];
  config: ConfigScanner[];
}

/** Factories, not instances: content scanners may keep per-scan state (see `finish`). */
export const detectors: Readonly<Record<DetectorKind, () => DetectorSet>> = {
  secret: () => ({ content: [createSecretScanner()], config: [createSecretConfigScanner()] }),
  malware: () => ({ content: [createMalwareScanner()], config: [createMalwareConfigScanner()] }),
  misconfig: () => ({ content: [createMisconfigFileScanner()], config: [misconfigConfigScanner] }),
};

export function detectorsFor(kinds: Iterable<DetectorKind>): DetectorSet {
  const out: DetectorSet = { content: [], config: [] };
  for (const k of new Set(kinds)) {
    const set = detectors[k]();
    out.content.push(...set.content);
    out.config.push(...set.config);
  }
  return out;
}

/** After the walk: the scanners' summary findings (image-wide, so no layer). */
export function finishFindings(scanners: readonly ContentScanner[], warn: (m: string) => void) {
  const out: LocatedFinding[] = [];
  for (const s of scanners) {
    if (!s.finish) continue;
    try {
      for (const { path, ...hit } of s.finish()) out.push(located(hit, { path }));
    } catch (err) {
      warn(`detector ${s.name} failed: ${(err as Error).message}`);
    }
  }
  return out;
}

function located(
  hit: ContentHit,
  location: NonNullable<LocatedFinding["location"]>,
  deleted?: boolean,
): LocatedFinding {
  return {
    kind: hit.kind,
    id: hit.id,
    severity: hit.severity,
    ...(hit.title ? { title: hit.title } : {}),
    location: { ...location, ...(hit.line ? { line: hit.line } : {}) },
    ...(deleted ? { deleted: true } : {}),
    ...(hit.match ? { match: hit.match } : {}),
    ...(hit.evidence ? { evidence: hit.evidence } : {}),
    ...(hit.suppressedBecause ? { suppressedBecause: hit.suppressedBecause } : {}),
  };
}

const TAP_PREFIX = "detect:";

/** Walker taps for content scanners; a scanner with no hits in a file leaves no trace. */
export function detectorTaps(scanners: readonly ContentScanner[]): StreamTap[] {
  return scanners.map((s) => ({
    id: TAP_PREFIX + s.name,
    // the layer cache keys on this: a scanner's output change must come with a version bump
    version: s.version,
    everyLayer: s.scope === "every-layer",
    // a summarising scanner learns its cross-file facts in consume() from path and mode alone, so a
    // file of a cached layer is consumed without bytes (its per-file hits come from the cache)
    ...(s.finish ? { replay: (p: string, size: number, mode: number) => void s.consume(p, size, mode) } : {}),
    wants: (p, size, mode) => s.wants(p, size, mode),
    consume: (p, size, mode) => {
      const c = s.consume(p, size, mode);
      return {
        write: (chunk: Buffer) => c.write(chunk),
        end: () => {
          const hits = c.end();
          return hits.length ? hits : undefined;
        },
      };
    },
  }));
}

/** The walker's tap results (final-image and every-layer) → located findings. */
export function contentFindings(
  results: readonly (StreamedResult & { present?: boolean })[],
): LocatedFinding[] {
  const out: LocatedFinding[] = [];
  for (const r of results) {
    for (const [tap, value] of Object.entries(r.results)) {
      if (!tap.startsWith(TAP_PREFIX)) continue;
      for (const hit of value as ContentHit[])
        out.push(located(hit, { path: r.path, ...(r.layer ? { layer: r.layer } : {}) }, r.present === false));
    }
  }
  return out;
}

/** The detector view of an image config. */
export function imageMeta(name: string, config: ImageConfig | undefined): ImageMeta {
  const c = config?.config ?? {};
  return {
    name,
    ...(c.User !== undefined ? { user: c.User } : {}),
    env: c.Env ?? [],
    labels: c.Labels ?? {},
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
    ...(c.Healthcheck
      ? { healthcheck: { ...(c.Healthcheck.Test ? { test: c.Healthcheck.Test } : {}) } }
      : {}),
    history: (config?.history ?? []).map((h) => ({
      createdBy: h.created_by ?? "",
      emptyLayer: h.empty_layer === true,
    })),
  };
}

export function configFindings(
  meta: ImageMeta,
  scanners: readonly ConfigScanner[],
  warn: (m: string) => void,
) {
  const out: LocatedFinding[] = [];
  for (const s of scanners) {
    try {
      for (const f of s.scanConfig(meta)) {
        out.push({
          kind: f.kind,
          id: f.id,
          severity: f.severity,
          ...(f.title ? { title: f.title } : {}),
          field: f.field,
          ...(f.match ? { match: f.match } : {}),
          ...(f.evidence ? { evidence: f.evidence } : {}),
        });
      }
    } catch (err) {
      // one detector's bug must not hide the others' findings
      warn(`detector ${s.name} failed: ${(err as Error).message}`);
    }
  }
  return out;
}
