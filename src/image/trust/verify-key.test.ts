import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import {
  SIGNATURE_ANNOTATION,
  SIMPLESIGNING_MEDIA_TYPE,
  sha256Digest,
  signatureTag,
} from "./cosign-signature.js";
import { simpleSigningPayload } from "./simple-signing.js";
import type { FetchedManifest, SignatureSource } from "./types.js";
import { verifyWithKey } from "./verify-key.js";

/** An in-memory repository: tags → manifests, digests → blobs. */
class MemoryRepo implements SignatureSource {
  tags = new Map<string, Buffer>();
  blobs = new Map<string, Buffer>();
  async manifest(ref: string): Promise<FetchedManifest | undefined> {
    const bytes = ref.startsWith("sha256:")
      ? [...this.tags.values()].find((b) => sha256Digest(b) === ref)
      : this.tags.get(ref);
    return (
      bytes && { bytes, digest: sha256Digest(bytes), mediaType: "application/vnd.oci.image.manifest.v1+json" }
    );
  }
  async blobBytes(digest: string): Promise<Buffer> {
    const b = this.blobs.get(digest);
    if (!b) throw new AirbagError("INPUT", `blob ${digest} unknown`);
    return b;
  }
  putBlob(b: Buffer): string {
    const d = sha256Digest(b);
    this.blobs.set(d, b);
    return d;
  }
  pushImage(tag: string, content: string): string {
    const layer = this.putBlob(Buffer.from(content));
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ digest: layer }] }));
    this.tags.set(tag, m);
    return sha256Digest(m);
  }
  /** writes a cosign signature manifest with one layer per (payload, signature) */
  pushSignatures(
    forDigest: string,
    sigs: { payload: Buffer; signature: string; mediaType?: string }[],
  ): void {
    const layers = sigs.map((s) => ({
      mediaType: s.mediaType ?? SIMPLESIGNING_MEDIA_TYPE,
      digest: this.putBlob(s.payload),
      size: s.payload.length,
      annotations: { [SIGNATURE_ANNOTATION]: s.signature },
    }));
    this.tags.set(signatureTag(forDigest), Buffer.from(JSON.stringify({ schemaVersion: 2, layers })));
  }
}

const p256 = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const cosignSign = (payload: Buffer, key: KeyObject) => sign("sha256", payload, key).toString("base64");

function signedRepo() {
  const keys = p256();
  const repo = new MemoryRepo();
  const digest = repo.pushImage("v1", "image one");
  const payload = simpleSigningPayload(digest, "127.0.0.1:5000/app", {
    creator: "test",
    timestamp: 1700000000,
  });
  repo.pushSignatures(digest, [{ payload, signature: cosignSign(payload, keys.privateKey) }]);
  return { repo, keys, digest, payload };
}

describe("verifyWithKey", () => {
  it("verifies a signed image and reports what the payload says", async () => {
    const { repo, keys, digest } = signedRepo();
    const r = await verifyWithKey(repo, "app:v1", "v1", keys.publicKey);
    expect(r.verified).toBe(true);
    expect(r.digest).toBe(digest);
    expect(r.signatureTag).toBe(`sha256-${digest.slice(7)}.sig`);
    expect(r.signatures).toHaveLength(1);
    expect(r.signatures[0]).toMatchObject({
      digest,
      dockerReference: "127.0.0.1:5000/app",
      creator: "test",
      timestamp: "2023-11-14T22:13:20.000Z",
    });
    // by digest too
    expect((await verifyWithKey(repo, "app@d", digest, keys.publicKey)).verified).toBe(true);
  });

  it("wrong key → bad-signature", async () => {
    const { repo } = signedRepo();
    const r = await verifyWithKey(repo, "app:v1", "v1", p256().publicKey);
    expect(r).toMatchObject({ verified: false, failure: "bad-signature" });
    expect(r.reason).toMatch(/none of the 1 signature\(s\) .* verifies with the key/);
  });

  it("a modified payload (re-uploaded under its new digest) → bad-signature", async () => {
    const { repo, keys, digest, payload } = signedRepo();
    const signature = cosignSign(payload, keys.privateKey);
    const forged = Buffer.from(payload.toString().replace("creator", "Creator"));
    repo.pushSignatures(digest, [{ payload: forged, signature }]);
    expect(await verifyWithKey(repo, "app:v1", "v1", keys.publicKey)).toMatchObject({
      failure: "bad-signature",
    });
  });

  it("a different image under the tag → no-signature; a copied signature → digest-mismatch", async () => {
    const { repo, keys, digest } = signedRepo();
    const other = repo.pushImage("v1", "image two (tampered)");
    const r = await verifyWithKey(repo, "app:v1", "v1", keys.publicKey);
    expect(r).toMatchObject({ verified: false, failure: "no-signature", digest: other });
    expect(r.reason).toContain(`no ${signatureTag(other)} tag`);
    // the attacker copies the old, valid signature manifest to the new image's tag
    repo.tags.set(signatureTag(other), repo.tags.get(signatureTag(digest))!);
    const copied = await verifyWithKey(repo, "app:v1", "v1", keys.publicKey);
    expect(copied).toMatchObject({ verified: false, failure: "digest-mismatch" });
    expect(copied.reason).toContain(`signs ${digest}, not the image's ${other}`);
  });

  it("a signed payload of another type → invalid-payload", async () => {
    const { repo, keys, digest } = signedRepo();
    const atomic = Buffer.from(
      JSON.stringify({
        critical: {
          type: "atomic container signature",
          image: { "docker-manifest-digest": digest },
          identity: {},
        },
      }),
    );
    repo.pushSignatures(digest, [{ payload: atomic, signature: cosignSign(atomic, keys.privateKey) }]);
    expect(await verifyWithKey(repo, "app:v1", "v1", keys.publicKey)).toMatchObject({
      failure: "invalid-payload",
    });
  });

  it("one good signature among bad and foreign layers is enough", async () => {
    const { repo, keys, digest, payload } = signedRepo();
    repo.pushSignatures(digest, [
      { payload, signature: cosignSign(payload, p256().privateKey) },
      { payload, signature: "not base64!" },
      { payload, signature: cosignSign(payload, keys.privateKey), mediaType: "application/octet-stream" },
      { payload, signature: cosignSign(payload, keys.privateKey) },
    ]);
    const r = await verifyWithKey(repo, "app:v1", "v1", keys.publicKey);
    expect(r.verified).toBe(true);
    expect(r.signatures).toHaveLength(1);
  });

  it("Ed25519 and RSA keys verify too (containers/image accepts them)", async () => {
    for (const keys of [
      generateKeyPairSync("ed25519"),
      generateKeyPairSync("rsa", { modulusLength: 2048 }),
    ]) {
      const repo = new MemoryRepo();
      const digest = repo.pushImage("v1", "x");
      const payload = simpleSigningPayload(digest, "r/x");
      const algorithm = keys.privateKey.asymmetricKeyType === "ed25519" ? null : "sha256";
      repo.pushSignatures(digest, [
        { payload, signature: sign(algorithm, payload, keys.privateKey).toString("base64") },
      ]);
      expect((await verifyWithKey(repo, "x", "v1", keys.publicKey)).verified).toBe(true);
    }
  });

  it("signature manifest without cosign layers → no-signature; missing image → input error", async () => {
    const { repo, keys, digest } = signedRepo();
    repo.tags.set(signatureTag(digest), Buffer.from('{"schemaVersion":2,"layers":[]}'));
    expect(await verifyWithKey(repo, "app:v1", "v1", keys.publicKey)).toMatchObject({
      failure: "no-signature",
      reason: expect.stringMatching(/no application\/vnd\.dev\.cosign\.simplesigning\.v1\+json layer/),
    });
    repo.tags.set(signatureTag(digest), Buffer.from("<html>"));
    expect(await verifyWithKey(repo, "app:v1", "v1", keys.publicKey)).toMatchObject({
      failure: "no-signature",
    });
    await expect(verifyWithKey(repo, "app:nope", "nope", keys.publicKey)).rejects.toThrow(
      /app:nope: no such image/,
    );
  });
});
