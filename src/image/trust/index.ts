import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AirbagError, inputError } from "../../model/index.js";
import { formatReference, parseReference, referenceTarget } from "../registry/reference.js";
import { loadPublicKey } from "./cosign-key.js";
import { RegistrySignatureSource } from "./registry-source.js";
import { verifyWithBundles } from "./sigstore-bundle.js";
import type { KeylessPolicy, SignatureSource, VerificationResult } from "./types.js";
import { verifyWithKey } from "./verify-key.js";

/**
 * Image trust: cosign-compatible signature verification (`airbag verify`, and the `requireSignature`
 * check of policies). With a key: legacy cosign signatures under the `sha256-<hex>.sig` tag. Keyless:
 * Sigstore bundles attached as OCI referrers, checked offline against a supplied trusted root.
 */

export { decryptPrivateKey, generateCosignKeyPair, keyFingerprint, loadPublicKey } from "./cosign-key.js";
export { signatureTag } from "./cosign-signature.js";
export { COSIGN_SIGN_PREDICATE, verifyWithBundles } from "./sigstore-bundle.js";
export { COSIGN_SIGNATURE_TYPE, simpleSigningPayload } from "./simple-signing.js";
export type * from "./types.js";
export { verifyWithKey } from "./verify-key.js";

export interface VerifyImageOptions {
  /** key-based: a KeyObject or the PEM text of a PKIX public key (cosign.pub) */
  key?: KeyObject | string;
  /** keyless: expected certificate identity and issuer, and the trusted root to check them against */
  keyless?: KeylessPolicy;
  /** plain HTTP / unverified TLS to a non-loopback registry */
  insecure?: boolean;
  /** read from this instead of the registry named by `ref` (tests, other transports) */
  source?: SignatureSource;
}

/** `registry:HOST/REPO:TAG`, `docker://…` or a bare reference → the reference itself. */
export function registryReferenceOf(target: string): string {
  const m = /^(registry:|docker:\/\/)?(.*)$/.exec(target)!;
  const rest = m[2]!;
  if (!m[1] && /^(oci|oci-archive|docker-archive|dir|sbom|engine):/.test(rest))
    throw new AirbagError(
      "USAGE",
      `"${target}": signatures live in a registry; verify needs a registry reference (registry:HOST/REPO:TAG)`,
    );
  return rest;
}

async function readInput(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw inputError(`${flag} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`, err);
  }
}

/** Reads a PEM public key file; unreadable or malformed → input error naming the file. */
export async function loadPublicKeyFile(path: string): Promise<KeyObject> {
  return loadPublicKey(await readInput(path, "--key"), `--key ${path}`);
}

/** Reads a trusted_root.json for keyless verification (parsed and checked when verifying). */
export function readTrustedRootFile(path: string): Promise<string> {
  return readInput(path, "--trusted-root");
}

/**
 * Verifies the signatures of the image `ref` with `opts.key` or against `opts.keyless`. Resolves with
 * the verdict (`verified`, or `failure` + `reason`); rejects only for usage, input and network errors.
 */
export async function verifyImage(ref: string, opts: VerifyImageOptions): Promise<VerificationResult> {
  if (!opts.key === !opts.keyless)
    throw new AirbagError("USAGE", "verify: give either a key or a keyless identity/issuer policy");
  const key = typeof opts.key === "string" ? loadPublicKey(opts.key, "key") : opts.key;
  const parsed = parseReference(registryReferenceOf(ref));
  const target = referenceTarget(parsed);
  const name = formatReference(parsed);
  const run = (source: SignatureSource) =>
    key ? verifyWithKey(source, name, target, key) : verifyWithBundles(source, name, target, opts.keyless!);
  if (opts.source) return run(opts.source);
  const source = new RegistrySignatureSource(parsed, { insecure: opts.insecure });
  try {
    return await run(source);
  } finally {
    await source.close();
  }
}
