import { inputError } from "../../model/index.js";
import { sha256Digest } from "./cosign-signature.js";
import type { SignatureSource } from "./types.js";

/**
 * The manifest digest a signature must name: that of the bytes the registry served for `target`
 * (a tag or a digest), never a header's claim. For an index that is the index digest, which is what
 * cosign signs when given a tag.
 */
export async function resolveImageDigest(
  source: SignatureSource,
  reference: string,
  target: string,
): Promise<string> {
  const image = await source.manifest(target);
  if (!image) throw inputError(`${reference}: no such image in the registry (manifest unknown)`);
  const digest = sha256Digest(image.bytes);
  if (target.startsWith("sha256:") && target !== digest)
    throw inputError(`${reference}: registry returned a manifest with digest ${digest}, not ${target}`);
  return digest;
}
