import { AirbagError } from "../../model/index.js";
import { RegistryClient, type RegistryClientOptions } from "../registry/index.js";
import type { ImageReference } from "../registry/reference.js";
import type { FetchedManifest, ReferrerDescriptor, SignatureSource } from "./types.js";

/**
 * The registry client seen as a SignatureSource. A 404 on a manifest is an answer ("no such tag"),
 * not an error: verification turns it into "no signature". The client reports it as an INPUT error
 * whose message says "manifest not found (HTTP 404"; that is the only way it tells us today.
 */
export class RegistrySignatureSource implements SignatureSource {
  readonly client: RegistryClient;

  constructor(ref: ImageReference, opts: RegistryClientOptions = {}) {
    this.client = RegistryClient.for(ref, opts);
  }

  async manifest(refOrDigest: string): Promise<FetchedManifest | undefined> {
    try {
      return await this.client.manifest(refOrDigest);
    } catch (err) {
      if (
        err instanceof AirbagError &&
        err.code === "INPUT" &&
        /manifest not found \(HTTP 404\b/.test(err.message)
      )
        return undefined;
      throw err;
    }
  }

  blobBytes(digest: string, max: number): Promise<Buffer> {
    return this.client.blobBytes(digest, max);
  }

  async referrers(digest: string): Promise<ReferrerDescriptor[]> {
    const list = await this.client.referrers(digest);
    return list.map((d) => d as ReferrerDescriptor);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
