import type { FastifyInstance } from "fastify";
import { formatReference, parseReference } from "../../image/registry/reference.js";
import { inputError } from "../../model/index.js";
import type { ServerContext } from "../context.js";

/**
 * Registry scan-on-push: `POST /api/v1/registry/events` takes Docker distribution (CNCF Distribution)
 * notification envelopes (`application/vnd.docker.distribution.events.v1+json`) and queues a scan of
 * every pushed manifest as `registry:HOST/REPO[:TAG]@DIGEST` (pulled by digest). The registry's config.yml sends an agent token:
 * `notifications.endpoints[].headers: { Authorization: [Bearer <token>] }`.
 *
 * Plain HTTP: the registry client falls back to http:// for loopback hosts by itself (as docker does),
 * so `registry:127.0.0.1:5000/app@sha256:…` needs no flag; the target string has no place for
 * `--insecure`, so other plain-HTTP registries are not reachable from scan-on-push.
 */

export const EVENTS_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json";
const MAX_EVENTS = 1000;
/** what a registry sends for pushes of images and image indexes (layer pushes also notify) */
const MANIFEST_TYPES = new Set([
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
]);
const SHA256 = /^sha256:[0-9a-f]{64}$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export interface PushedManifest {
  /** `registry:HOST/REPO@DIGEST` */
  target: string;
  tag?: string;
}

export interface ParsedEnvelope {
  pushes: PushedManifest[];
  /** events that are not manifest pushes, or that could not be read (with why) */
  skipped: { index: number; reason: string }[];
}

/** The host the registry is reachable at: the one in target.url, else the Host the pusher used. */
function hostOf(event: Record<string, unknown>, target: Record<string, unknown>): string | undefined {
  if (typeof target.url === "string") {
    try {
      const host = new URL(target.url).host;
      if (host) return host;
    } catch {
      // fall through to request.host
    }
  }
  const req = event.request;
  return isObject(req) && typeof req.host === "string" && req.host ? req.host : undefined;
}

/** One pushed manifest, or why the event is not one. */
function readEvent(event: unknown): PushedManifest | string {
  if (!isObject(event)) return "not an object";
  if (event.action !== "push") return `action ${JSON.stringify(event.action)} is not push`;
  const t = event.target;
  if (!isObject(t)) return "target is missing";
  if (typeof t.mediaType !== "string" || !MANIFEST_TYPES.has(t.mediaType))
    return `target.mediaType ${JSON.stringify(t.mediaType)} is not an image manifest`;
  if (typeof t.digest !== "string" || !SHA256.test(t.digest)) return "target.digest is not sha256:<64 hex>";
  if (typeof t.repository !== "string" || !t.repository) return "target.repository is missing";
  const host = hostOf(event, t);
  if (!host) return "neither target.url nor request.host names the registry";
  const tag = typeof t.tag === "string" && t.tag ? t.tag : undefined;
  let ref: string;
  try {
    // validates host, repository and tag, so nothing else can ride into the target string; the tag
    // stays beside the digest so admission finds the scan by `host/repo:tag` too (pulls use the digest)
    ref = formatReference(parseReference(`${host}/${t.repository}${tag ? `:${tag}` : ""}@${t.digest}`));
  } catch (err) {
    return (err as Error).message;
  }
  if (!ref.startsWith(`${host}/`)) return `"${host}" is not a registry host`;
  return { target: `registry:${ref}`, ...(tag ? { tag } : {}) };
}

/** Read a notification envelope `{ events: [...] }`; throws a one-line input error when it is not one. */
export function parseRegistryEnvelope(body: unknown): ParsedEnvelope {
  if (!isObject(body) || !Array.isArray(body.events))
    throw inputError("registry notification: body is not an envelope with an events list");
  if (body.events.length > MAX_EVENTS)
    throw inputError(`registry notification: more than ${MAX_EVENTS} events in one envelope`);
  const pushes = new Map<string, PushedManifest>();
  const skipped: ParsedEnvelope["skipped"] = [];
  body.events.forEach((e: unknown, index: number) => {
    const r = readEvent(e);
    if (typeof r === "string") skipped.push({ index, reason: r });
    else if (!pushes.has(r.target)) pushes.set(r.target, r);
  });
  return { pushes: [...pushes.values()], skipped };
}

export default async function registryEventRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  if (!app.hasContentTypeParser(EVENTS_MEDIA_TYPE))
    app.addContentTypeParser(
      EVENTS_MEDIA_TYPE,
      { parseAs: "string" },
      app.getDefaultJsonParser("error", "error"),
    );

  app.post(
    "/api/v1/registry/events",
    {
      bodyLimit: 4 * 1024 * 1024,
      config: { role: "agent", summary: "registry push notifications → scan jobs (scan-on-push)" },
    },
    async (req, reply) => {
      const { pushes, skipped } = parseRegistryEnvelope(req.body);
      const jobs = [];
      for (const p of pushes) {
        const job = await ctx.queue.enqueue(p.target, "registry-notification");
        jobs.push({ id: job.id, target: job.target, state: job.state });
      }
      // a 2xx tells the registry the envelope is delivered (it retries anything else, forever)
      return reply.code(202).send({ jobs, skipped });
    },
  );
}
