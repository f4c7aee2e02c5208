/**
 * The cosign "simple signing" payload (cosign specs/SIGNATURE_SPEC.md; containers/image writes the
 * same for sigstore signatures):
 *   {"critical": {"identity": {"docker-reference": "…"}, "image": {"docker-manifest-digest": "sha256:…"},
 *                 "type": "cosign container image signature"},
 *    "optional": {…} | null}
 * Go's JSON decoder matches keys case-insensitively and the spec example writes
 * `Docker-manifest-digest`, so keys are matched ignoring case here too. GPG "atomic container
 * signature" payloads are not cosign signatures (they never live under a `.sig` tag) and are refused.
 * Only called on payloads whose signature already verified.
 */

export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

export interface SimpleSigningPayload {
  type: string;
  digest: string;
  dockerReference?: string;
  creator?: string;
  /** seconds since the epoch */
  timestamp?: number;
}

export type PayloadParse = { ok: true; payload: SimpleSigningPayload } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A key of `obj` compared case-insensitively (first match wins, as Go does for exact-case misses). */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function parseSimpleSigningPayload(bytes: Buffer): PayloadParse {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  if (!isObject(doc)) return { ok: false, reason: "payload is not a JSON object" };
  const critical = field(doc, "critical");
  if (!isObject(critical)) return { ok: false, reason: "payload has no critical section" };
  const type = field(critical, "type");
  if (typeof type !== "string") return { ok: false, reason: "payload has no critical.type" };
  const image = field(critical, "image");
  const digest = isObject(image) ? field(image, "docker-manifest-digest") : undefined;
  if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest))
    return { ok: false, reason: "payload has no valid critical.image.docker-manifest-digest" };
  const identity = field(critical, "identity");
  const ref = isObject(identity) ? field(identity, "docker-reference") : undefined;
  const optional = field(doc, "optional");
  const creator = isObject(optional) ? field(optional, "creator") : undefined;
  const timestamp = isObject(optional) ? field(optional, "timestamp") : undefined;
  return {
    ok: true,
    payload: {
      type,
      digest,
      ...(typeof ref === "string" ? { dockerReference: ref } : {}),
      ...(typeof creator === "string" ? { creator } : {}),
      ...(typeof timestamp === "number" && Number.isInteger(timestamp) ? { timestamp } : {}),
    },
  };
}

/** Builds a payload the way cosign does (for tests and for anyone signing with Airbag's keys). */
export function simpleSigningPayload(
  digest: string,
  dockerReference: string,
  optional: Record<string, unknown> | null = null,
): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": dockerReference },
        image: { "docker-manifest-digest": digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional,
    }),
  );
}
