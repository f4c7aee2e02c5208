import { TrustedRoot } from "@sigstore/protobuf-specs";
import { type TrustMaterial, toTrustMaterial, type VerifierOptions } from "@sigstore/verify";
import { inputError } from "../../model/index.js";

/**
 * A Sigstore trusted root (`trusted_root.json`: Fulcio CAs, Rekor and CT log keys, timestamp
 * authorities) supplied by the user, so verification never fetches anything (no TUF). What the root
 * can check is required: with Rekor keys, a transparency-log entry; with CT log keys, an SCT. A
 * verified timestamp (TSA or Rekor) is always required: a short-lived Fulcio certificate is only
 * meaningful at a proven signing time.
 */

export interface LoadedTrustedRoot {
  material: TrustMaterial;
  thresholds: VerifierOptions;
}

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\.v0\.\d+)?\+json/;

export function loadTrustedRoot(text: string, source: string): LoadedTrustedRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw inputError(`${source}: not JSON (${(err as Error).message})`, err);
  }
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType !== "string" || !MEDIA_TYPE.test(mediaType))
    throw inputError(`${source}: not a Sigstore trusted root (mediaType "${String(mediaType)}")`);
  let root: TrustedRoot;
  let material: TrustMaterial;
  try {
    root = TrustedRoot.fromJSON(json);
    material = toTrustMaterial(root);
  } catch (err) {
    throw inputError(`${source}: unreadable trusted root (${(err as Error).message})`, err);
  }
  if (!root.certificateAuthorities.length)
    throw inputError(`${source}: no certificateAuthorities; keyless verification needs a Fulcio CA`);
  return {
    material,
    thresholds: {
      tlogThreshold: root.tlogs.length ? 1 : 0,
      ctlogThreshold: root.ctlogs.length ? 1 : 0,
      timestampThreshold: 1,
    },
  };
}
