import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { fakeElf } from "../../src/detect/malware/malware.testutil.js";
import { type BuiltImage, buildImage } from "../support/image-builder.js";

/**
 * The images of test/e2e/detect.test.ts: one holding everything the issue names (planted at test time,
 * so no credential-looking literal lives in the repository), and a real Debian 12 rootfs as an OCI
 * image, the negative control.
 */

/** deterministic "random" text: the same fixture every run, never a real credential */
const derived = (label: string, alphabet: RegExp, n: number): string => {
  let out = "";
  for (let i = 0; out.length < n; i++)
    out += [...createHash("sha512").update(`airbag-e2e-${label}-${i}`).digest("base64")]
      .filter((ch) => alphabet.test(ch))
      .join("");
  return out.slice(0, n);
};

export const AWS_KEY_ID = `AKIA${derived("aws-id", /[A-Z2-7]/, 16)}`;
export const AWS_SECRET = derived("aws-secret", /[A-Za-z0-9/+]/, 40);
export const GITHUB_TOKEN = `ghp_${derived("github", /[A-Za-z0-9]/, 36)}`;
export const POOL = "pool.supportxmr.com:3333";

const AWS_CREDENTIALS = `# written by aws configure
[default]
region = eu-central-1
aws_access_key_id = ${AWS_KEY_ID}
aws_secret_access_key = ${AWS_SECRET}
`;

/** PROTOCOL.key "openssh-key-v1" for an Ed25519 key, cipher none (what `ssh-keygen -N ""` writes). */
function opensshEd25519(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const pub = Buffer.from(jwk.x!, "base64url");
  const str = (b: Buffer | string) => {
    const buf = Buffer.from(b);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(buf.length);
    return Buffer.concat([len, buf]);
  };
  const pubBlob = Buffer.concat([str("ssh-ed25519"), str(pub)]);
  const check = Buffer.from([1, 2, 3, 4, 1, 2, 3, 4]);
  let priv = Buffer.concat([
    check,
    str("ssh-ed25519"),
    str(pub),
    str(Buffer.concat([seed, pub])),
    str("deploy@build"),
  ]);
  const pad = Buffer.from(Array.from({ length: (8 - (priv.length % 8)) % 8 }, (_, i) => i + 1));
  priv = Buffer.concat([priv, pad]);
  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const blob = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    str("none"),
    str("none"),
    str(""),
    nkeys,
    str(pubBlob),
    str(priv),
  ]);
  const body = blob.toString("base64").replace(/.{70}/g, "$&\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.trimEnd()}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export const PKCS8_PEM = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  format: "pem",
  type: "pkcs8",
}) as string;
export const OPENSSH_KEY = opensshEd25519();

/** a file written for this test: an ELF header and the strings xmrig prints, not a program */
const RENAMED_MINER = fakeElf(
  [
    "XMRig/%s libuv/%s%s",
    "'h' hashrate, 'p' pause, 'r' resume",
    "password for mining server",
    "number of hash blocks to process at a time (don't set or 0 enables automatic selection of optimal number of hash blocks)",
  ],
  16_384,
);

const XMRIG_CONFIG = `{
    "autosave": true,
    "donate-level": 1,
    "cpu": { "enabled": true, "huge-pages": true },
    "pools": [
        {
            "url": "${POOL}",
            "user": "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD",
            "pass": "x",
            "rig-id": null,
            "nicehash": false
        }
    ]
}
`;

const OS_RELEASE =
  'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';

/** Every secret planted in the image, whole; none of them may appear in any output. */
export const PLANTED = (): string[] => [
  AWS_KEY_ID,
  AWS_SECRET,
  GITHUB_TOKEN,
  ...[OPENSSH_KEY, PKCS8_PEM].map((k) => k.split("\n").slice(1, -2).join("")),
];

/**
 * Layer 1: AWS credentials (deleted again by layer 2). Layer 2: an OpenSSH and a PKCS#8 key, the
 * renamed miner, its config. Config: a token in Env, a mining ENTRYPOINT.
 */
export function plantedImage(): Promise<BuiltImage> {
  return buildImage({
    layers: [
      { "etc/os-release": OS_RELEASE, "root/.aws/credentials": AWS_CREDENTIALS },
      {
        "root/.aws/.wh.credentials": "",
        "root/.ssh/id_ed25519": { content: OPENSSH_KEY, mode: 0o600 },
        "etc/ssl/private/app.key": { content: `# TLS key of the app\n${PKCS8_PEM}`, mode: 0o600 },
        "usr/local/bin/kworker": { content: RENAMED_MINER, mode: 0o755 },
        "opt/.cache/config.json": XMRIG_CONFIG,
      },
    ],
    config: {
      config: {
        Env: [
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          `GITHUB_TOKEN=${GITHUB_TOKEN}`,
        ],
        Entrypoint: ["/usr/local/bin/kworker", "-o", `stratum+tcp://${POOL}`, "--donate-level", "1"],
      },
    },
  });
}

/**
 * The rootfs as a one-layer OCI image with the config the official debian:12 image has: the layer is
 * GNU tar's own output (uncompressed), hashed as it is written.
 */
export async function debianLayout(rootfs: string, dir: string): Promise<void> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const layerFile = join(dir, "layer.tar");
  await promisify(execFile)("tar", ["-C", rootfs, "--numeric-owner", "--sort=name", "-cf", layerFile, "."]);
  const hash = createHash("sha256");
  for await (const c of createReadStream(layerFile)) hash.update(c as Buffer);
  const layerHex = hash.digest("hex");
  const { size } = await stat(layerFile);
  await rename(layerFile, join(blobs, layerHex));
  const blob = async (value: unknown) => {
    const data = Buffer.from(JSON.stringify(value));
    const hex = createHash("sha256").update(data).digest("hex");
    await writeFile(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const config = await blob({
    architecture: "amd64",
    os: "linux",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["bash"],
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerHex}`] },
    history: [
      { created_by: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1718064000'" },
      { created_by: 'CMD ["bash"]', empty_layer: true },
    ],
  });
  const manifest = await blob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerHex}`, size }],
  });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest }],
    }),
  );
}
