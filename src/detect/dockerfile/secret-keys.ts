/**
 * Does a variable / label name suggest it holds a credential? Shared by the Dockerfile linter (ARG,
 * ENV) and the image-config checks (Env, Labels, build args in history).
 *
 * Names are split into words (`_ - . :` and camelCase) and matched word by word: substring matching is
 * what made dockle flag `KEYCLOAK_VERSION` and `libcrypto3` (dockle#130, #250). Values are never
 * returned, only described — findings must not leak what they warn about (dockle#268).
 */

/** words that on their own mark a credential */
const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "pass",
  "secret",
  "secrets",
  "token",
  "apikey",
  "credential",
  "credentials",
  "passphrase",
  "privatekey",
  "accesskey",
  "secretkey",
  "authtoken",
]);
/** `X_KEY` is a credential when X is one of these (a bare `KEY` word is too ambiguous) */
const KEY_QUALIFIERS = new Set([
  "api",
  "access",
  "secret",
  "private",
  "client",
  "encryption",
  "signing",
  "master",
  "app",
  "auth",
  "license",
  "session",
  "jwt",
  "hmac",
  "account",
]);
/** a name containing one of these describes the secret, it does not hold it */
const NOT_A_VALUE = new Set([
  "file",
  "path",
  "dir",
  "directory",
  "length",
  "min",
  "max",
  "policy",
  "enabled",
  "disabled",
  "required",
  "prompt",
  "id",
  "name",
  "version",
  "url",
  "public",
  "pub",
  "fingerprint",
  "gpg",
  "pgp",
  "keyring",
  "reset",
  "expiry",
  "ttl",
]);

/** Lower-case words of an identifier: `awsSecretAccessKey` → aws, secret, access, key. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Why `name` looks like it holds a credential, or undefined. */
export function sensitiveName(name: string): string | undefined {
  const words = nameWords(name);
  if (words.some((w) => NOT_A_VALUE.has(w))) return undefined;
  const hit = words.find((w) => SECRET_WORDS.has(w));
  if (hit) return `name contains "${hit}"`;
  for (let i = 1; i < words.length; i++) {
    if (words[i] === "key" && KEY_QUALIFIERS.has(words[i - 1] as string))
      return `name contains "${words[i - 1]}_key"`;
  }
  return undefined;
}

/** Values that are not a credential even under a sensitive name: empty, a reference, a flag. */
export function placeholderValue(value: string | undefined | null): boolean {
  if (value === undefined || value === null) return true;
  const v = value.trim().replace(/^["']|["']$/g, "");
  if (v === "") return true;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-+?][^}]*)?\}?$/.test(v)) return true;
  if (/^(true|false|yes|no|on|off|none|null|changeme|change-me|x+|\*+)$/i.test(v)) return true;
  // a path to a mounted secret (`/run/secrets/db`) is how it should be done
  return /^\/[^\s]*$/.test(v);
}

/** Credential formats obvious from the value alone (a tiny subset of the secret scanner's rules). */
const VALUE_PATTERNS: [string, RegExp][] = [
  ["AWS access key id", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["GitHub token", /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/],
  ["GitLab token", /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ["Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/],
  ["npm token", /\bnpm_[A-Za-z0-9]{36}\b/],
  ["Stripe secret key", /\b[sr]k_live_[A-Za-z0-9]{16,}\b/],
  ["private key", /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/],
  ["password in URL", /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@$]+@/i],
];

/** The kind of credential `value` obviously is, or undefined. */
export function obviousSecretValue(value: string): string | undefined {
  return VALUE_PATTERNS.find(([, re]) => re.test(value))?.[0];
}

/** "12 characters" — how findings refer to a value without showing it. */
export const describeValue = (value: string): string => `value of ${value.length} characters, not shown`;
