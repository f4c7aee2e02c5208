import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { matchPrivateKey } from "./keys.js";
import { builtinSecretRules, parseSecretRules } from "./rules.js";
import { scanBuffer, scanText } from "./secret.testutil.js";

/**
 * Private keys, generated fresh for each run (node:crypto, ssh-keygen when installed) or assembled
 * from the format specs (OpenSSH PROTOCOL.key, OpenPGP packets), in every armour they are found in.
 */

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ed = generateKeyPairSync("ed25519");
const pem = (key: typeof rsa.privateKey, type: "pkcs1" | "pkcs8" | "sec1", passphrase?: string): string =>
  key.export({ type, format: "pem", ...(passphrase ? { cipher: "aes-256-cbc", passphrase } : {}) }) as string;

const wrap = (b64: string): string => b64.match(/.{1,70}/g)!.join("\n");
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const sshString = (s: string | Buffer): Buffer => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);

/** An OpenSSH private key (PROTOCOL.key): magic, cipher, kdf, then key material we do not parse. */
function openssh(cipher: string): string {
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString(cipher),
    sshString(cipher === "none" ? "none" : "bcrypt"),
    sshString(cipher === "none" ? "" : Buffer.alloc(24, 7)),
    u32(1),
    sshString(ed.publicKey.export({ type: "spki", format: "der" })),
    sshString(ed.privateKey.export({ type: "pkcs8", format: "der" })),
  ]);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${wrap(body.toString("base64"))}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

const mpi = (bits: number, fill: number): Buffer =>
  Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), Buffer.alloc((bits + 7) >> 3, fill)]);

/** An armoured OpenPGP secret key: one v4 secret-key packet (RFC 9580 §5.5.3) with the given S2K usage. */
function pgp(usage: number, algo: "rsa" | "eddsa", oldFormat = false): string {
  const pub =
    algo === "rsa"
      ? Buffer.concat([Buffer.from([1]), mpi(2048, 0xc3), mpi(17, 0x01)])
      : Buffer.concat([
          Buffer.from([22, 9, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]),
          mpi(263, 0x40),
        ]);
  const body = Buffer.concat([
    Buffer.from([4, 0x65, 0x00, 0x00, 0x00]),
    pub,
    Buffer.from([usage]),
    Buffer.alloc(300, 0x5a),
  ]);
  const header = oldFormat
    ? Buffer.from([0x80 | (5 << 2) | 1, body.length >> 8, body.length & 0xff])
    : Buffer.from([0xc0 | 5, 192 + ((body.length - 192) >> 8), (body.length - 192) & 0xff]);
  const armour = wrap(Buffer.concat([header, body]).toString("base64"));
  return `-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: airbag test\n\n${armour}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----\n`;
}

describe("private keys", () => {
  const severity = (id: string) => builtinSecretRules().rules.find((r) => r.id === id)!.severity;

  const KEYS: [string, string, "private-key" | "private-key-encrypted"][] = [
    ["PKCS#1 RSA", pem(rsa.privateKey, "pkcs1"), "private-key"],
    ["PKCS#1 RSA with Proc-Type: 4,ENCRYPTED", pem(rsa.privateKey, "pkcs1", "pw"), "private-key-encrypted"],
    ["PKCS#8", pem(rsa.privateKey, "pkcs8"), "private-key"],
    ["encrypted PKCS#8", pem(rsa.privateKey, "pkcs8", "pw"), "private-key-encrypted"],
    ["SEC1 EC", pem(ec.privateKey, "sec1"), "private-key"],
    ["Ed25519 PKCS#8", pem(ed.privateKey, "pkcs8"), "private-key"],
    [
      "DSA (traditional label)",
      pem(rsa.privateKey, "pkcs1").replaceAll("RSA PRIVATE", "DSA PRIVATE"),
      "private-key",
    ],
    ["OpenSSH, cipher none", openssh("none"), "private-key"],
    ["OpenSSH, aes256-ctr", openssh("aes256-ctr"), "private-key-encrypted"],
    ["OpenPGP v4 RSA, S2K usage 0", pgp(0, "rsa"), "private-key"],
    ["OpenPGP v4 RSA, S2K usage 254", pgp(254, "rsa"), "private-key-encrypted"],
    ["OpenPGP v4 EdDSA (old packet format), S2K usage 0", pgp(0, "eddsa", true), "private-key"],
    ["OpenPGP v4 EdDSA, S2K usage 254", pgp(254, "eddsa"), "private-key-encrypted"],
  ];

  for (const [name, key, id] of KEYS)
    it(`reports a ${name} key as ${id}, on the BEGIN line, masked`, () => {
      const hits = scanText("srv/app/tls/key.pem", `# deploy key\n\n${key}`);
      expect(hits).toMatchObject([{ id, severity: severity(id), line: 3 }]);
      // at most 4 + 4 characters of the body show, the rest are (at most 32) stars
      expect(hits[0]!.match).toMatch(/^[A-Za-z0-9+/]{4}\*{32}[A-Za-z0-9+/=]{4}$/);
    });

  it("keeps base64 lines that end in '+' (and reads keys split into string literals)", () => {
    const body = `MC4CAQAwBQYDK2VwBCIEI${"Ab3+".repeat(10)}Q7+`;
    expect(body).toHaveLength(64);
    const key = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
    expect(matchPrivateKey(key, 11)?.body).toBe(body);
    const code = `key = "-----BEGIN PRIVATE KEY-----\\n" +\n  "${body.slice(0, 32)}" +\n  "${body.slice(32)}\\n" +\n  "-----END PRIVATE KEY-----"`;
    expect(scanText("srv/app/keys.js", code)).toMatchObject([{ id: "private-key", line: 1 }]);
  });

  it("finds keys inside JSON strings, YAML block scalars and binaries", () => {
    const key = pem(ec.privateKey, "sec1");
    expect(scanText("srv/app/key.json", JSON.stringify({ tls: { key } }))).toMatchObject([
      { id: "private-key", line: 1 },
    ]);
    const yaml = `tls:\n  key: |\n${key.replace(/^/gm, "    ")}`;
    expect(scanText("srv/app/values.yaml", yaml)).toMatchObject([{ id: "private-key", line: 3 }]);
    const binary = Buffer.concat([
      Buffer.from("\x7fELF\x02\x01\x01\0", "latin1"),
      Buffer.alloc(5000),
      Buffer.from(`${key}\0`),
      Buffer.alloc(100),
    ]);
    expect(scanBuffer("usr/local/bin/app", binary)).toMatchObject([{ id: "private-key", line: undefined }]);
  });

  it("finds base64-encoded PEM keys (kubeconfig client-key-data, Kubernetes Secrets), not encrypted ones", () => {
    const b64 = (k: string) => Buffer.from(k).toString("base64");
    const kubeconfig = `users:\n- name: admin\n  user:\n    client-key-data: ${b64(pem(ec.privateKey, "sec1"))}\n`;
    expect(scanText("root/.kube/config", kubeconfig)).toMatchObject([{ id: "private-key", line: 4 }]);
    const encrypted = `data:\n  tls.key: ${b64(pem(rsa.privateKey, "pkcs8", "pw"))}\n`;
    expect(scanText("srv/k8s/secret.yaml", encrypted)).toEqual([]);
    const cert = `data:\n  tls.crt: ${b64("-----BEGIN CERTIFICATE-----\nMIIB".padEnd(200, "A"))}\n`;
    expect(scanText("srv/k8s/secret.yaml", cert)).toEqual([]);
  });

  it("ignores armour without a key body: docs, format strings, public keys", () => {
    const docs = "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n";
    const npm = 'key="-----BEGIN PRIVATE KEY-----\\nXXXX\\nXXXX\\n-----END PRIVATE KEY-----"';
    const pub = ec.publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(scanText("srv/app/README", `${docs}\n${npm}\n${pub}`)).toEqual([]);
    const fmt = Buffer.from("\0-----BEGIN %s PRIVATE KEY-----\n\0-----END %s PRIVATE KEY-----\0", "latin1");
    expect(scanBuffer("usr/bin/tool", Buffer.concat([Buffer.from("\x7fELF", "latin1"), fmt]))).toEqual([]);
  });

  it("keeps keys generated at package install, re-rated with the reason", () => {
    const key = pem(rsa.privateKey, "pkcs8");
    expect(scanText("etc/ssl/private/ssl-cert-snakeoil.key", key)).toMatchObject([
      { id: "private-key", severity: "low", evidence: expect.stringMatching(/ssl-cert/) },
    ]);
    expect(scanText("etc/ssh/ssh_host_ed25519_key", openssh("none"))).toMatchObject([
      { id: "private-key", severity: "high", evidence: expect.stringMatching(/every container/) },
    ]);
  });

  it("lets vendor test keys pass only in the vendor's own test directory", () => {
    const key = pem(rsa.privateKey, "pkcs8");
    expect(scanText("usr/lib/python3.11/test/keycert.pem", key)).toEqual([]);
    expect(scanText("usr/lib/python3.11/site-packages/app/keycert.pem", key)).toHaveLength(1);
    expect(scanText("srv/app/test/keycert.pem", key)).toHaveLength(1);
  });

  it("lets a known key pass by fingerprint, wherever it is", () => {
    const key = pem(ec.privateKey, "sec1");
    const body = key
      .split("\n")
      .filter((l) => l && !l.startsWith("-----"))
      .join("");
    const fingerprint = createHash("sha256").update(body).digest("hex");
    expect(matchPrivateKey(key, 11, true)?.fingerprint).toBe(fingerprint);
    const pack = parseSecretRules(
      readFileSync(new URL("../../../data/rules/secrets.yaml", import.meta.url), "utf8").replace(
        "allow:\n",
        `allow:\n  - {id: known, reason: test, rules: [private-key], fingerprints: [${fingerprint}]}\n`,
      ),
      "test",
    );
    expect(scanText("srv/anywhere.pem", key, { rules: pack })).toEqual([]);
    expect(scanText("srv/anywhere.pem", pem(rsa.privateKey, "pkcs8"), { rules: pack })).toHaveLength(1);
  });

  it.skipIf(!hasTool("ssh-keygen"))("classifies keys made by ssh-keygen", () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-ssh-"));
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "clear")]);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "correct horse", "-f", join(dir, "locked")]);
      expect(scanText("root/.ssh/id_ed25519", readFileSync(join(dir, "clear"), "utf8"))).toMatchObject([
        { id: "private-key" },
      ]);
      expect(scanText("root/.ssh/id_ed25519", readFileSync(join(dir, "locked"), "utf8"))).toMatchObject([
        { id: "private-key-encrypted", evidence: expect.stringMatching(/cipher aes256-ctr/) },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function hasTool(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
