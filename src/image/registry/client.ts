import { AirbagError, inputError } from "../../model/index.js";
import { digestOf, parseDigest, verifyBlob } from "../digest.js";
import type { Descriptor } from "../types.js";
import { basicHeader, type Challenge, fetchToken, parseChallenges } from "./auth.js";
import { type Credentials, lookupCredentials } from "./credentials.js";
import { HttpClient, type HttpOptions, type HttpResponse, header, readLimited } from "./http.js";
import { MANIFEST_ACCEPT, OCI_INDEX } from "./media-types.js";
import {
  apiHost,
  type ImageReference,
  isLoopbackRegistry,
  parseReference,
  referenceTarget,
} from "./reference.js";

/**
 * OCI Distribution v2 client for one repository: ping `/v2/` (scheme and auth challenge), then
 * manifests, blobs, tags and referrers with Basic or Bearer auth as the registry asks. Mirrors, when
 * configured, are tried first for reads and fall back to the registry itself. Plain HTTP is used only
 * for loopback registries or with `insecure`.
 */

export interface RegistryClientOptions extends HttpOptions {
  /** explicit credentials; `null` forces anonymous; default: ~/.docker/config.json and its helpers */
  credentials?: Credentials | null;
  /** path of a docker config.json (default `$DOCKER_CONFIG/config.json`, else ~/.docker/config.json) */
  dockerConfig?: string;
  env?: NodeJS.ProcessEnv;
  /** registry (`docker.io`) → mirror hosts (`host:port`) tried first for pulls */
  mirrors?: Record<string, string[]>;
}

export interface ManifestResponse {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

const MAX_MANIFEST = 4 << 20;
const MAX_ERROR_BODY = 64 << 10;
const CHUNK = 1 << 20;

interface Endpoint {
  host: string;
  mirror: boolean;
  base?: string;
  challenge?: Challenge;
  authorization?: string;
  ready?: Promise<void>;
}

export class RegistryClient {
  readonly reference: ImageReference;
  private readonly http: HttpClient;
  private readonly opts: RegistryClientOptions;
  private readonly endpoints: Endpoint[];

  private constructor(reference: ImageReference, opts: RegistryClientOptions) {
    this.reference = reference;
    this.opts = opts;
    this.http = new HttpClient(opts);
    const mirrors = opts.mirrors?.[reference.registry] ?? [];
    this.endpoints = [
      ...mirrors.map((host) => ({ host, mirror: true })),
      { host: apiHost(reference.registry), mirror: false },
    ];
  }

  /** A client for the repository of `ref` (`debian:12`, `host:5000/app@sha256:…`); connects lazily. */
  static for(ref: ImageReference | string, opts: RegistryClientOptions = {}): RegistryClient {
    return new RegistryClient(typeof ref === "string" ? parseReference(ref) : ref, opts);
  }

  private where(target?: string): string {
    const { registry, repository } = this.reference;
    if (!target) return `${registry}/${repository}`;
    return `${registry}/${repository}${target.includes(":") ? "@" : ":"}${target}`;
  }

  /** A manifest by tag or digest; a digest is verified against the bytes. Default: the reference's own. */
  async manifest(refOrDigest?: string, accept: string = MANIFEST_ACCEPT): Promise<ManifestResponse> {
    const target = refOrDigest ?? referenceTarget(this.reference);
    const where = this.where(target);
    const byDigest = target.includes(":");
    if (byDigest) parseDigest(target, where);
    const res = await this.send(`manifests/${target}`, { accept });
    if (res.status !== 200) throw await statusError(res, where, "manifest");
    const bytes = await guard(readLimited(res.body, MAX_MANIFEST, `${where}: manifest`), where);
    let digest: string;
    if (byDigest) {
      verifyBlob(bytes, target, `${where}: manifest`);
      digest = target;
    } else {
      digest = digestOf(bytes);
      const claimed = header(res, "docker-content-digest");
      if (claimed?.startsWith("sha256:") && claimed !== digest)
        throw inputError(`${where}: registry says the manifest is ${claimed} but its content is ${digest}`);
    }
    return { bytes, digest, mediaType: mediaTypeOf(header(res, "content-type"), bytes) };
  }

  /**
   * A blob's bytes as a stream. Not verified here: the layer walker hashes what it reads (use
   * `blobBytes` for small verified reads). Interrupted or short downloads throw an INPUT error.
   */
  async blob(digest: string, size?: number): Promise<AsyncIterable<Buffer>> {
    const where = this.where(digest);
    parseDigest(digest, where);
    const res = await this.send(`blobs/${digest}`, {});
    if (res.status !== 200) throw await statusError(res, where, "blob");
    const len = header(res, "content-length");
    const length = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
    if (size !== undefined && length !== undefined && length !== size) {
      res.body.destroy();
      throw inputError(`${where}: registry sends ${length} bytes but the manifest says ${size}`);
    }
    return streamBody(res.body, where, length);
  }

  /** A small blob (config, signature payload), read whole and verified against its digest. */
  async blobBytes(digest: string, max: number): Promise<Buffer> {
    const where = this.where(digest);
    parseDigest(digest, where);
    const res = await this.send(`blobs/${digest}`, {});
    if (res.status !== 200) throw await statusError(res, where, "blob");
    const bytes = await guard(readLimited(res.body, max, where), where);
    verifyBlob(bytes, digest, where);
    return bytes;
  }

  /** Every tag of the repository (follows `Link: <…>; rel="next"` pages). */
  async tags(): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = "tags/list?n=1000";
    for (let page = 0; path && page < 100; page++) {
      const res = await this.send(path, { accept: "application/json" });
      if (res.status !== 200) throw await statusError(res, this.where(), "tag list");
      const doc = parseJsonBody<{ tags?: string[] | null }>(
        await guard(readLimited(res.body, MAX_MANIFEST, this.where()), this.where()),
        `${this.where()}: tag list`,
      );
      out.push(...(doc.tags ?? []));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(header(res, "link") ?? "")?.[1];
      path = next ? next.replace(/^.*\/v2\/.+?\/(tags\/list.*)$/, "$1") : undefined;
    }
    return out;
  }

  /**
   * OCI 1.1 referrers of a manifest: the referrers API, else the tag schema fallback
   * (`sha256-<hex>` tag holding an index). Registries with neither give an empty list.
   */
  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    const where = this.where(digest);
    const { alg, hex } = parseDigest(digest, where);
    const q = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : "";
    const res = await this.send(`referrers/${digest}${q}`, { accept: OCI_INDEX });
    let index: { manifests?: Descriptor[] } | undefined;
    if (res.status === 200) {
      const bytes = await guard(readLimited(res.body, MAX_MANIFEST, where), where);
      index = parseJsonBody(bytes, `${where}: referrers`);
    } else if (res.status === 404 || res.status === 400 || res.status === 405) {
      await res.body.dump().catch(() => {});
      const fallback = await this.manifest(`${alg}-${hex}`, OCI_INDEX).catch((err: unknown) => {
        if (err instanceof AirbagError && /not found/.test(err.message)) return undefined;
        throw err;
      });
      if (fallback) index = parseJsonBody(fallback.bytes, `${where}: referrers tag ${alg}-${hex}`);
    } else {
      throw await statusError(res, where, "referrers");
    }
    const list = Array.isArray(index?.manifests) ? index.manifests : [];
    return artifactType
      ? list.filter((d) => (d as Descriptor & { artifactType?: string }).artifactType === artifactType)
      : list;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  // --- transport -------------------------------------------------------------------------------

  /** GET `/v2/<repository>/<path>` from the first endpoint that has it. */
  private async send(path: string, headers: Record<string, string>): Promise<HttpResponse> {
    let lastErr: unknown;
    for (const ep of this.endpoints) {
      try {
        const res = await this.sendTo(ep, `/v2/${this.reference.repository}/${path}`, headers);
        if (ep.mirror && res.status !== 200) {
          await res.body.dump().catch(() => {});
          continue;
        }
        return res;
      } catch (err) {
        if (!ep.mirror) throw err;
        lastErr = err;
      }
    }
    throw lastErr;
  }

  private async sendTo(ep: Endpoint, path: string, headers: Record<string, string>): Promise<HttpResponse> {
    ep.ready ??= this.ping(ep);
    await ep.ready;
    const get = () =>
      this.http.get(`${ep.base}${path}`, {
        ...headers,
        ...(ep.authorization ? { authorization: ep.authorization } : {}),
      });
    const res = await get();
    if (res.status !== 401) return res;
    // a token for another scope, or an expired one: answer the new challenge once
    const challenge = parseChallenges(header(res, "www-authenticate"))[0];
    if (!challenge) return res;
    await res.body.dump().catch(() => {});
    await this.authenticate(ep, challenge);
    return get();
  }

  private insecure(host: string): boolean {
    return this.opts.insecure === true || isLoopbackRegistry(host);
  }

  /** Find the scheme (https, then http for loopback/--insecure) and the auth the registry wants. */
  private async ping(ep: Endpoint): Promise<void> {
    const schemes = this.insecure(ep.host) ? ["https", "http"] : ["https"];
    let lastErr: unknown;
    for (const scheme of schemes) {
      let res: HttpResponse;
      try {
        res = await this.http.get(`${scheme}://${ep.host}/v2/`, {});
      } catch (err) {
        // the server speaks TLS with a certificate we do not trust: plain HTTP is not the answer
        if (isCertificateError(err))
          throw new AirbagError(
            "NETWORK",
            `registry ${ep.host}: TLS certificate not trusted (${causeCode(err)}); use --insecure to skip verification`,
            { cause: err },
          );
        lastErr = err;
        continue;
      }
      await res.body.dump().catch(() => {});
      if (res.status === 404)
        throw inputError(
          `${ep.host}: not an OCI / Docker registry (no /v2/ API at ${scheme}://${ep.host}/v2/)`,
        );
      if (res.status !== 200 && res.status !== 401)
        throw new AirbagError("NETWORK", `registry ${ep.host}: /v2/ answered HTTP ${res.status}`);
      ep.base = `${scheme}://${ep.host}`;
      const challenge = res.status === 401 ? parseChallenges(header(res, "www-authenticate"))[0] : undefined;
      if (challenge) await this.authenticate(ep, challenge);
      return;
    }
    throw lastErr;
  }

  private credentialsFor(ep: Endpoint): Promise<Credentials | undefined> {
    if (!ep.mirror && this.opts.credentials !== undefined)
      return Promise.resolve(this.opts.credentials ?? undefined);
    const registry = ep.mirror ? ep.host : this.reference.registry;
    return lookupCredentials(registry, { configPath: this.opts.dockerConfig, env: this.opts.env });
  }

  private async authenticate(ep: Endpoint, challenge: Challenge): Promise<void> {
    ep.challenge = challenge;
    const creds = await this.credentialsFor(ep);
    if (challenge.scheme === "basic") {
      ep.authorization = creds ? basicHeader(creds) : undefined;
      return;
    }
    if (challenge.scheme !== "bearer")
      throw new AirbagError(
        "UNSUPPORTED",
        `registry ${ep.host}: unsupported auth scheme "${challenge.scheme}"`,
      );
    const own = `repository:${this.reference.repository}:pull`;
    const scopes = challenge.params.scope ? [...new Set([challenge.params.scope, own])] : [own];
    const token = await fetchToken(this.http, challenge, scopes, creds, ep.host, this.insecure(ep.host));
    ep.authorization = `Bearer ${token}`;
  }
}

function causeCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? "";
}

function isCertificateError(err: unknown): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(causeCode(err));
}

function mediaTypeOf(contentType: string | undefined, bytes: Buffer): string {
  const ct = contentType?.split(";")[0]?.trim().toLowerCase();
  if (ct?.startsWith("application/vnd.")) return ct;
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown };
    if (typeof doc.mediaType === "string") return doc.mediaType;
  } catch {
    /* the caller parses and names the problem */
  }
  return ct ?? "";
}

function parseJsonBody<T>(bytes: Buffer, where: string): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (err) {
    throw inputError(`${where}: invalid JSON (${(err as Error).message})`, err);
  }
}

/** Turn a stream failure during a whole-body read into one line naming what was being read. */
async function guard<T>(p: Promise<T>, where: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof AirbagError) throw err;
    throw inputError(`${where}: download interrupted (${(err as Error).message})`, err);
  }
}

async function* streamBody(
  body: HttpResponse["body"],
  where: string,
  length: number | undefined,
): AsyncGenerator<Buffer> {
  let n = 0;
  let done = false;
  // socket reads arrive in ≤64 KiB pieces; the walker's per-chunk work (hashes, inflate, tar) is
  // cheaper on the 1 MiB chunks a file stream gives, so small pieces are gathered first
  let held: Buffer[] = [];
  let heldBytes = 0;
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        n += chunk.length;
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes >= CHUNK) {
          yield held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
          held = [];
          heldBytes = 0;
        }
      }
    } catch (err) {
      throw inputError(`${where}: download interrupted after ${n} bytes (${(err as Error).message})`, err);
    }
    if (heldBytes) yield Buffer.concat(held, heldBytes);
    if (length !== undefined && n !== length)
      throw inputError(`${where}: download ended after ${n} of ${length} bytes`);
    done = true;
  } finally {
    // the consumer stopped early (an error in the walk): release the connection
    if (!done) body.destroy();
  }
}

const STATUS_WORDS: Record<number, string> = {
  401: "authentication required; log in (docker login) or add credentials to ~/.docker/config.json",
  403: "access denied",
  404: "not found",
};

/** One line for a failed request: the HTTP status, the registry's error code, what to do. */
async function statusError(res: HttpResponse, where: string, what: string): Promise<AirbagError> {
  let detail = "";
  try {
    const body = await readLimited(res.body, MAX_ERROR_BODY, where);
    const doc = JSON.parse(body.toString("utf8")) as { errors?: { code?: string; message?: string }[] };
    const e = doc.errors?.[0];
    if (e) detail = `: ${[e.code, e.message].filter(Boolean).join(" ")}`;
  } catch {
    res.body.destroy();
  }
  const words = STATUS_WORDS[res.status];
  if (words) return inputError(`${where}: ${what} ${words} (HTTP ${res.status}${detail})`);
  const code = res.status === 429 || res.status >= 500 ? "NETWORK" : "INPUT";
  return new AirbagError(
    code,
    `${where}: ${what} request failed (HTTP ${res.status}${detail}) after retries`,
  );
}
