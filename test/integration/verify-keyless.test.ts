import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, writeOciLayout } from "../support/image-builder.js";
import { pushLayout, type RunningRegistry, registrySkipReason, startRegistry } from "../support/registry.js";
import {
  attachBundles,
  cosignStatement,
  createTestSigstore,
  type TestSigstore,
} from "../support/sigstore-signer.js";
import { airbagVerifyCli } from "../support/verify-cli.js";

/**
 * Keyless `airbag verify` (cosign v3 style): Sigstore v0.3 bundles attached to images in the real
 * Debian docker-registry as OCI 1.1 referrers (tag-schema fallback: distribution 2.8 has no referrers
 * API), checked offline by @sigstore/verify against a trusted root from a private openssl PKI
 * (Fulcio-like CA + RFC 3161 TSA).
 */

const run = promisify(execFile);
const skip = registrySkipReason();
if (skip) console.warn(`[integration/verify-keyless] skipped: ${skip}`);

const ID = "release@example.test";
const ISSUER = "https://issuer.example.test";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

let reg: RunningRegistry;
let tmp: string;
let sigstore: TestSigstore;

/** Push a small image; return its manifest descriptor as the registry serves it. */
async function pushImage(repoTag: string, content: string) {
  const img = await buildImage({ layers: [{ "etc/motd": content }] });
  const dir = await mkdtemp(join(tmp, "img-"));
  await writeOciLayout(dir, img, "t");
  await pushLayout(reg, dir, repoTag, { tag: "t" });
  const { stdout } = await run(
    "skopeo",
    ["inspect", "--raw", "--tls-verify=false", `docker://${reg.address}/${repoTag}`],
    {
      encoding: "buffer",
    },
  );
  const raw = stdout as Buffer;
  return { digest: sha256(raw), size: raw.length, mediaType: JSON.parse(raw.toString()).mediaType as string };
}

const keyless = (ref: string, ...extra: string[]) =>
  airbagVerifyCli(
    "verify",
    ref,
    "--certificate-identity",
    ID,
    "--certificate-oidc-issuer",
    ISSUER,
    "--trusted-root",
    sigstore.trustedRoot,
    ...extra,
  );

describe.skipIf(skip)("airbag verify, keyless (Sigstore bundles as OCI referrers)", () => {
  beforeAll(async () => {
    reg = await startRegistry();
    tmp = await mkdtemp(join(tmpdir(), "airbag-keyless-"));
    sigstore = await createTestSigstore(tmp);
  }, 60_000);

  afterAll(async () => {
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("a bundle signed by the expected identity verifies: exit 0, signer printed", async () => {
    const image = await pushImage("kl-ok:v1", "keyless ok\n");
    const signer = await sigstore.signer(ID, ISSUER);
    const bundle = await sigstore.bundle(cosignStatement(image.digest, `${reg.address}/kl-ok`), signer);
    await attachBundles(reg, tmp, "kl-ok", image, [bundle]);
    const r = await keyless(`registry:${reg.address}/kl-ok:v1`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`digest      ${image.digest}`);
    expect(r.stdout).toContain(`signer      ${ID} (issuer ${ISSUER})`);
    const j = await keyless(`registry:${reg.address}/kl-ok:v1`, "-f", "json");
    expect(JSON.parse(j.stdout).signatures[0]).toMatchObject({
      kind: "sigstore-bundle",
      identity: ID,
      issuer: ISSUER,
      payloadDigest: sha256(bundle),
    });
  });

  it("another identity or issuer exits 1: untrusted signer", async () => {
    const image = await pushImage("kl-who:v1", "keyless who\n");
    const mallory = await sigstore.signer("mallory@example.test", ISSUER);
    const otherIssuer = await sigstore.signer(ID, "https://evil.example.test");
    await attachBundles(reg, tmp, "kl-who", image, [
      await sigstore.bundle(cosignStatement(image.digest, "x"), mallory),
      await sigstore.bundle(cosignStatement(image.digest, "x"), otherIssuer),
    ]);
    const r = await keyless(`registry:${reg.address}/kl-who:v1`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not verified: bundle sha256:[0-9a-f]{64} is validly signed, but by /);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a bundle for another image, an attestation, a forged payload and a missing timestamp each exit 1", async () => {
    const signer = await sigstore.signer(ID, ISSUER);
    const otherDigest = `sha256:${"0".repeat(64)}`;
    const cases: [(digest: string) => Promise<Buffer>, RegExp][] = [
      [
        () => sigstore.bundle(cosignStatement(otherDigest, "x"), signer),
        /its subject is sha256:0{64}, not the image's/,
      ],
      [
        (d) => sigstore.bundle(cosignStatement(d, "x", "https://slsa.dev/provenance/v1"), signer),
        /predicateType "https:\/\/slsa\.dev\/provenance\/v1" is not https:\/\/sigstore\.dev\/cosign\/sign\/v1/,
      ],
      [
        (d) => sigstore.bundle(cosignStatement(d, "x"), signer, { timestamp: false }),
        /expected 1 timestamps, got 0/,
      ],
      [
        // forged: a genuine bundle for another image whose statement is swapped after signing
        async (d) => {
          const genuine = JSON.parse(
            (await sigstore.bundle(cosignStatement(otherDigest, "x"), signer)).toString(),
          );
          genuine.dsseEnvelope.payload = cosignStatement(d, "x").toString("base64");
          return Buffer.from(JSON.stringify(genuine));
        },
        /signature verification failed/,
      ],
    ];
    for (const [i, [make, reason]] of cases.entries()) {
      const repo = `kl-bad${i}`;
      const img = await pushImage(`${repo}:v1`, `keyless bad ${i}\n`);
      await attachBundles(reg, tmp, repo, img, [await make(img.digest)]);
      const r = await keyless(`registry:${reg.address}/${repo}:v1`);
      expect(r.code, String(reason)).toBe(1);
      expect(r.stderr, String(reason)).toMatch(reason);
    }
  });

  it("an index re-serialised without artifactType (skopeo --all) still leads to the bundle", async () => {
    const image = await pushImage("kl-skopeo:v1", "keyless skopeo\n");
    const signer = await sigstore.signer(ID, ISSUER);
    const bundle = await sigstore.bundle(cosignStatement(image.digest, "x"), signer);
    await attachBundles(reg, tmp, "kl-skopeo", image, [bundle], { index: "skopeo" });
    const index = await fetch(
      `http://${reg.address}/v2/kl-skopeo/manifests/${image.digest.replace(":", "-")}`,
      {
        headers: { accept: "application/vnd.oci.image.index.v1+json" },
      },
    ).then((res) => res.text());
    expect(index).not.toContain("artifactType");
    const r = await keyless(`registry:${reg.address}/kl-skopeo:v1`);
    expect(r.code).toBe(0);
  });

  it("an image without bundles exits 1; a CA the trusted root does not know exits 1", async () => {
    const image = await pushImage("kl-none:v1", "keyless none\n");
    const none = await keyless(`registry:${reg.address}/kl-none:v1`);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no Sigstore bundle refers to ${image.digest}`);

    const stranger = await createTestSigstore(tmp);
    const outsider = await stranger.signer(ID, ISSUER);
    await attachBundles(reg, tmp, "kl-none", image, [
      await stranger.bundle(cosignStatement(image.digest, "x"), outsider),
    ]);
    const r = await keyless(`registry:${reg.address}/kl-none:v1`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /not verified: bundle .*: (timestamp could not be verified|Failed to verify certificate chain)/,
    );
  });

  it("a broken trusted root is an input error (exit 2) before any registry access", async () => {
    const r = await airbagVerifyCli(
      "verify",
      "registry:127.0.0.1:1/x:1",
      "--certificate-identity",
      ID,
      "--certificate-oidc-issuer",
      ISSUER,
      "--trusted-root",
      join(sigstore.dir, "root.crt"),
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^airbag: --trusted-root .*root\.crt: not JSON/);
  });
});
