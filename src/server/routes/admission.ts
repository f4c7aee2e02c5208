import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import {
  AdmissionInputError,
  admissionResponse,
  parseAdmissionReview,
  readableUid,
} from "../admission/review.js";
import { AdmissionDecider, admissionPolicy } from "../admission/verdict.js";
import { VerdictCache } from "../admission/verdict-cache.js";
import type { ServerContext } from "../context.js";

/**
 * `POST /admission`: the Kubernetes ValidatingAdmissionWebhook. The API server authenticates us via
 * TLS, so the route is public; with `admission.token` set it also needs `Authorization: Bearer`.
 * Every answer to a readable review is an AdmissionReview with the uid copied — even a bad one (400).
 */

/** the API server caps a request at 3 MiB; a review carries the object and, on UPDATE, the old one */
export const ADMISSION_BODY_LIMIT = 6 * 1024 * 1024;

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export default async function admissionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const options = ctx.options.admission ?? {};
  const decider = new AdmissionDecider({
    store: ctx.store,
    queue: ctx.queue,
    cache: new VerdictCache(),
    policy: admissionPolicy(options),
    warn: ctx.warn,
  });
  ctx.onScanStored.add((digest) => decider.cache.invalidateDigest(digest));
  const token = options.token;

  const badRequest = async (reply: FastifyReply, body: unknown, message: string) => {
    const uid = readableUid(body);
    await reply
      .code(400)
      .send(
        uid === undefined
          ? { error: message }
          : admissionResponse(uid, { allowed: false, status: { code: 400, message } }),
      );
  };

  app.post(
    "/admission",
    {
      bodyLimit: ADMISSION_BODY_LIMIT,
      config: { role: "public", summary: "Kubernetes ValidatingAdmissionWebhook (AdmissionReview v1)" },
    },
    async (req, reply) => {
      if (token !== undefined) {
        const auth = req.headers.authorization;
        if (!auth?.startsWith("Bearer ") || !sameSecret(auth.slice(7).trim(), token))
          return reply
            .code(401)
            .send({ error: "POST /admission needs Authorization: Bearer <admission token>" });
      }
      let review: ReturnType<typeof parseAdmissionReview>;
      try {
        review = parseAdmissionReview(req.body);
      } catch (err) {
        if (err instanceof AdmissionInputError) return badRequest(reply, req.body, err.message);
        throw err;
      }
      return reply.send(await decider.review(review));
    },
  );
}
