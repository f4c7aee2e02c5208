import { generateKeyPairSync, sign, verify } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { airbagVerifyCli } from "../../test/support/verify-cli.js";
import { decryptPrivateKey, loadPublicKey } from "../image/trust/index.js";

const airbag = airbagVerifyCli;

afterEach(() => vi.restoreAllMocks());

describe("airbag key generate", () => {
  it("writes an encrypted private key (0600) and its public key; the pair signs and verifies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-keygen-"));
    writeFileSync(join(dir, "pass"), "correct horse\n");
    const prefix = join(dir, "release");
    const r = await airbag(
      "key",
      "generate",
      "--output-prefix",
      prefix,
      "--passphrase-file",
      join(dir, "pass"),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Private key written to ${prefix}.key`);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    // the passphrase is the file's first line, without the newline (skopeo reads it the same way)
    const priv = decryptPrivateKey(readFileSync(`${prefix}.key`, "utf8"), "correct horse", "k");
    const pub = loadPublicKey(readFileSync(`${prefix}.pub`, "utf8"), "p");
    expect(verify("sha256", Buffer.from("m"), pub, sign("sha256", Buffer.from("m"), priv))).toBe(true);

    const again = await airbag("key", "generate", "--output-prefix", prefix);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/release\.key: already exists \(use --force/);
  });
});

describe("airbag verify (no registry needed)", () => {
  it("refuses bad flags before any network access, exit 2 and one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-verify-cli-"));
    const pub = join(dir, "k.pub");
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    writeFileSync(pub, publicKey.export({ type: "spki", format: "pem" }));
    // port 1 on loopback: nothing listens; these must fail before trying it
    const ref = "registry:127.0.0.1:1/app:1";
    for (const [args, msg] of [
      [[ref], /--key FILE is required/],
      [[ref, "--key", pub, "--format", "sarif"], /unknown format "sarif"/],
      [
        [ref, "--certificate-identity", "me@example.com"],
        /keyless verification also needs --certificate-oidc-issuer and --trusted-root/,
      ],
      [[ref, "--key", pub, "--certificate-identity", "me@example.com"], /exclude each other/],
      [["docker-archive:x.tar", "--key", pub], /needs a registry reference/],
      [["registry:127.0.0.1:1/App:1", "--key", pub], /image reference .*lowercase/],
    ] as [string[], RegExp][]) {
      const r = await airbag("verify", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim()).toMatch(msg);
      expect(r.stderr).not.toMatch(/cannot connect/);
    }
  });
});
