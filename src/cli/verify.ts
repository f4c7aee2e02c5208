import { access, readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  generateCosignKeyPair,
  loadPublicKeyFile,
  readTrustedRootFile,
  type VerificationResult,
  type VerifyImageOptions,
  verifyImage,
} from "../image/trust/index.js";
import { AirbagError, inputError } from "../model/index.js";
import { type GlobalFlags, writeOutput } from "./run.js";

/**
 * `airbag verify REF --key PUBKEY | --certificate-identity ID --certificate-oidc-issuer URL
 * --trusted-root FILE [--insecure] [-f table|json]`: 0 verified, 1 not verified (one line saying why),
 * 2 usage/input/network errors. `airbag key generate`: a cosign-compatible key pair.
 * Both commands are registered by `registerVerify`.
 */

interface VerifyFlags {
  key?: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  trustedRoot?: string;
  insecure?: boolean;
  format: string;
}

const FORMATS = ["table", "json"] as const;

export function registerVerify(program: Command, _flags: () => GlobalFlags): void {
  program
    .command("verify")
    .description("verify an image's cosign signatures in its registry")
    .argument("<ref>", "image reference: registry:HOST/REPO:TAG, HOST/REPO@sha256:…, debian:12")
    .option("--key <file>", "PEM public key the signature must verify with (cosign.pub)")
    .option("--certificate-identity <id>", "keyless: the signer's certificate identity (email or URI), exact")
    .option("--certificate-oidc-issuer <url>", "keyless: the OIDC issuer that vouched for it, exact")
    .option(
      "--trusted-root <file>",
      "keyless: Sigstore trusted_root.json (Fulcio CA, TSA, Rekor keys); offline",
    )
    .option("--insecure", "plain HTTP / unverified TLS for a non-loopback registry")
    .option("-f, --format <format>", "table | json", "table")
    .action(async (ref: string, opts: VerifyFlags) => {
      const format = opts.format.toLowerCase();
      if (!(FORMATS as readonly string[]).includes(format))
        throw new AirbagError(
          "USAGE",
          `--format: unknown format "${opts.format}" (use ${FORMATS.join(", ")})`,
        );
      const result = await verifyImage(ref, { ...(await trustOptions(opts)), insecure: opts.insecure });
      if (format === "json") await writeOutput(JSON.stringify(result, null, 2), undefined);
      else if (result.verified) await writeOutput(renderVerified(result), undefined);
      if (!result.verified)
        throw new AirbagError(
          "GATE",
          `${result.reference}: not verified: ${result.reason ?? result.failure}`,
        );
    });

  program
    .command("key")
    .description("signing keys")
    .command("generate")
    .description("write a cosign-compatible key pair: PREFIX.key (encrypted) and PREFIX.pub")
    .option("--output-prefix <prefix>", "file name prefix", "cosign")
    .option(
      "--passphrase-file <file>",
      "read the passphrase from FILE (default: $COSIGN_PASSWORD, else empty)",
    )
    .option("--force", "overwrite existing files")
    .action(async (opts: { outputPrefix: string; passphraseFile?: string; force?: boolean }) => {
      const passphrase = opts.passphraseFile
        ? await readPassphrase(opts.passphraseFile)
        : (process.env.COSIGN_PASSWORD ?? "");
      const files = { key: `${opts.outputPrefix}.key`, pub: `${opts.outputPrefix}.pub` };
      if (!opts.force)
        for (const f of Object.values(files))
          if (await exists(f)) throw inputError(`${f}: already exists (use --force to overwrite)`);
      const pair = generateCosignKeyPair(passphrase);
      await writeKeyFile(files.key, pair.privateKeyPem, 0o600);
      await writeKeyFile(files.pub, pair.publicKeyPem, 0o644);
      await writeOutput(`Private key written to ${files.key}\nPublic key written to ${files.pub}`, undefined);
    });
}

/** --key, or all three keyless flags; every file read before any network access. */
async function trustOptions(opts: VerifyFlags): Promise<Pick<VerifyImageOptions, "key" | "keyless">> {
  const keyless = opts.certificateIdentity ?? opts.certificateOidcIssuer ?? opts.trustedRoot;
  if (opts.key && keyless !== undefined)
    throw new AirbagError(
      "USAGE",
      "verify: --key and the keyless flags (--certificate-*) exclude each other",
    );
  if (opts.key) return { key: await loadPublicKeyFile(opts.key) };
  if (keyless === undefined)
    throw new AirbagError(
      "USAGE",
      "verify: --key FILE is required, or --certificate-identity ID --certificate-oidc-issuer URL --trusted-root FILE",
    );
  const missing = [
    ["--certificate-identity", opts.certificateIdentity],
    ["--certificate-oidc-issuer", opts.certificateOidcIssuer],
    ["--trusted-root", opts.trustedRoot],
  ].filter(([, v]) => !v);
  if (missing.length)
    throw new AirbagError(
      "USAGE",
      `verify: keyless verification also needs ${missing.map(([f]) => f).join(" and ")} (offline: no trust root is fetched)`,
    );
  return {
    keyless: {
      identity: opts.certificateIdentity!,
      issuer: opts.certificateOidcIssuer!,
      trustedRoot: await readTrustedRootFile(opts.trustedRoot!),
      trustedRootSource: `--trusted-root ${opts.trustedRoot}`,
    },
  };
}

function renderVerified(r: VerificationResult): string {
  const s = r.signatures[0]!;
  const where = s.kind === "cosign" ? `under ${r.signatureTag}` : "Sigstore bundle referrers";
  const lines = [
    `Verified ${r.reference}`,
    `  digest      ${r.digest}`,
    `  signatures  ${r.signatures.length} valid (${where})`,
    `  key         sha256:${s.keyFingerprint}`,
  ];
  if (s.identity) lines.push(`  signer      ${s.identity} (issuer ${s.issuer ?? "unknown"})`);
  if (s.dockerReference) lines.push(`  identity    ${s.dockerReference}`);
  const signer = [s.creator, s.timestamp].filter(Boolean).join(", ");
  if (signer) lines.push(`  signed by   ${signer}`);
  if (s.kind === "cosign")
    lines.push("  note        key-based check; transparency log not consulted (offline)");
  return lines.join("\n");
}

async function readPassphrase(file: string): Promise<string> {
  try {
    // like skopeo's --sign-passphrase-file: the first line, without its newline
    return (await readFile(file, "utf8")).split(/\r?\n/)[0] ?? "";
  } catch (err) {
    throw inputError(`--passphrase-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code})`, err);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function writeKeyFile(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { mode });
  } catch (err) {
    throw inputError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code})`, err);
  }
}
