import { execFileSync } from "node:child_process";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { decryptPrivateKey, generateCosignKeyPair, keyFingerprint, loadPublicKey } from "./cosign-key.js";

describe("cosign key files", () => {
  it("generates an encrypted P-256 key whose private half signs what the public half verifies", () => {
    const pair = generateCosignKeyPair("s3cret");
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    // the PEM body is the go-securesystemslib JSON envelope cosign writes
    const body = pair.privateKeyPem.split("\n").slice(1, -2).join("");
    const json = JSON.parse(Buffer.from(body, "base64").toString());
    expect(json.kdf).toMatchObject({ name: "scrypt", params: { N: 32768, r: 8, p: 1 } });
    expect(Buffer.from(json.kdf.salt, "base64")).toHaveLength(32);
    expect(json.cipher.name).toBe("nacl/secretbox");
    expect(Buffer.from(json.cipher.nonce, "base64")).toHaveLength(24);

    const priv = decryptPrivateKey(pair.privateKeyPem, "s3cret", "cosign.key");
    expect(priv.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const pub = loadPublicKey(pair.publicKeyPem, "cosign.pub");
    const sig = sign("sha256", Buffer.from("payload"), priv);
    expect(verify("sha256", Buffer.from("payload"), pub, sig)).toBe(true);
  });

  it("refuses a wrong passphrase and a non-cosign PEM with an input error naming the file", () => {
    const pair = generateCosignKeyPair("right");
    expect(() => decryptPrivateKey(pair.privateKeyPem, "wrong", "k.key")).toThrow(/k\.key: wrong passphrase/);
    expect(() => decryptPrivateKey(pair.publicKeyPem, "right", "k.key")).toThrow(AirbagError);
    const garbage =
      "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    expect(() => decryptPrivateKey(garbage, "x", "k.key")).toThrow(/not JSON/);
  });

  it("an empty passphrase works (cosign allows it)", () => {
    const pair = generateCosignKeyPair("");
    expect(decryptPrivateKey(pair.privateKeyPem, "", "k").asymmetricKeyType).toBe("ec");
  });

  it("reads an openssl-generated P-256 public key; refuses P-384, private keys and junk", () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-key-"));
    execFileSync("openssl", [
      "ecparam",
      "-name",
      "prime256v1",
      "-genkey",
      "-noout",
      "-out",
      join(dir, "k.pem"),
    ]);
    execFileSync("openssl", ["ec", "-in", join(dir, "k.pem"), "-pubout", "-out", join(dir, "pub.pem")], {
      stdio: "ignore",
    });
    const pub = loadPublicKey(readFileSync(join(dir, "pub.pem"), "utf8"), "pub.pem");
    expect(keyFingerprint(pub)).toMatch(/^[0-9a-f]{64}$/);

    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    const p384Pem = p384.publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => loadPublicKey(p384Pem, "p384.pub")).toThrow(/p384\.pub: ECDSA key on secp384r1/);
    expect(() => loadPublicKey(readFileSync(join(dir, "k.pem"), "utf8"), "k.pem")).toThrow(
      /k\.pem: not a PEM public key/,
    );
    expect(() =>
      loadPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "j.pub"),
    ).toThrow(/j\.pub: unreadable public key/);
  });
});
