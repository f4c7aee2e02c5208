import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { builtinSecretRules, parseSecretRules } from "./rules.js";
import { ALNUM, B64, fake, fakeBase64, fakeJwt, HEX, scanText, UPPER32 } from "./secret.testutil.js";

/**
 * Every rule of the shipped pack, one positive and one negative case each (the negative is the nearest
 * miss: a placeholder, a documented example key, the wrong file, a wrong length). Private keys have
 * their own file (keys.test.ts).
 */

interface Case {
  rule: string;
  path?: string;
  positive: string;
  negative: string;
  /** the rule's finding has this severity (defaults to the pack's) */
  severity?: string;
}

const akia = `AKIA${fake(UPPER32, 16, 11)}`;
const awsSecret = fake(B64, 40, 12);
const userPass = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString("base64");

const CASES: Case[] = [
  {
    rule: "aws-access-key-id",
    positive: `aws_access_key_id = ${akia}`,
    negative: `aws_access_key_id = AKIA${fake(UPPER32, 15, 11)}`,
  },
  {
    rule: "aws-secret-access-key",
    positive: `AWS_SECRET_ACCESS_KEY: "${awsSecret}"`,
    // AWS's documented example key
    negative: `aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
  },
  {
    rule: "aws-secret-access-key",
    // credentials.csv as the console downloads it: the id gives the bare key its context
    positive: `deploy-bot,${akia},${awsSecret}`,
    // a 40-character base64-ish path next to a case-insensitive "asia" is not a key pair
    negative: `/usr/share/zoneinfo/Asia/Ho_Chi_Minh ${fake(B64, 40, 13)}`,
  },
  {
    rule: "gcp-service-account-key",
    path: "srv/app/gcp-key.json",
    positive: JSON.stringify({
      type: "service_account",
      project_id: "airbag-test",
      private_key_id: fake(HEX, 40, 14),
      private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
      client_email: "bot@airbag-test.iam.gserviceaccount.com",
    }),
    // the id alone, without the rest of a service account key file
    negative: `{"private_key_id": "${fake(HEX, 40, 14)}"}`,
  },
  {
    rule: "azure-storage-account-key",
    positive: `DefaultEndpointsProtocol=https;AccountName=airbagtest;AccountKey=${fakeBase64(64, 15)};EndpointSuffix=core.windows.net`,
    negative: `AccountName=airbagtest;AccountKey=${fakeBase64(32, 15)}`,
  },
  {
    rule: "azure-shared-access-key",
    positive: `Endpoint=sb://airbag.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${fakeBase64(32, 16)}`,
    negative: `SharedAccessKeyName=send;SharedAccessKey=<key>`,
  },
  {
    rule: "azure-sas-token",
    positive: `https://airbag.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2030-01-01&sig=${encodeURIComponent(fakeBase64(32, 17))}`,
    negative: `https://airbag.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&sig=`,
  },
  {
    rule: "azure-client-secret",
    positive: `client-secret: ${fake(ALNUM, 3, 18)}8Q~${fake(`${ALNUM}_~.-`, 34, 18)}`,
    negative: `path: a8Q~b`,
  },
  {
    rule: "github-pat",
    positive: `export GH_TOKEN=ghp_${fake(ALNUM, 36, 20)}`,
    negative: `see ghp_${fake(ALNUM, 30, 20)}`,
  },
  {
    rule: "github-fine-grained-pat",
    positive: `token: github_pat_${fake(ALNUM, 22, 21)}_${fake(ALNUM, 59, 21)}`,
    negative: `see github_pat_${fake(ALNUM, 22, 21)}`,
  },
  {
    rule: "github-oauth-token",
    positive: `oauth=gho_${fake(ALNUM, 36, 22)}`,
    negative: `oauth=gho_${"x".repeat(36)}`,
  },
  {
    rule: "github-app-token",
    positive: `GITHUB_TOKEN=ghs_${fake(ALNUM, 36, 23)}`,
    negative: `see ghs_${fake(ALNUM, 12, 23)}`,
  },
  {
    rule: "github-refresh-token",
    positive: `refresh: ghr_${fake(ALNUM, 76, 24)}`,
    negative: `refresh: ghr_${fake(ALNUM, 20, 24)}`,
  },
  {
    rule: "gitlab-pat",
    positive: `private_token: glpat-${fake(`${ALNUM}_-`, 20, 25)}`,
    negative: `private_token: glpat-xxxxxxxxxxxxxxxxxxxx`,
  },
  {
    rule: "gitlab-token",
    positive: `runner_token = glrt-${fake(ALNUM, 24, 26)}`,
    negative: `runner_token = glrt-short`,
  },
  {
    rule: "slack-token",
    positive: `SLACK_BOT=xoxb-${fake("0123456789", 11, 27)}-${fake("0123456789", 13, 27)}-${fake(ALNUM, 24, 27)}`,
    negative: `SLACK_BOT=xoxb-your-bot-token-here`,
  },
  {
    rule: "slack-webhook",
    positive: `webhook: https://hooks.slack.com/services/T${fake(UPPER32, 8, 28)}/B${fake(UPPER32, 8, 28)}/${fake(ALNUM, 24, 28)}`,
    negative: `webhook: https://hooks.slack.com/services/...`,
  },
  {
    rule: "stripe-secret-key",
    positive: `STRIPE_KEY=sk_live_${fake(ALNUM, 24, 29)}`,
    // test-mode keys are out of scope
    negative: `STRIPE_KEY=sk_test_${fake(ALNUM, 24, 29)}`,
  },
  {
    rule: "npm-access-token",
    positive: `"token": "npm_${fake(ALNUM, 36, 30)}"`,
    negative: `echo $npm_config_cache_directory_for_this_build_xyz`,
  },
  {
    rule: "pypi-upload-token",
    positive: `password = pypi-AgEIcHlwaS5vcmc${fake(`${ALNUM}-_`, 80, 31)}`,
    negative: `password = pypi-AgEIcHlwaS5vcmc${fake(ALNUM, 10, 31)}`,
  },
  {
    rule: "jwt",
    positive: `Authorization: Bearer ${fakeJwt(32)}`,
    // header does not decode to JSON with an algorithm
    negative: `value = eyJ${fake(ALNUM, 20, 33)}.eyJ${fake(ALNUM, 20, 33)}.${fake(ALNUM, 30, 33)}`,
  },
  {
    rule: "git-credentials",
    path: "root/.git-credentials",
    positive: `https://bob:${fake(ALNUM, 20, 34)}@git.internal.net`,
    negative: `https://bob@git.internal.net`,
  },
  {
    rule: "npmrc-auth-token",
    path: "home/node/.npmrc",
    positive: `//registry.npmjs.org/:_authToken=${fake(HEX, 8, 35)}-${fake(HEX, 4, 35)}-${fake(HEX, 4, 36)}-${fake(HEX, 4, 37)}-${fake(HEX, 12, 35)}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, the near miss
    negative: "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
  },
  {
    rule: "npmrc-auth",
    path: "root/.npmrc",
    positive: `//npm.internal.net/:_auth=${userPass("ci", fake(ALNUM, 16, 38))}`,
    negative: `//npm.internal.net/:always-auth=true`,
  },
  {
    rule: "pypirc-password",
    path: "root/.pypirc",
    positive: `[internal]\nrepository = https://pypi.internal.net\nusername = ci\npassword = ${fake(ALNUM, 18, 39)}`,
    negative: `[internal]\nusername = ci\npassword = <your-password>`,
  },
  {
    rule: "docker-config-auth",
    path: "root/.docker/config.json",
    positive: JSON.stringify({
      auths: { "registry.internal.net": { auth: userPass("ci-bot", fake(ALNUM, 20, 40)) } },
    }),
    negative: JSON.stringify({
      auths: { "registry.internal.net": { auth: Buffer.from("no colon here").toString("base64") } },
    }),
  },
  {
    rule: "docker-config-auth",
    path: "home/app/.docker/config.json",
    positive: JSON.stringify({ auths: { "registry.internal.net": { identitytoken: fake(ALNUM, 40, 41) } } }),
    negative: JSON.stringify({ credsStore: "desktop", auths: { "registry.internal.net": {} } }),
  },
  {
    rule: "netrc-password",
    path: "etc/apt/auth.conf.d/internal.conf",
    positive: `machine apt.internal.net login ci password ${fake(ALNUM, 16, 49)}`,
    negative: `machine apt.internal.net login ci`,
  },
  {
    rule: "url-password",
    positive: `DATABASE_URL=postgres://app:${fake(ALNUM, 14, 42)}@db.internal:5432/app`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, the near miss
    negative: "DATABASE_URL=postgres://app:${DB_PASSWORD}@db.internal:5432/app",
  },
  {
    rule: "env-secret",
    path: "srv/app/.env",
    positive: `NODE_ENV=production\nDB_PASSWORD='${fake(ALNUM, 14, 43)}'\n`,
    negative: `NODE_ENV=production\nDB_PASSWORD=\nDB_PASSWORD_FILE=/run/secrets/db\nAPI_TOKEN=\${TOKEN}\n`,
  },
  {
    rule: "generic-password",
    path: "srv/app/config/settings.yaml",
    positive: `database:\n  password: "Tr0ub4dor&3-${fake(ALNUM, 4, 44)}"\n`,
    negative: `database:\n  password: "password"\n  password_reset: get_password_reset()\n`,
  },
  {
    rule: "generic-secret",
    path: "srv/app/config.py",
    positive: `CLIENT_SECRET = "${fake(ALNUM, 24, 45)}"`,
    negative: `client_secret = self.settings.client_secret_value`,
  },
];

describe("secret rule pack", () => {
  const pack = builtinSecretRules();

  it("loads the shipped pack with every rule covered by a case below", () => {
    expect(pack.rules.length).toBeGreaterThan(25);
    const covered = new Set(CASES.map((c) => c.rule));
    expect(
      pack.rules.map((r) => r.id).filter((id) => !id.startsWith("private-key") && !covered.has(id)),
    ).toEqual([]);
  });

  for (const c of CASES) {
    const path = c.path ?? "srv/app/notes.txt";
    it(`${c.rule}: reports "${c.positive.slice(0, 40)}…" and masks it`, () => {
      const hits = scanText(path, c.positive).filter((h) => h.id === c.rule);
      expect(hits).toHaveLength(1);
      expect(hits[0]!.severity).toBe(c.severity ?? pack.rules.find((r) => r.id === c.rule)!.severity);
      expect(hits[0]!.line).toBeGreaterThanOrEqual(1);
      expect(hits[0]!.match).toMatch(/\*/);
      expect(c.positive).not.toContain(hits[0]!.match);
    });
    it(`${c.rule}: stays quiet on "${c.negative.slice(0, 40)}…"`, () => {
      expect(scanText(path, c.negative)).toEqual([]);
    });
  }

  it("lets AWS's documented example keys pass (allow rule aws-documentation-keys)", () => {
    const text =
      "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    expect(scanText("root/.aws/credentials", text)).toEqual([]);
    expect(scanText("root/.aws/credentials", text.replace("AKIAIOSFODNN7EXAMPLE", akia))).toMatchObject([
      { id: "aws-access-key-id", line: 2, match: `AKIA${"*".repeat(12)}${akia.slice(-4)}` },
    ]);
  });

  it("reports one finding per secret: the rule listed first wins (npm token in an .npmrc)", () => {
    const token = `npm_${fake(ALNUM, 36, 46)}`;
    expect(scanText("root/.npmrc", `//registry.npmjs.org/:_authToken=${token}\n`).map((h) => h.id)).toEqual([
      "npm-access-token",
    ]);
  });

  it("runs low-confidence rules only outside published code and docs, token rules everywhere", () => {
    const line = `password = "Tr0ub4dor&3-${fake(ALNUM, 4, 47)}"\ntoken = "ghp_${fake(ALNUM, 36, 47)}"\n`;
    expect(scanText("srv/app/settings.py", line).map((h) => h.id)).toEqual([
      "generic-password",
      "github-pat",
    ]);
    expect(scanText("usr/lib/python3/dist-packages/lib/settings.py", line).map((h) => h.id)).toEqual([
      "github-pat",
    ]);
    expect(scanText("srv/app/tests/settings.py", line).map((h) => h.id)).toEqual(["github-pat"]);
  });

  it("rejects a broken pack naming the file and the field", () => {
    const bad = (yaml: string) => () => parseSecretRules(yaml, "my-rules.yaml");
    expect(bad("version: 2\nrules: []")).toThrow(AirbagError);
    expect(
      bad("version: 1\nrules:\n  - {id: x, title: X, severity: high, keywords: [abc], regex: '(('}"),
    ).toThrow(/my-rules\.yaml: rules\[0\]\.regex: invalid regular expression/);
    expect(
      bad("version: 1\nrules:\n  - {id: x, title: X, severity: huge, keywords: [abc], regex: a}"),
    ).toThrow(/rules\[0\]\.severity/);
    expect(bad("version: 1\nrules:\n  - {id: x, title: X, severity: high, regex: a}")).toThrow(
      /rules\[0\]\.keywords/,
    );
    expect(
      bad(
        "version: 1\nrules:\n  - {id: x, title: X, severity: high, keywords: [abc], regex: a, checks: [nope]}",
      ),
    ).toThrow(/unknown check "nope"/);
    expect(bad("version: 1\nallow:\n  - {id: a, reason: r}")).toThrow(/allow\[0\]: an allow rule needs/);
  });

  it("accepts a user pack and scans with it", () => {
    const pack = parseSecretRules(
      "version: 1\nrules:\n  - {id: acme-key, title: ACME key, severity: high, keywords: [acme_], regex: 'acme_(?<secret>[a-z0-9]{20})', before: 0}\n",
      "acme.yaml",
    );
    expect(scanText("a.txt", `k = acme_${fake("abcdef0123456789", 20, 48)}`, { rules: pack })).toMatchObject([
      { id: "acme-key", severity: "high", line: 1 },
    ]);
  });
});
