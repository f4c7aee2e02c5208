import { describe, expect, it } from "vitest";
import type { ImageMeta } from "../detector.js";
import { assignmentsIn, createSecretConfigScanner } from "./config.js";
import { ALNUM, B64, fake } from "./secret.testutil.js";

/** Secrets in the image config: Env, Labels, Entrypoint/Cmd and the build history. */

const meta = (m: Partial<ImageMeta>): ImageMeta => ({
  env: [],
  labels: {},
  entrypoint: [],
  cmd: [],
  exposedPorts: [],
  history: [],
  ...m,
});

const gh = `ghp_${fake(ALNUM, 36, 1)}`;
const npm = `npm_${fake(ALNUM, 36, 2)}`;
const awsSecret = fake(B64, 40, 3);
const password = `Tr0ub4dor-${fake(ALNUM, 6, 4)}`;

describe("secret config scanner", () => {
  const scanner = createSecretConfigScanner();

  it("reports secret-named Env entries and tokens, naming the field, masked", () => {
    const findings = scanner.scanConfig(
      meta({
        env: [
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
          `AWS_SECRET_ACCESS_KEY=${awsSecret}`,
          `DB_PASSWORD=${password}`,
          `PLUGIN_URL=https://ci:${fake(ALNUM, 16, 5)}@plugins.internal.net/x`,
        ],
      }),
    );
    expect(findings).toMatchObject([
      { id: "aws-secret-access-key", field: "config.Env[1]", severity: "critical" },
      { id: "env-secret", field: "config.Env[2]", evidence: expect.stringContaining("DB_PASSWORD") },
      { id: "url-password", field: "config.Env[3]" },
    ]);
    const out = JSON.stringify(findings);
    for (const s of [awsSecret, password]) expect(out).not.toContain(s);
  });

  it("stays quiet on references, placeholders, file pointers and ordinary settings", () => {
    expect(
      scanner.scanConfig(
        meta({
          env: [
            "DB_PASSWORD_FILE=/run/secrets/db",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference
            "API_TOKEN=${TOKEN}",
            "GITHUB_TOKEN=",
            "SECRET_KEY_BASE=changeme",
            "TOKEN_TTL=3600",
            "NODE_VERSION=20.11.1",
            "JAVA_HOME=/opt/java/openjdk",
            // the official python images: a public key fingerprint, not a secret
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
          ],
          labels: {
            "org.opencontainers.image.source": "https://github.com/acme/app",
            maintainer: "ops@acme.test",
          },
          cmd: ["nginx", "-g", "daemon off;"],
          history: [{ createdBy: "/bin/sh -c apt-get update && apt-get install -y curl", emptyLayer: false }],
        }),
      ),
    ).toEqual([]);
  });

  it("reports build arguments recorded in the history (ARG, BuildKit |N K=V, echo into .npmrc)", () => {
    const findings = scanner.scanConfig(
      meta({
        history: [
          { createdBy: `ARG GITHUB_TOKEN=${gh}`, emptyLayer: true },
          {
            createdBy: `RUN |1 GITHUB_TOKEN=${gh} /bin/sh -c echo "//registry.npmjs.org/:_authToken=${npm}" > .npmrc && npm ci`,
            emptyLayer: false,
          },
          { createdBy: `/bin/sh -c #(nop)  ENV DB_PASS ${password}`, emptyLayer: true },
          { createdBy: `/bin/sh -c docker build --build-arg DEPLOY_TOKEN=${password}x .`, emptyLayer: false },
        ],
      }),
    );
    expect(findings.map((f) => [f.field, f.id])).toEqual([
      ["history[0].created_by", "github-pat"],
      ["history[1].created_by", "github-pat"],
      ["history[1].created_by", "npm-access-token"],
      ["history[2].created_by", "env-secret"],
      ["history[3].created_by", "env-secret"],
    ]);
  });

  it("reports secrets in labels and command-line flags", () => {
    const findings = scanner.scanConfig(
      meta({
        labels: { "com.acme.deploy-token": fake(ALNUM, 20, 6) },
        cmd: ["node", `--db-password=${password}`, "server.js"],
      }),
    );
    expect(findings).toMatchObject([
      { id: "env-secret", field: 'config.Labels["com.acme.deploy-token"]' },
      { id: "env-secret", field: "config.Cmd" },
    ]);
  });

  it("extracts KEY=value assignments from command lines", () => {
    expect(assignmentsIn(`RUN |2 A=1 B="two words" /bin/sh -c make X=y --opt=z`)).toEqual([
      "A=1",
      'B="two words"',
      "X=y",
      "opt=z",
    ]);
    expect(assignmentsIn("/bin/sh -c #(nop)  ENV API_KEY abc123")).toEqual(["API_KEY=abc123"]);
  });
});
