import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyImage } from "../../src/image/trust/index.js";
import { buildImage, writeOciLayout } from "../support/image-builder.js";
import { pushLayout, type RunningRegistry, registrySkipReason, startRegistry } from "../support/registry.js";
import { airbagVerifyCli } from "../support/verify-cli.js";

/**
 * `airbag verify` against real components: the Debian docker-registry on loopback, images pushed by
 * skopeo, keys made and payloads signed by openssl, cosign signature manifests pushed by skopeo, and
 * a signature *written by containers/image itself* (skopeo copying a signed image with
 * `use-sigstore-attachments`). Debian's skopeo/podman are built with sigstore signing and
 * verification disabled ("Debian-local change: sigstore disabled"), so they cannot sign here; openssl
 * makes the ECDSA P-256 signatures instead, over payloads written per cosign's SIGNATURE_SPEC.
 */

const run = promisify(execFile);
const skip = registrySkipReason();
if (skip) console.warn(`[integration/verify] skipped: ${skip}`);

const SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const sigTag = (digest: string) => `${digest.replace(":", "-")}.sig`;

let reg: RunningRegistry;
let tmp: string;
let key: string; // openssl EC private key
let pub: string; // its public key (cosign.pub format)
let otherPub: string;

async function opensslKeyPair(name: string): Promise<{ key: string; pub: string }> {
  const k = join(tmp, `${name}.pem`);
  const p = join(tmp, `${name}.pub`);
  await run("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", k]);
  await run("openssl", ["ec", "-in", k, "-pubout", "-out", p]);
  return { key: k, pub: p };
}

/** Push a small image (distinct `content`) to REPO:TAG with skopeo; return its digest as skopeo sees it. */
async function pushImage(repoTag: string, content: string): Promise<string> {
  const img = await buildImage({ layers: [{ "etc/motd": content }] });
  const dir = await mkdtemp(join(tmp, "img-"));
  await writeOciLayout(dir, img, "t");
  await pushLayout(reg, dir, repoTag, { tag: "t" });
  const { stdout } = await run("skopeo", [
    "inspect",
    "--tls-verify=false",
    "--format",
    "{{.Digest}}",
    `docker://${reg.address}/${repoTag}`,
  ]);
  return stdout.trim();
}

/** The payload cosign / containers/image sign (SIGNATURE_SPEC.md "simple signing"). */
function payloadFor(digest: string, reference: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": reference },
        image: { "docker-manifest-digest": digest },
        type: "cosign container image signature",
      },
      optional: { creator: "airbag interop test", timestamp: 1764000000 },
    }),
  );
}

async function opensslSign(payload: Buffer, privateKey: string): Promise<string> {
  const f = join(tmp, `payload-${sha256(payload).slice(7, 19)}`);
  await writeFile(f, payload);
  await run("openssl", ["dgst", "-sha256", "-sign", privateKey, "-out", `${f}.sig`, f]);
  return (await readFile(`${f}.sig`)).toString("base64");
}

/** A cosign signature manifest (one layer per signature) pushed by skopeo to REPO:sha256-<hex>.sig. */
async function pushSignatures(
  repo: string,
  forDigest: string,
  sigs: { payload: Buffer; signature: string }[],
) {
  const config = Buffer.from(
    JSON.stringify({ architecture: "", os: "", config: {}, rootfs: { type: "layers", diff_ids: [] } }),
  );
  const layers = sigs.map((s) => ({
    data: s.payload,
    digest: sha256(s.payload),
    size: s.payload.length,
    diffId: "",
  }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: sha256(config),
        size: config.length,
      },
      layers: sigs.map((s, i) => ({
        mediaType: SIMPLESIGNING,
        digest: layers[i]!.digest,
        size: layers[i]!.size,
        annotations: { "dev.cosignproject.cosign/signature": s.signature },
      })),
    }),
  );
  const dir = await mkdtemp(join(tmp, "sig-"));
  await writeOciLayout(
    dir,
    {
      manifest: { data: manifest, digest: sha256(manifest), size: manifest.length },
      config: { data: config, digest: sha256(config), size: config.length },
      layers,
    },
    "s",
  );
  await pushLayout(reg, dir, `${repo}:${sigTag(forDigest)}`, { tag: "s" });
}

/** A signed image in its own repository: REPO:v1 plus its openssl-made signature. */
async function signedImage(
  repo: string,
): Promise<{ ref: string; digest: string; payload: Buffer; signature: string }> {
  const digest = await pushImage(`${repo}:v1`, `signed ${repo}\n`);
  const payload = payloadFor(digest, `${reg.address}/${repo}`);
  const signature = await opensslSign(payload, key);
  await pushSignatures(repo, digest, [{ payload, signature }]);
  return { ref: `registry:${reg.address}/${repo}:v1`, digest, payload, signature };
}

const verifyCli = (...args: string[]) => airbagVerifyCli("verify", ...args);

describe.skipIf(skip)("airbag verify against a real registry", () => {
  beforeAll(async () => {
    reg = await startRegistry();
    tmp = await mkdtemp(join(tmpdir(), "airbag-verify-"));
    ({ key, pub } = await opensslKeyPair("signer"));
    otherPub = (await opensslKeyPair("stranger")).pub;
  }, 60_000);

  afterAll(async () => {
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("a signed image verifies: exit 0, digest and signer printed", async () => {
    const s = await signedImage("app-ok");
    const r = await verifyCli(s.ref, "--key", pub);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Verified ${reg.address}/app-ok:v1`);
    expect(r.stdout).toContain(`digest      ${s.digest}`);
    expect(r.stdout).toContain("signed by   airbag interop test, 2025-11-24T16:00:00.000Z");
    // by digest, JSON
    const j = await verifyCli(`${reg.address}/app-ok@${s.digest}`, "--key", pub, "-f", "json");
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ verified: true, digest: s.digest, signatureTag: sigTag(s.digest) });
    expect(doc.signatures[0]).toMatchObject({
      dockerReference: `${reg.address}/app-ok`,
      payloadDigest: sha256(s.payload),
    });
  });

  it("the signature manifest containers/image writes (skopeo copy with sigstore attachments) verifies", async () => {
    const s = await signedImage("app-src");
    const regd = await mkdtemp(join(tmp, "registries.d-"));
    await writeFile(
      join(regd, "default.yaml"),
      `docker:\n  ${reg.address}:\n    use-sigstore-attachments: true\n`,
    );
    await run("skopeo", [
      "copy",
      "--quiet",
      "--insecure-policy",
      "--registries.d",
      regd,
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${reg.address}/app-src:v1`,
      `docker://${reg.address}/app-copy:v1`,
    ]);
    // skopeo wrote its own signature manifest (its own config blob), carrying our signature layer
    const sig = (repo: string) =>
      fetch(`http://${reg.address}/v2/${repo}/manifests/${sigTag(s.digest)}`, {
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      }).then((res) => res.text());
    const [ours, theirs] = await Promise.all([sig("app-src"), sig("app-copy")]);
    expect(JSON.parse(theirs).layers[0].annotations["dev.cosignproject.cosign/signature"]).toBe(s.signature);
    expect(theirs).not.toBe(ours);
    const r = await verifyCli(`registry:${reg.address}/app-copy:v1`, "--key", pub);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`digest      ${s.digest}`);
  });

  it("a wrong key exits 1 with the reason", async () => {
    const s = await signedImage("app-wrongkey");
    const r = await verifyCli(s.ref, "--key", otherPub);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toMatch(
      /^airbag: .*app-wrongkey:v1: not verified: none of the 1 signature\(s\) .* verifies with the key/,
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unsigned image exits 1: no signature", async () => {
    const digest = await pushImage("app-unsigned:v1", "nobody signed me\n");
    const r = await verifyCli(`registry:${reg.address}/app-unsigned:v1`, "--key", pub);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`not verified: no signature for ${digest} (no ${sigTag(digest)} tag`);
  });

  it("a tampered image exits 1: another image under the signed tag, then the old signature copied to it", async () => {
    const s = await signedImage("app-tamper");
    const evil = await pushImage("app-tamper:v1", "tampered content\n");
    expect(evil).not.toBe(s.digest);
    const r1 = await verifyCli(s.ref, "--key", pub);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`no signature for ${evil}`);
    // copy the genuine signature manifest to the tampered image's signature tag
    await run("skopeo", [
      "copy",
      "--quiet",
      "--insecure-policy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${reg.address}/app-tamper:${sigTag(s.digest)}`,
      `docker://${reg.address}/app-tamper:${sigTag(evil)}`,
    ]);
    const r2 = await verifyCli(s.ref, "--key", pub, "-f", "json");
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`signature is valid but signs ${s.digest}, not the image's ${evil}`);
    expect(JSON.parse(r2.stdout)).toMatchObject({
      verified: false,
      failure: "digest-mismatch",
      digest: evil,
    });
  });

  it("a modified signature payload exits 1: bad signature", async () => {
    const s = await signedImage("app-payload");
    const forged = Buffer.from(s.payload.toString().replace("airbag interop test", "airbag interop tesT"));
    await pushSignatures("app-payload", s.digest, [{ payload: forged, signature: s.signature }]);
    const r = await verifyCli(s.ref, "--key", pub);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not verified: none of the 1 signature\(s\)/);
  });

  it("verifyImage() gives policies the same verdicts", async () => {
    const s = await signedImage("app-lib");
    const pem = await readFile(pub, "utf8");
    expect(await verifyImage(s.ref, { key: pem })).toMatchObject({ verified: true, digest: s.digest });
    expect(await verifyImage(s.ref, { key: await readFile(otherPub, "utf8") })).toMatchObject({
      verified: false,
      failure: "bad-signature",
    });
  });

  it("usage and input errors exit 2 with one line", async () => {
    const s = await signedImage("app-errors");
    const cases: [string[], RegExp][] = [
      [[s.ref], /--key FILE is required/],
      [[s.ref, "--key", join(tmp, "missing.pub")], /--key .*missing\.pub: cannot read \(ENOENT\)/],
      [[s.ref, "--key", key], /not a PEM public key/],
      [["registry:Bad Ref", "--key", pub], /image reference "Bad Ref"/],
      [["oci:/tmp/x", "--key", pub], /verify needs a registry reference/],
      [[`registry:${reg.address}/app-errors:nope`, "--key", pub], /no such image/],
      [["registry:127.0.0.1:1/x:1", "--key", pub], /registry 127\.0\.0\.1:1: cannot connect/],
      [
        [s.ref, "--certificate-identity", "a@b", "--certificate-oidc-issuer", "https://x"],
        /also needs --trusted-root/,
      ],
      [[s.ref, "--key", pub, "-f", "xml"], /--format: unknown format "xml"/],
    ];
    for (const [args, message] of cases) {
      const r = await verifyCli(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim(), args.join(" ")).toMatch(message);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });
});
