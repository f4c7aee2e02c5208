import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeOciLayout } from "./image-builder.js";
import { pushLayout, type RunningRegistry } from "./registry.js";

/**
 * A private, offline Sigstore for tests, built with openssl: a root CA standing in for Fulcio
 * (leaf certificates carry the signer's SAN and the Fulcio issuer extensions 1.3.6.1.4.1.57264.1.1
 * and .1.8), an RFC 3161 timestamp authority (`openssl ts -reply`), and a trusted_root.json naming
 * both. Bundles are v0.3 DSSE bundles over in-toto statements, signed by openssl, as cosign v3 makes
 * them; no transparency log (the trusted root lists none, so none is required).
 */

const run = promisify(execFile);
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const IN_TOTO = "application/vnd.in-toto+json";

export interface TestSigner {
  key: string;
  cert: string;
}

export interface TestSigstore {
  dir: string;
  trustedRoot: string;
  /** a Fulcio-like leaf certificate for `identity` (email) vouched for by `issuer` */
  signer(identity: string, issuer: string): Promise<TestSigner>;
  /** a v0.3 bundle: DSSE over `statement`, timestamped by the TSA unless `timestamp: false` */
  bundle(statement: Buffer, signer: TestSigner, opts?: { timestamp?: boolean }): Promise<Buffer>;
}

const TSA_CONF = `[tsa]
default_tsa = tsa1
[tsa1]
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.crt
certs = ./root.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

async function issue(dir: string, name: string, extensions: string[]): Promise<TestSigner> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await run(
    "openssl",
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
      "-keyout",
      key,
      "-out",
      join(dir, `${name}.csr`),
      "-subj",
      `/O=airbag-test/CN=${name}`,
    ]),
  );
  await writeFile(ext, `${extensions.join("\n")}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`);
  await run(
    "openssl",
    ["x509", "-req", "-in", join(dir, `${name}.csr`), "-CA", join(dir, "root.crt")].concat([
      "-CAkey",
      join(dir, "root.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      cert,
    ]),
  );
  return { key, cert };
}

const derOf = async (pemFile: string) => new X509Certificate(await readFile(pemFile)).raw;

export async function createTestSigstore(parent: string): Promise<TestSigstore> {
  const dir = await mkdtemp(join(parent, "sigstore-"));
  await run(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat(
      ["-keyout", join(dir, "root.key"), "-out", join(dir, "root.crt"), "-days", "2"],
      ["-subj", "/O=airbag-test/CN=test-fulcio-root", "-addext", "basicConstraints=critical,CA:TRUE"],
      ["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ),
  );
  await issue(dir, "tsa", ["keyUsage=critical,digitalSignature", "extendedKeyUsage=critical,timeStamping"]);
  await writeFile(join(dir, "tsa.cnf"), TSA_CONF);
  await writeFile(join(dir, "tsaserial"), "01\n");
  const authority = async (files: string[]) => ({
    subject: { organization: "airbag-test", commonName: files[0] },
    uri: "https://airbag-test.invalid",
    certChain: {
      certificates: await Promise.all(
        files.map(async (f) => ({ rawBytes: (await derOf(join(dir, f))).toString("base64") })),
      ),
    },
    validFor: { start: "2020-01-01T00:00:00Z" },
  });
  const trustedRoot = join(dir, "trusted_root.json");
  await writeFile(
    trustedRoot,
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [await authority(["root.crt"])],
      timestampAuthorities: [await authority(["tsa.crt", "root.crt"])],
    }),
  );
  let n = 0;
  return {
    dir,
    trustedRoot,
    signer: (identity, issuer) =>
      issue(dir, `leaf${++n}`, [
        `subjectAltName=email:${identity}`,
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=codeSigning",
        `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(issuer).toString("hex")}`,
        `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${issuer}`,
      ]),
    async bundle(statement, signer, opts = {}) {
      const id = `b${++n}`;
      // DSSE pre-authentication encoding is what gets signed
      const pae = Buffer.concat([
        Buffer.from(`DSSEv1 ${IN_TOTO.length} ${IN_TOTO} ${statement.length} `),
        statement,
      ]);
      await writeFile(join(dir, `${id}.pae`), pae);
      await run("openssl", [
        "dgst",
        "-sha256",
        "-sign",
        signer.key,
        "-out",
        join(dir, `${id}.sig`),
        join(dir, `${id}.pae`),
      ]);
      const sig = await readFile(join(dir, `${id}.sig`));
      const timestamps = [];
      if (opts.timestamp !== false) {
        // the TSA timestamps the signature bytes
        await run("openssl", [
          "ts",
          "-query",
          "-data",
          join(dir, `${id}.sig`),
          "-sha256",
          "-cert",
          "-out",
          join(dir, `${id}.tsq`),
        ]);
        await run(
          "openssl",
          ["ts", "-reply", "-queryfile", join(dir, `${id}.tsq`), "-config", "tsa.cnf", "-out", `${id}.tsr`],
          { cwd: dir },
        );
        timestamps.push({ signedTimestamp: (await readFile(join(dir, `${id}.tsr`))).toString("base64") });
      }
      return Buffer.from(
        JSON.stringify({
          mediaType: BUNDLE_TYPE,
          verificationMaterial: {
            certificate: { rawBytes: (await derOf(signer.cert)).toString("base64") },
            tlogEntries: [],
            timestampVerificationData: { rfc3161Timestamps: timestamps },
          },
          dsseEnvelope: {
            payload: statement.toString("base64"),
            payloadType: IN_TOTO,
            signatures: [{ sig: sig.toString("base64"), keyid: "" }],
          },
        }),
      );
    },
  };
}

/** The in-toto statement `cosign sign` (v3) puts in its bundle. */
export function cosignStatement(
  digest: string,
  name: string,
  predicateType = "https://sigstore.dev/cosign/sign/v1",
): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name, digest: { sha256: digest.replace(/^sha256:/, "") } }],
      predicateType,
      predicate: {},
    }),
  );
}

/**
 * Attach bundles to an image the way cosign v3 does on a registry without the referrers API (the
 * OCI 1.1 referrers tag schema): one manifest per bundle (artifactType = bundle type, empty config,
 * `subject` = the image), pushed by skopeo, and an index at tag `sha256-<hex>` listing them with their
 * artifactType, PUT as is. `index: "skopeo"` lets skopeo push everything instead: it re-serialises
 * the index and drops `artifactType` from the descriptors, as older tools do.
 */
export async function attachBundles(
  reg: RunningRegistry,
  parent: string,
  repo: string,
  image: { digest: string; size: number; mediaType: string },
  bundles: Buffer[],
  opts: { index?: "http" | "skopeo" } = {},
): Promise<void> {
  const empty = Buffer.from("{}");
  const emptyBlob = { data: empty, digest: sha256(empty), size: empty.length };
  const manifests: Buffer[] = [];
  for (const [i, b] of bundles.entries()) {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: BUNDLE_TYPE,
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: emptyBlob.digest, size: 2 },
        layers: [{ mediaType: BUNDLE_TYPE, digest: sha256(b), size: b.length }],
        subject: image,
        annotations: {
          "dev.sigstore.bundle.content": "dsse-envelope",
          "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
        },
      }),
    );
    manifests.push(manifest);
    if (opts.index === "skopeo") continue;
    const dir = await mkdtemp(join(parent, "bundle-"));
    await writeOciLayout(
      dir,
      {
        manifest: { data: manifest, digest: sha256(manifest), size: manifest.length },
        config: emptyBlob,
        layers: [{ data: b, digest: sha256(b), size: b.length, diffId: "" }],
      },
      "b",
    );
    await pushLayout(reg, dir, `${repo}:bundle-${sha256(b).slice(7, 19)}-${i}`, { tag: "b" });
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: manifests.map((m) => ({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha256(m),
        size: m.length,
        artifactType: BUNDLE_TYPE,
      })),
    }),
  );
  const tag = image.digest.replace(":", "-");
  if (opts.index !== "skopeo") {
    const res = await fetch(`http://${reg.address}/v2/${repo}/manifests/${tag}`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
      body: index,
    });
    if (res.status !== 201) throw new Error(`PUT referrers index: HTTP ${res.status} ${await res.text()}`);
    return;
  }
  const dir = await mkdtemp(join(parent, "referrers-"));
  await writeOciLayout(
    dir,
    {
      manifest: { data: index, digest: sha256(index), size: index.length },
      config: emptyBlob,
      layers: [...bundles, ...manifests].map((data) => ({
        data,
        digest: sha256(data),
        size: data.length,
        diffId: "",
      })),
    },
    "r",
  );
  // writeOciLayout describes the top manifest as an image manifest; it is an index here
  const indexJson = join(dir, "index.json");
  const text = await readFile(indexJson, "utf8");
  await writeFile(
    indexJson,
    text.replace("application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"),
  );
  await pushLayout(reg, dir, `${repo}:${tag}`, { tag: "r", all: true });
}
