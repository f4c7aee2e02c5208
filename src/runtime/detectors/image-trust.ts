import { atLeast, severityRank } from "../../match/severity.js";
import { type Detection, SEVERITIES, type Severity } from "../../model/index.js";
import { type ContainerState, detection, type RuntimeDetector } from "../types.js";

/**
 * Image trust when a container starts: was its image scanned, is it signed (only when the monitor
 * checks signatures), and does its last scan hold findings at or above the policy's floor. The
 * verdicts come from an injected provider (the scan store / server, a verify cache), looked up by
 * image id; this detector only judges them.
 */

export interface ImageVerdict {
  scanned: boolean;
  /** worst finding severity of the last scan (undefined: no findings) */
  worstSeverity?: Severity;
  /** findings per severity in the last scan */
  counts: Partial<Record<Severity, number>>;
  /** signature check result; undefined = not checked / could not tell */
  signed?: boolean | undefined;
}

export interface ImageVerdicts {
  /** undefined = nothing known about this image (treated as unscanned) */
  verdict(imageId: string, c: ContainerState): Promise<ImageVerdict | undefined>;
}

export interface ImageTrustOptions {
  verdicts: ImageVerdicts;
  /** raise image.unsigned when a verdict says unsigned (only when signatures are checked) */
  requireSignature?: boolean;
  /** findings at or above this raise image.findings (default high) */
  floor?: Severity;
  /** severity of image.unscanned (default medium) */
  unscannedSeverity?: Severity;
}

export function createImageTrustDetector(opts: ImageTrustOptions): RuntimeDetector {
  const floor = opts.floor ?? "high";
  return {
    name: "image-trust",
    async onContainer(c, ctx) {
      const imageId = c.ref.imageId ?? c.inspect.Image ?? c.ref.image;
      const v = await opts.verdicts.verdict(imageId, c);
      const out: Detection[] = [];
      const base = { imageId, image: c.ref.image };
      if (!v?.scanned)
        out.push(
          detection(
            "image-trust",
            "image.unscanned",
            opts.unscannedSeverity ?? "medium",
            "Container runs an image that was never scanned",
            c,
            `image ${c.ref.image} (${imageId.slice(0, 19)}) has no scan result`,
            ctx,
            base,
          ),
        );
      if (opts.requireSignature && v?.signed === false)
        out.push(
          detection(
            "image-trust",
            "image.unsigned",
            "high",
            "Container runs an unsigned image",
            c,
            `image ${c.ref.image} has no valid signature`,
            ctx,
            base,
          ),
        );
      if (v?.scanned) {
        const over = SEVERITIES.filter((s) => s !== "unknown" && atLeast(s, floor) && (v.counts[s] ?? 0) > 0);
        // counts and worstSeverity should agree; a provider with only one of them still counts
        const worst = [
          ...over,
          ...(v.worstSeverity && atLeast(v.worstSeverity, floor) ? [v.worstSeverity] : []),
        ].sort((a, b) => severityRank(b) - severityRank(a))[0];
        if (worst) {
          const counts = over.map((s) => `${v.counts[s]} ${s}`).join(", ");
          out.push(
            detection(
              "image-trust",
              "image.findings",
              worst,
              `Container runs an image with ${worst} findings`,
              c,
              `image ${c.ref.image}: ${counts || `worst ${worst}`} (floor ${floor})`,
              ctx,
              { ...base, floor, counts: v.counts, worstSeverity: worst },
            ),
          );
        }
      }
      return out;
    },
  };
}
