import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  scryptSync,
} from "node:crypto";
import { inputError } from "../../model/index.js";
import { secretboxOpen, secretboxSeal } from "./secretbox.js";

/**
 * cosign-compatible key files. The private key is PKCS#8 DER sealed the way cosign (through
 * go-securesystemslib's `encrypted` package) does it: scrypt(passphrase, salt) → 32-byte key →
 * NaCl secretbox, wrapped as JSON in an "ENCRYPTED SIGSTORE PRIVATE KEY" PEM block (older cosign wrote
 * "ENCRYPTED COSIGN PRIVATE KEY"; both are read). The public key is a plain PKIX "PUBLIC KEY" PEM.
 * skopeo's `--sign-by-sigstore-private-key` reads exactly this format.
 */

export const SIGSTORE_PRIVATE_KEY_PEM = "ENCRYPTED SIGSTORE PRIVATE KEY";
const PRIVATE_KEY_PEM_TYPES = [SIGSTORE_PRIVATE_KEY_PEM, "ENCRYPTED COSIGN PRIVATE KEY"];

/** cosign's defaults (N=32768, r=8, p=1). */
const SCRYPT = { N: 32768, r: 8, p: 1 };

interface EncryptedKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

export interface CosignKeyPair {
  /** "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----" PEM */
  privateKeyPem: string;
  /** "-----BEGIN PUBLIC KEY-----" PEM (cosign.pub) */
  publicKeyPem: string;
}

function scryptKey(passphrase: Buffer, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  // node refuses scrypt above maxmem (default 32 MiB); 128·N·r bytes plus headroom
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return scryptSync(passphrase, salt, 32, { ...params, maxmem });
}

function pem(type: string, body: Buffer): string {
  const lines = body.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}

/** A new ECDSA P-256 key pair, the private half sealed with `passphrase` (may be empty, as cosign allows). */
export function generateCosignKeyPair(passphrase: string | Buffer): CosignKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    privateKeyPem: encryptPrivateKey(privateKey, passphrase),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export function encryptPrivateKey(privateKey: KeyObject, passphrase: string | Buffer): string {
  const der = privateKey.export({ type: "pkcs8", format: "der" });
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const key = scryptKey(Buffer.from(passphrase), salt, SCRYPT);
  const json: EncryptedKeyJson = {
    kdf: { name: "scrypt", params: SCRYPT, salt: salt.toString("base64") },
    cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
    ciphertext: secretboxSeal(der, nonce, key).toString("base64"),
  };
  return pem(SIGSTORE_PRIVATE_KEY_PEM, Buffer.from(JSON.stringify(json)));
}

/** Opens an encrypted cosign private key; `source` names the file in error messages. */
export function decryptPrivateKey(pemText: string, passphrase: string | Buffer, source: string): KeyObject {
  const m = /-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----/.exec(pemText);
  if (!m || !PRIVATE_KEY_PEM_TYPES.includes(m[1]!))
    throw inputError(`${source}: not an encrypted cosign private key (${SIGSTORE_PRIVATE_KEY_PEM} PEM)`);
  let json: EncryptedKeyJson;
  try {
    json = JSON.parse(Buffer.from(m[2]!.replace(/\s+/g, ""), "base64").toString("utf8"));
  } catch (err) {
    throw inputError(`${source}: encrypted key body is not JSON`, err);
  }
  if (json?.kdf?.name !== "scrypt" || json?.cipher?.name !== "nacl/secretbox")
    throw inputError(
      `${source}: unsupported key encryption ${json?.kdf?.name}/${json?.cipher?.name} (want scrypt/nacl/secretbox)`,
    );
  const { N, r, p } = json.kdf.params ?? {};
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0) || N > 1 << 20 || r > 32 || p > 16)
    throw inputError(`${source}: kdf.params out of range`);
  const key = scryptKey(Buffer.from(passphrase), Buffer.from(json.kdf.salt, "base64"), { N, r, p });
  const nonce = Buffer.from(json.cipher.nonce, "base64");
  if (nonce.length !== 24) throw inputError(`${source}: cipher.nonce must be 24 bytes`);
  const der = secretboxOpen(Buffer.from(json.ciphertext, "base64"), nonce, key);
  if (!der) throw inputError(`${source}: wrong passphrase (or the key file is damaged)`);
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch (err) {
    throw inputError(`${source}: decrypted key is not a PKCS#8 private key`, err);
  }
}

/**
 * Reads a verification key: a PKIX "PUBLIC KEY" PEM (cosign.pub). An ECDSA P-256 key is what cosign
 * requires; RSA and Ed25519 PKIX keys are accepted too (containers/image allows them).
 */
export function loadPublicKey(pemText: string, source: string): KeyObject {
  if (!pemText.includes("-----BEGIN PUBLIC KEY-----"))
    throw inputError(`${source}: not a PEM public key (want "-----BEGIN PUBLIC KEY-----", as in cosign.pub)`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pemText, format: "pem" });
  } catch (err) {
    throw inputError(`${source}: unreadable public key (${(err as Error).message})`, err);
  }
  const type = key.asymmetricKeyType;
  if (type === "ec" && key.asymmetricKeyDetails?.namedCurve !== "prime256v1")
    throw inputError(
      `${source}: ECDSA key on ${key.asymmetricKeyDetails?.namedCurve}; cosign signatures use P-256`,
    );
  if (type !== "ec" && type !== "rsa" && type !== "ed25519")
    throw inputError(`${source}: unsupported key type ${type} (want ECDSA P-256, RSA or Ed25519)`);
  return key;
}

/** Hex SHA-256 fingerprint of the public key's DER, for printing who signed. */
export function keyFingerprint(key: KeyObject): string {
  const der = key.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex");
}
