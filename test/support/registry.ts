import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createHash, createPrivateKey, type KeyObject, randomUUID, sign, X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import {
  createServer,
  get as httpGet,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { get as httpsGet } from "node:https";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuiltImage } from "./image-builder.js";

/**
 * The real Debian `docker-registry` (distribution 2.8) on 127.0.0.1 with a random free port, storage
 * in a temp dir, as /work/shared/RECIPES.md describes. With `auth: "token"` an in-process token issuer
 * also runs on loopback: the registry trusts its self-signed certificate (openssl), tokens are ES256
 * JWTs carrying the certificate in `x5c`, and the issuer checks Basic credentials when `users` are set.
 * `stop()` ends only the registry PID this module started and removes the temp dir.
 */

export interface RegistryOptions {
  /** "token": bearer tokens from a loopback issuer (docker's token auth); default: no auth */
  auth?: "token";
  /** user → password the token issuer accepts (Basic auth on the token request) */
  users?: Record<string, string>;
  /** without credentials the issuer grants pull only (like Docker Hub); default false: refuses */
  anonymousPull?: boolean;
  /** serve HTTPS with a self-signed certificate for 127.0.0.1 (clients need --insecure / tls-verify=false) */
  tls?: boolean;
}

export interface TokenRequest {
  user?: string;
  scopes: string[];
  status: number;
}

export interface RunningRegistry {
  host: string;
  port: number;
  /** `host:port`, the prefix of image references */
  address: string;
  /** the registry's storage root (`docker/registry/v2/blobs/sha256/<2>/<hex>/data`) */
  dataDir: string;
  /** the temp dir holding config, storage and certificates (free for the caller's files too) */
  tmp: string;
  pid: number;
  /** token issuer URL (`auth: "token"` only) */
  realm?: string;
  /** every token request the issuer answered, in order */
  tokenRequests: TokenRequest[];
  /** path of a blob's data file in the storage dir */
  blobFile(digest: string): string;
  stop(): Promise<void>;
}

/** Why the registry cannot run here, or undefined when it can. */
export function registrySkipReason(): string | undefined {
  for (const tool of ["docker-registry", "skopeo", "openssl"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install ${tool})`;
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

interface Issuer {
  server: Server;
  realm: string;
  requests: TokenRequest[];
}

/** The token issuer docker's token auth spec describes: GET realm?service=…&scope=… → {token}. */
async function startIssuer(
  key: KeyObject,
  certDer: Buffer,
  service: string,
  opts: RegistryOptions,
): Promise<Issuer> {
  const requests: TokenRequest[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" ").filter(Boolean));
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const [user, ...pw] = basic ? Buffer.from(basic, "base64").toString().split(":") : [];
    const known = user !== undefined && opts.users?.[user] === pw.join(":");
    const deny = (status: number) => {
      requests.push({ user, scopes, status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
    };
    if (url.pathname !== "/token") return deny(404);
    if (basic && !known) return deny(401);
    if (!basic && !opts.anonymousPull) return deny(401);
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(":");
      const actions = (rest.pop() ?? "").split(",").filter((a) => known || a === "pull");
      return { type, name: rest.join(":"), actions };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [certDer.toString("base64")] };
    const claims = {
      iss: "airbag-test-issuer",
      sub: user ?? "",
      aud: service,
      exp: now + 600,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS ES256 wants the raw r‖s signature, not DER
    const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${b64url(sig)}`;
    requests.push({ user, scopes, status: 200 });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ token, access_token: token, expires_in: 600, issued_at: new Date().toISOString() }),
    );
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { server, realm: `http://127.0.0.1:${port}/token`, requests };
}

/** A P-256 key and a self-signed certificate for it, valid two days, as `<dir>/<name>.{key,crt}`. */
export async function selfSignedCert(dir: string, name: string, subject: string, extra: string[] = []) {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    subject,
    ...extra,
  ]);
  return { keyFile, certFile };
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(file, args, (err, _out, stderr) => (err ? reject(new Error(`${file}: ${stderr}`)) : resolve())),
  );
}

function ping(url: string): Promise<number> {
  const get = url.startsWith("https:") ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const req = get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
  });
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const reason = registrySkipReason();
  if (reason) throw new Error(`cannot start docker-registry: ${reason}`);
  const tmp = await mkdtemp(join(tmpdir(), "airbag-registry-"));
  const dataDir = join(tmp, "data");
  const port = await freePort();
  const service = "airbag-test-registry";
  let issuer: Issuer | undefined;
  let authYaml = "";
  if (opts.auth === "token") {
    const { keyFile, certFile } = await selfSignedCert(tmp, "issuer", "/CN=airbag-test-issuer");
    const key = createPrivateKey(await readFile(keyFile));
    const cert = new X509Certificate(await readFile(certFile));
    issuer = await startIssuer(key, cert.raw, service, opts);
    authYaml = `auth:
  token:
    realm: ${issuer.realm}
    service: ${service}
    issuer: airbag-test-issuer
    rootcertbundle: ${certFile}
`;
  }
  let tlsYaml = "";
  if (opts.tls) {
    const { keyFile, certFile } = await selfSignedCert(tmp, "tls", "/CN=127.0.0.1", [
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    tlsYaml = `  tls: { certificate: ${certFile}, key: ${keyFile} }\n`;
  }
  const config = join(tmp, "config.yml");
  await writeFile(
    config,
    `version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage:
  filesystem: { rootdirectory: ${dataDir} }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:${port}
${tlsYaml}${authYaml}`,
  );
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8000);
  });
  const cleanup = async () => {
    if (!(await exited(child, 0))) {
      child.kill("SIGTERM");
      if (!(await exited(child, 10_000))) child.kill("SIGKILL");
      await exited(child, 5000);
    }
    await new Promise<void>((r) => (issuer ? issuer.server.close(() => r()) : r()));
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  };
  if (child.pid === undefined) {
    await cleanup();
    throw new Error("cannot start docker-registry: spawn failed");
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const status = await ping(`${opts.tls ? "https" : "http"}://127.0.0.1:${port}/v2/`);
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${stderr}`);
    }
    await sleep(100);
  }
  let stopped = false;
  return {
    host: "127.0.0.1",
    port,
    address: `127.0.0.1:${port}`,
    dataDir,
    tmp,
    pid: child.pid,
    realm: issuer?.realm,
    tokenRequests: issuer?.requests ?? [],
    blobFile: (digest) => {
      const hex = digest.replace(/^sha256:/, "");
      return join(dataDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await cleanup();
    },
  };
}

/**
 * `skopeo copy` an OCI layout (`oci:DIR:TAG`) to `docker://ADDRESS/REPO:TAG` over plain HTTP;
 * `all` copies every manifest of an index, `creds` is `user:password` for token-auth registries.
 */
export function pushLayout(
  reg: RunningRegistry,
  layout: string,
  dest: string,
  opts: { tag?: string; all?: boolean; creds?: string; extra?: string[] } = {},
): Promise<void> {
  const args = ["copy", "--quiet", "--dest-tls-verify=false", "--insecure-policy"];
  if (opts.all) args.push("--all");
  if (opts.creds) args.push("--dest-creds", opts.creds);
  args.push(
    ...(opts.extra ?? []),
    `oci:${layout}${opts.tag ? `:${opts.tag}` : ""}`,
    `docker://${reg.address}/${dest}`,
  );
  return run("skopeo", args);
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Upload blobs and a manifest over the registry API (content skopeo would not push: artifacts). */
export async function putManifest(
  reg: RunningRegistry,
  repo: string,
  tag: string,
  blobs: Buffer[],
  manifest: { mediaType: string; [key: string]: unknown },
): Promise<void> {
  for (const b of blobs) {
    const start = await fetch(`http://${reg.address}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    const loc = new URL(start.headers.get("location") ?? "", `http://${reg.address}`);
    loc.searchParams.set("digest", sha256(b));
    const put = await fetch(loc, {
      method: "PUT",
      body: b,
      headers: { "content-type": "application/octet-stream" },
    });
    if (put.status !== 201) throw new Error(`blob upload to ${repo}: HTTP ${put.status} ${await put.text()}`);
  }
  const r = await fetch(`http://${reg.address}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    body: JSON.stringify(manifest),
    headers: { "content-type": manifest.mediaType },
  });
  if (r.status !== 201)
    throw new Error(`manifest upload to ${repo}:${tag}: HTTP ${r.status} ${await r.text()}`);
}

/** An OCI layout whose index.json points at an image index of several platform manifests. */
export async function writeMultiArchLayout(
  dir: string,
  images: [string, BuiltImage][],
  tag: string,
): Promise<string> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  for (const [, img] of images)
    for (const b of [img.manifest, img.config, ...img.layers])
      await writeFile(join(dir, "blobs", "sha256", b.digest.slice(7)), b.data);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: images.map(([arch, img]) => ({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: img.manifest.digest,
        size: img.manifest.size,
        platform: { os: "linux", architecture: arch },
      })),
    }),
  );
  await writeFile(join(dir, "blobs", "sha256", sha256(index).slice(7)), index);
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.index.v1+json",
          digest: sha256(index),
          size: index.length,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return sha256(index);
}
