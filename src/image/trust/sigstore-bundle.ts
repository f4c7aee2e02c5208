import { type Bundle, bundleFromJSON } from "@sigstore/bundle";
import { toSignedEntity, Verifier } from "@sigstore/verify";
import { keyFingerprint } from "./cosign-key.js";
import { sha256Digest } from "./cosign-signature.js";
import { resolveImageDigest } from "./resolve-image.js";
import { loadTrustedRoot } from "./trusted-root.js";
import type {
  KeylessPolicy,
  ReferrerDescriptor,
  SignatureSource,
  VerificationFailure,
  VerificationResult,
  VerifiedSignature,
} from "./types.js";

/**
 * cosign v3's default image signatures (specs/BUNDLE_SPEC.md): a Sigstore bundle v0.3 stored as an
 * OCI 1.1 referrer of the image (artifactType application/vnd.dev.sigstore.bundle.v0.3+json, one layer
 * holding the bundle JSON). The bundle wraps a DSSE envelope over an in-toto Statement whose subject
 * is the image digest and whose predicateType is https://sigstore.dev/cosign/sign/v1 (attestations
 * carry other predicate types and are not signatures). The cryptography — certificate chain to the
 * trusted root's Fulcio CA, timestamps, transparency log, DSSE signature, SAN and issuer — is
 * @sigstore/verify's; this file finds the bundles and checks what they claim about the image.
 */

export const BUNDLE_MEDIA_TYPES = [
  "application/vnd.dev.sigstore.bundle.v0.3+json",
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
];
export const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
const IN_TOTO_STATEMENT_TYPES = ["https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"];
const MAX_BUNDLES = 32;
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

type Problem = { failure: VerificationFailure; reason: string };

/** Problems rank: a bundle that verified but names the wrong thing says more than a broken one. */
const RANK: Record<VerificationFailure, number> = {
  "no-signature": 0,
  "bad-signature": 1,
  "invalid-payload": 2,
  "untrusted-signer": 3,
  "digest-mismatch": 4,
};

export async function verifyWithBundles(
  source: SignatureSource,
  reference: string,
  target: string,
  policy: KeylessPolicy,
): Promise<VerificationResult> {
  const root = loadTrustedRoot(policy.trustedRoot, policy.trustedRootSource ?? "trusted root");
  const digest = await resolveImageDigest(source, reference, target);
  const base = { reference, digest, signatureTag: "referrers" };
  // a referrer without artifactType (tools that re-serialise the index drop it) is a candidate too:
  // its manifest says what it is
  const referrers = ((await source.referrers?.(digest)) ?? []).filter(
    (d) => d.artifactType === undefined || BUNDLE_MEDIA_TYPES.includes(d.artifactType),
  );
  const none: VerificationResult = {
    ...base,
    verified: false,
    signatures: [],
    failure: "no-signature",
    reason: `no Sigstore bundle refers to ${digest} (no referrer with artifactType ${BUNDLE_MEDIA_TYPES[0]})`,
  };
  if (!referrers.length) return none;

  const verifier = new Verifier(root.material, root.thresholds);
  const verified: VerifiedSignature[] = [];
  let worst: Problem | undefined;
  for (const ref of referrers.slice(0, MAX_BUNDLES)) {
    const outcome = await checkBundle(source, ref, digest, verifier, policy);
    if ("signature" in outcome) verified.push(outcome.signature);
    else if (!worst || RANK[outcome.failure] > RANK[worst.failure]) worst = outcome;
  }
  if (verified.length) return { ...base, verified: true, signatures: verified };
  if (!worst || worst.failure === "no-signature") return none;
  return { ...base, verified: false, signatures: [], ...worst };
}

async function checkBundle(
  source: SignatureSource,
  ref: ReferrerDescriptor,
  digest: string,
  verifier: Verifier,
  policy: KeylessPolicy,
): Promise<{ signature: VerifiedSignature } | Problem> {
  const bad = (reason: string): Problem => ({
    failure: "bad-signature",
    reason: `bundle ${ref.digest}: ${reason}`,
  });
  const manifest = await source.manifest(ref.digest);
  if (!manifest) return bad("referrer manifest is missing");
  const layer = bundleLayer(manifest.bytes);
  if (!layer) return { failure: "no-signature", reason: `referrer ${ref.digest} is not a Sigstore bundle` };
  const bytes = await source.blobBytes(layer, MAX_BUNDLE_BYTES);
  if (sha256Digest(bytes) !== layer) return bad("bundle blob does not match its digest");
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(bytes.toString("utf8")));
  } catch (err) {
    return bad(`not a Sigstore bundle (${(err as Error).message})`);
  }
  if (bundle.content.$case !== "dsseEnvelope")
    return bad("bundle holds no DSSE envelope (not an image signature)");
  const envelope = bundle.content.dsseEnvelope;
  let identity: string | undefined;
  let issuer: string | undefined;
  let keyFp: string;
  try {
    // identity is compared here, exactly (cosign --certificate-identity), not as the library's regex
    const signer = verifier.verify(toSignedEntity(bundle));
    identity = signer.identity?.subjectAlternativeName;
    issuer = signer.identity?.extensions?.issuer;
    keyFp = keyFingerprint(signer.key);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (identity !== policy.identity || issuer !== policy.issuer)
    return {
      failure: "untrusted-signer",
      reason: `bundle ${ref.digest} is validly signed, but by ${identity ?? "a key without identity"} (issuer ${issuer ?? "none"}), not ${policy.identity} (issuer ${policy.issuer})`,
    };
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return invalid(ref, `DSSE payloadType "${envelope.payloadType}" is not ${IN_TOTO_PAYLOAD_TYPE}`);
  const statement = parseStatement(envelope.payload);
  if (!statement) return invalid(ref, "DSSE payload is not an in-toto Statement");
  if (statement.predicateType !== COSIGN_SIGN_PREDICATE)
    return invalid(
      ref,
      `predicateType "${statement.predicateType}" is not ${COSIGN_SIGN_PREDICATE} (an attestation?)`,
    );
  const hex = digest.slice("sha256:".length);
  if (!statement.subjects.includes(hex))
    return {
      failure: "digest-mismatch",
      reason: `bundle ${ref.digest} is valid but its subject is ${statement.subjects.map((s) => `sha256:${s}`).join(", ") || "empty"}, not the image's ${digest}`,
    };
  return {
    signature: {
      kind: "sigstore-bundle",
      digest,
      payloadDigest: layer,
      keyFingerprint: keyFp,
      ...(identity ? { identity } : {}),
      ...(issuer ? { issuer } : {}),
    },
  };
}

const invalid = (ref: ReferrerDescriptor, reason: string): Problem => ({
  failure: "invalid-payload",
  reason: `bundle ${ref.digest}: ${reason}`,
});

/** The bundle blob of a referrer manifest whose artifactType (or, per OCI 1.1, config type) is a bundle. */
function bundleLayer(bytes: Buffer): string | undefined {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as {
      artifactType?: string;
      config?: { mediaType?: string };
      layers?: { mediaType?: string; digest?: string }[];
    };
    const type = doc.artifactType ?? doc.config?.mediaType ?? "";
    if (!BUNDLE_MEDIA_TYPES.includes(type)) return undefined;
    const layer = doc.layers?.find((l) => BUNDLE_MEDIA_TYPES.includes(l.mediaType ?? ""));
    return typeof layer?.digest === "string" && /^sha256:[0-9a-f]{64}$/.test(layer.digest)
      ? layer.digest
      : undefined;
  } catch {
    return undefined;
  }
}

/** The statement's sha256 subjects and predicate type; undefined when it is not one. */
function parseStatement(payload: Buffer): { subjects: string[]; predicateType: string } | undefined {
  try {
    const doc = JSON.parse(payload.toString("utf8")) as {
      _type?: unknown;
      subject?: { digest?: { sha256?: unknown } }[];
      predicateType?: unknown;
    };
    if (!IN_TOTO_STATEMENT_TYPES.includes(String(doc._type)) || !Array.isArray(doc.subject)) return undefined;
    const subjects = doc.subject
      .map((s) => s?.digest?.sha256)
      .filter((h): h is string => typeof h === "string");
    return { subjects, predicateType: String(doc.predicateType) };
  } catch {
    return undefined;
  }
}
