import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { AirbagError, inputError } from "../../model/index.js";
import { DOCKER_HUB } from "./reference.js";

/**
 * Registry credentials from the docker CLI's config.json: `auths` (base64 `user:password` or
 * username/password fields), `credHelpers` per registry and `credsStore` for all, each helper run as
 * `docker-credential-<name> get` with the server URL on stdin (docker-credential-helpers protocol).
 */

export interface Credentials {
  username: string;
  password: string;
}

export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Docker Hub's historical key in config.json and for credential helpers. */
const HUB_SERVER = "https://index.docker.io/v1/";

/** `https://index.docker.io/v1/` → `docker.io`, `https://ghcr.io/` → `ghcr.io`. */
export function registryKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DOCKER_HUB : host;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
}

export async function readDockerConfig(path: string): Promise<DockerConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw inputError(`${path}: cannot read (${(err as Error).message})`, err);
  }
  try {
    const doc = JSON.parse(text) as DockerConfig;
    return doc && typeof doc === "object" ? doc : {};
  } catch (err) {
    throw inputError(`${path}: invalid JSON (${(err as Error).message})`, err);
  }
}

function fromAuthEntry(
  entry: NonNullable<DockerConfig["auths"]>[string],
  where: string,
): Credentials | undefined {
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const text = Buffer.from(entry.auth, "base64").toString("utf8");
  const i = text.indexOf(":");
  if (i <= 0) throw inputError(`${where}: "auth" is not base64 of user:password`);
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** Run `docker-credential-NAME get`; "not found" means no credentials, anything else is an error. */
export function runCredentialHelper(
  name: string,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  const tool = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(tool, ["get"], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const out = stdout.toString().trim();
      if (err) {
        // the helpers print "credentials not found in native keychain" and exit 1 for unknown servers
        if (/not found/i.test(out) || /not found/i.test(stderr.toString())) return resolve(undefined);
        const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "not installed" : out || err.message;
        return reject(new AirbagError("INPUT", `credential helper ${tool} failed for ${server}: ${why}`));
      }
      try {
        const doc = JSON.parse(out) as { Username?: string; Secret?: string };
        if (!doc.Secret) return resolve(undefined);
        resolve({ username: doc.Username ?? "", password: doc.Secret });
      } catch {
        reject(new AirbagError("INPUT", `credential helper ${tool} printed no JSON for ${server}`));
      }
    });
    child.stdin?.end(server);
  });
}

/** Credentials for a registry (`docker.io`, `host:port`), or undefined for anonymous access. */
export async function lookupCredentials(
  registry: string,
  opts: { configPath?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Credentials | undefined> {
  const env = opts.env ?? process.env;
  const path = opts.configPath ?? dockerConfigPath(env);
  const config = await readDockerConfig(path);
  const server = registry === DOCKER_HUB ? HUB_SERVER : registry;
  const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => registryKey(k) === registry)?.[1];
  if (helper) return runCredentialHelper(helper, server, env);
  for (const [key, entry] of Object.entries(config.auths ?? {}))
    if (registryKey(key) === registry && entry) {
      const found = fromAuthEntry(entry, `${path}: auths["${key}"]`);
      if (found) return found;
    }
  if (config.credsStore) return runCredentialHelper(config.credsStore, server, env);
  return undefined;
}
