import type { KeyObject } from "node:crypto";
import { keyFingerprint } from "./cosign-key.js";
import { parseSignatureManifest, sha256Digest, signatureTag, signatureVerifies } from "./cosign-signature.js";
import { resolveImageDigest } from "./resolve-image.js";
import { COSIGN_SIGNATURE_TYPE, parseSimpleSigningPayload } from "./simple-signing.js";
import type { SignatureSource, VerificationFailure, VerificationResult, VerifiedSignature } from "./types.js";

/** cosign payloads are a few hundred bytes; anything this large is not one. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * cosign key-based verification of one image (cosign `verify --key` without the transparency log):
 * resolve the reference to its manifest digest, read `sha256-<hex>.sig`, and accept when at least one
 * signature layer verifies with the key AND its payload is a cosign image signature naming that digest.
 * The signature is checked before the payload is parsed (untrusted JSON is read only once signed).
 * Registry errors propagate (exit 2); every verdict about signatures is a result (exit 1).
 */
export async function verifyWithKey(
  source: SignatureSource,
  reference: string,
  target: string,
  key: KeyObject,
): Promise<VerificationResult> {
  const digest = await resolveImageDigest(source, reference, target);
  const tag = signatureTag(digest);
  const base = { reference, digest, signatureTag: tag };
  const fail = (failure: VerificationFailure, reason: string): VerificationResult => ({
    ...base,
    verified: false,
    signatures: [],
    failure,
    reason,
  });

  const sigManifest = await source.manifest(tag);
  if (!sigManifest)
    return fail("no-signature", `no signature for ${digest} (no ${tag} tag in the repository)`);
  const parsed = parseSignatureManifest(sigManifest.bytes);
  if (!parsed.ok) return fail("no-signature", `no usable signature for ${digest}: ${parsed.reason}`);

  const fingerprint = keyFingerprint(key);
  const verified: VerifiedSignature[] = [];
  let payloadProblem: { failure: VerificationFailure; reason: string } | undefined;
  for (const layer of parsed.layers) {
    if (layer.size > MAX_PAYLOAD_BYTES) continue;
    const payload = await source.blobBytes(layer.digest, MAX_PAYLOAD_BYTES);
    if (sha256Digest(payload) !== layer.digest) continue; // a source that did not check; never trust it
    if (!signatureVerifies(payload, layer.signature, key)) continue;
    const p = parseSimpleSigningPayload(payload);
    if (!p.ok) {
      payloadProblem ??= {
        failure: "invalid-payload",
        reason: `signed payload ${layer.digest}: ${p.reason}`,
      };
      continue;
    }
    if (p.payload.type !== COSIGN_SIGNATURE_TYPE) {
      payloadProblem ??= {
        failure: "invalid-payload",
        reason: `signed payload has type "${p.payload.type}", not "${COSIGN_SIGNATURE_TYPE}"`,
      };
      continue;
    }
    if (p.payload.digest !== digest) {
      // the tampering case: a valid signature of another image placed under this image's tag
      payloadProblem = {
        failure: "digest-mismatch",
        reason: `signature is valid but signs ${p.payload.digest}, not the image's ${digest}`,
      };
      continue;
    }
    verified.push({
      kind: "cosign",
      digest,
      payloadDigest: layer.digest,
      keyFingerprint: fingerprint,
      hasTlogBundle: layer.hasTlogBundle,
      ...(p.payload.dockerReference ? { dockerReference: p.payload.dockerReference } : {}),
      ...(p.payload.creator ? { creator: p.payload.creator } : {}),
      ...(p.payload.timestamp !== undefined
        ? { timestamp: new Date(p.payload.timestamp * 1000).toISOString() }
        : {}),
    });
  }
  if (verified.length) return { ...base, verified: true, signatures: verified };
  if (payloadProblem) return fail(payloadProblem.failure, payloadProblem.reason);
  const n = parsed.layers.length;
  return fail(
    "bad-signature",
    `none of the ${n} signature(s) under ${tag} verifies with the key (wrong key, or signature/payload modified)`,
  );
}
