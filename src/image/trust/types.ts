/**
 * What signature verification needs from a registry, and what it answers. Kept to the two reads
 * verification does so the checks can run against any source (the registry client, a test double).
 */

export interface FetchedManifest {
  bytes: Buffer;
  /** digest of `bytes` as the source verified it (`sha256:<hex>`) */
  digest: string;
  mediaType: string;
}

export interface SignatureSource {
  /** A manifest by tag or digest; `undefined` when the registry says it does not exist (404). */
  manifest(refOrDigest: string): Promise<FetchedManifest | undefined>;
  /** A blob's bytes, digest-checked; refuses blobs larger than `max` bytes. */
  blobBytes(digest: string, max: number): Promise<Buffer>;
  /** OCI 1.1 referrers of a manifest (API or `sha256-<hex>` tag fallback); absent: none. */
  referrers?(digest: string): Promise<ReferrerDescriptor[]>;
}

export interface ReferrerDescriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  artifactType?: string;
}

/** Keyless trust: who must have signed, per a Sigstore trusted root supplied by the user (offline). */
export interface KeylessPolicy {
  /** exact certificate SAN (email or URI), like cosign's --certificate-identity */
  identity: string;
  /** exact OIDC issuer from the Fulcio certificate extension, like --certificate-oidc-issuer */
  issuer: string;
  /** trusted_root.json text (Sigstore TrustedRoot, protobuf JSON) */
  trustedRoot: string;
  /** names the trusted root in error messages (its file) */
  trustedRootSource?: string;
}

/** Why an image failed verification (exit 1 in `airbag verify`). */
export type VerificationFailure =
  /** no `sha256-<hex>.sig` tag, or a signature manifest without cosign layers */
  | "no-signature"
  /** no signature verifies with the key: wrong key, or payload/signature modified */
  | "bad-signature"
  /** a signature verifies but names another image digest (signature copied to another image) */
  | "digest-mismatch"
  /** a signature verifies but its payload is not a cosign container image signature */
  | "invalid-payload"
  /** a Sigstore bundle verifies but its certificate names another identity or issuer */
  | "untrusted-signer";

/** One signature that verified, with what its payload says. */
export interface VerifiedSignature {
  /** `cosign`: legacy `.sig` tag with a key; `sigstore-bundle`: a v0.3 bundle referrer */
  kind: "cosign" | "sigstore-bundle";
  /** `critical.image.docker-manifest-digest` (equals the image digest) */
  digest: string;
  /** `critical.identity.docker-reference`: informational, cosign does not check it */
  dockerReference?: string;
  /** `optional.creator` (skopeo/podman write `containers/image <version>`) */
  creator?: string;
  /** `optional.timestamp` as ISO 8601 when present */
  timestamp?: string;
  /** digest of the signature layer (the payload blob, or the bundle blob) */
  payloadDigest: string;
  /** SHA-256 of the verifying key's SubjectPublicKeyInfo, hex */
  keyFingerprint: string;
  /** the layer carries a Rekor bundle; key-based verification does not check it (offline) */
  hasTlogBundle?: boolean;
  /** keyless: certificate SAN and OIDC issuer that matched the policy */
  identity?: string;
  issuer?: string;
}

export interface VerificationResult {
  /** the reference as given */
  reference: string;
  /** manifest digest the reference resolved to (what a signature must name) */
  digest: string;
  /** where signatures were looked up: the `sha256-<hex>.sig` tag, or `referrers` */
  signatureTag: string;
  verified: boolean;
  /** present when verified */
  signatures: VerifiedSignature[];
  /** present when not verified */
  failure?: VerificationFailure;
  /** one line saying why, when not verified */
  reason?: string;
}
