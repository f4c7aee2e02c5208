import { createHash } from "node:crypto";
import { inputError } from "../model/index.js";

const ALGORITHMS: Record<string, { node: string; hexLen: number }> = {
  sha256: { node: "sha256", hexLen: 64 },
  sha512: { node: "sha512", hexLen: 128 },
};

/** Split and validate `alg:hex` (OCI image spec "Digests"); unsupported or malformed is an input error. */
export function parseDigest(digest: string, where: string): { alg: string; hex: string; node: string } {
  const i = digest.indexOf(":");
  const alg = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const spec = ALGORITHMS[alg];
  if (i < 0 || !spec) throw inputError(`${where}: unsupported or malformed digest "${digest}"`);
  if (hex.length !== spec.hexLen || !/^[0-9a-f]+$/.test(hex))
    throw inputError(`${where}: malformed ${alg} digest "${digest}"`);
  return { alg, hex, node: spec.node };
}

export function digestOf(buf: Buffer, alg = "sha256"): string {
  return `${alg}:${createHash(alg).update(buf).digest("hex")}`;
}

export function verifyBlob(buf: Buffer, expected: string, where: string): void {
  const { alg } = parseDigest(expected, where);
  const actual = digestOf(buf, alg);
  if (actual !== expected)
    throw inputError(`${where}: digest mismatch: expected ${expected}, content is ${actual}`);
}

/** Parse JSON from an image member, naming the member in the error. */
export function parseJson<T>(buf: Buffer, where: string): T {
  try {
    return JSON.parse(buf.toString("utf8")) as T;
  } catch (err) {
    throw inputError(`${where}: invalid JSON (${(err as Error).message})`, err);
  }
}
