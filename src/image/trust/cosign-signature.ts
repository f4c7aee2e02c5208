import { createHash, type KeyObject, verify } from "node:crypto";

/**
 * cosign's legacy signature storage (specs/SIGNATURE_SPEC.md): the signatures of image `sha256:<hex>`
 * live in the same repository under tag `sha256-<hex>.sig`, an OCI (or Docker schema 2) manifest
 * whose every layer of media type `application/vnd.dev.cosign.simplesigning.v1+json` is one signature:
 * the layer blob is the payload, the `dev.cosignproject.cosign/signature` annotation its base64
 * signature. containers/image (skopeo, podman) writes and reads the same layout.
 */

export const SIMPLESIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";
export const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";

/** A cosign signature manifest holds a handful of layers; more is not a signature manifest. */
const MAX_SIGNATURE_LAYERS = 256;

export interface SignatureLayer {
  /** payload blob */
  digest: string;
  size: number;
  /** base64 signature over the payload bytes */
  signature: string;
  hasTlogBundle: boolean;
  /** PEM certificate (keyless signatures); not used for key-based verification */
  certificate?: string;
}

export type SignatureManifestParse = { ok: true; layers: SignatureLayer[] } | { ok: false; reason: string };

/** `sha256:<hex>` → `sha256-<hex>.sig` */
export function signatureTag(imageDigest: string): string {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(imageDigest);
  if (!m) throw new RangeError(`not a digest: ${imageDigest}`);
  return `${m[1]}-${m[2]}.sig`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function parseSignatureManifest(bytes: Buffer): SignatureManifestParse {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    return { ok: false, reason: "signature manifest is not JSON" };
  }
  if (!isObject(doc) || !Array.isArray(doc.layers))
    return { ok: false, reason: "signature manifest has no layers (not an image manifest)" };
  if (doc.layers.length > MAX_SIGNATURE_LAYERS)
    return {
      ok: false,
      reason: `signature manifest has ${doc.layers.length} layers (more than ${MAX_SIGNATURE_LAYERS})`,
    };
  const layers: SignatureLayer[] = [];
  for (const l of doc.layers) {
    if (!isObject(l) || l.mediaType !== SIMPLESIGNING_MEDIA_TYPE) continue;
    const annotations = isObject(l.annotations) ? l.annotations : {};
    const signature = annotations[SIGNATURE_ANNOTATION];
    if (typeof l.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(l.digest)) continue;
    if (typeof signature !== "string" || !signature) continue;
    const certificate = annotations[CERTIFICATE_ANNOTATION];
    layers.push({
      digest: l.digest,
      size: typeof l.size === "number" ? l.size : -1,
      signature,
      hasTlogBundle: typeof annotations[BUNDLE_ANNOTATION] === "string",
      ...(typeof certificate === "string" && certificate ? { certificate } : {}),
    });
  }
  if (!layers.length)
    return {
      ok: false,
      reason: `signature manifest has no ${SIMPLESIGNING_MEDIA_TYPE} layer with a signature`,
    };
  return { ok: true, layers };
}

/** Strict standard base64 (the annotation is Go's base64.StdEncoding); undefined when malformed. */
export function decodeBase64Signature(text: string): Buffer | undefined {
  const t = text.trim();
  if (!t || t.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, "base64");
}

/**
 * Does `signatureB64` sign `payload` with `key`? ECDSA signatures are ASN.1 DER (cosign's encoding),
 * hashed with SHA-256; RSA is PKCS#1 v1.5 with SHA-256; Ed25519 signs the payload itself.
 */
export function signatureVerifies(payload: Buffer, signatureB64: string, key: KeyObject): boolean {
  const sig = decodeBase64Signature(signatureB64);
  if (!sig) return false;
  try {
    const algorithm = key.asymmetricKeyType === "ed25519" ? null : "sha256";
    return verify(algorithm, payload, key, sig);
  } catch {
    // malformed DER and the like: simply not a valid signature
    return false;
  }
}

export const sha256Digest = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
