import { AirbagError } from "../../model/index.js";

/**
 * Image references as docker and skopeo read them (distribution/reference grammar):
 * `[host[:port]/]path[:tag][@alg:hex]`. A first component is a registry host only when it contains
 * `.` or `:` or is `localhost`; otherwise the image lives on Docker Hub, and a one-component Hub path
 * is an official image under `library/`. `debian` → `docker.io/library/debian:latest`.
 */

export interface ImageReference {
  /** registry as users name it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000` */
  registry: string;
  /** repository path inside the registry: `library/debian` */
  repository: string;
  /** absent only when a digest is given */
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = "docker.io";
/** Docker Hub's API host; `docker.io` itself only redirects */
const DOCKER_HUB_API = "registry-1.docker.io";

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const MAX_NAME = 255;

function bad(raw: string, why: string): AirbagError {
  return new AirbagError("USAGE", `image reference "${raw}": ${why}`);
}

export function parseReference(raw: string): ImageReference {
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(raw, `malformed digest "${digest}" (expected sha256:<64 hex>)`);
    if (digest.startsWith("sha256:") && !/^sha256:[0-9a-f]{64}$/.test(digest))
      throw bad(raw, `malformed sha256 digest "${digest}"`);
  }
  // the tag is after the last ":" that follows the last "/" (a port's ":" comes before a "/")
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(raw, `invalid tag "${tag}"`);
  }
  if (!rest) throw bad(raw, "no repository name");
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  const isHost = slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
  let registry = isHost ? first : DOCKER_HUB;
  let repository = isHost ? rest.slice(slash + 1) : rest;
  if (isHost && !HOST.test(registry)) throw bad(raw, `invalid registry host "${registry}"`);
  if (registry === "index.docker.io" || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (repository !== repository.toLowerCase()) throw bad(raw, "repository name must be lowercase");
  for (const c of repository.split("/"))
    if (!PATH_COMPONENT.test(c)) throw bad(raw, `invalid repository path component "${c}"`);
  if (/^[0-9a-f]{64}$/.test(repository.replace(/^library\//, "")) && !isHost)
    throw bad(raw, "a 64-hex name is an image ID, not a repository; use engine:ID or @sha256:ID");
  if (`${registry}/${repository}`.length > MAX_NAME)
    throw bad(raw, `name longer than ${MAX_NAME} characters`);
  if (!tag && !digest) tag = "latest";
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The fully qualified form: `docker.io/library/debian:12`, `host:5000/app@sha256:…`. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** What to pull: the digest when pinned, else the tag. */
export function referenceTarget(r: ImageReference): string {
  return r.digest ?? r.tag ?? "latest";
}

/** `host[:port]` to send API requests to. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Host part without port (IPv6 brackets removed). */
export function hostName(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  const i = registry.lastIndexOf(":");
  return i < 0 ? registry : registry.slice(0, i);
}

/** Loopback registries may speak plain HTTP without --insecure (docker treats 127.0.0.0/8 the same). */
export function isLoopbackRegistry(registry: string): boolean {
  const h = hostName(registry).toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
