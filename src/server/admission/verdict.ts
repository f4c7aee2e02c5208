import { globMatches } from "../../match/wildcard.js";
import { inputError, SEVERITIES, type Severity } from "../../model/index.js";
import type { AdmissionOptions } from "../context.js";
import type { JobQueue } from "../queue/types.js";
import type { ServerStore, StoredScan } from "../store/types.js";
import { canonicalImage, findScan } from "./find-scan.js";
import {
  type AdmissionImage,
  type AdmissionReviewResponse,
  admissionResponse,
  type ParsedReview,
  warningLine,
} from "./review.js";
import { type CachedLookup, type ScanFacts, VerdictCache } from "./verdict-cache.js";

/**
 * The admission decision: per image allowed or denied with a reason, from the stored scan results and
 * the admission policy; then one AdmissionReview answer naming every failing image. Images nobody has
 * scanned get a scan queued (except on dry runs), so a retried rollout finds a verdict.
 */

export interface AdmissionPolicy {
  requireScan: boolean;
  requireSignature: boolean;
  /** findings at this severity or above deny; "none" never denies on findings */
  maxSeverity: Severity | "none";
  /** image globs (as written or fully qualified) never gated */
  exempt: string[];
  /** answer allowed with warnings instead of denying */
  warnOnly: boolean;
  /** what to answer when the store cannot be read */
  failurePolicy: "open" | "closed";
  /** on UPDATE, images the old object already ran are not gated again (scaling, label edits) */
  allowUnchanged: boolean;
}

export const DEFAULT_ADMISSION_POLICY: AdmissionPolicy = {
  requireScan: true,
  requireSignature: false,
  maxSeverity: "critical",
  exempt: [],
  warnOnly: false,
  failurePolicy: "closed",
  allowUnchanged: true,
};

/** Server options → policy, with a one-line error naming the bad field. */
export function admissionPolicy(o: AdmissionOptions & { allowUnchanged?: boolean } = {}): AdmissionPolicy {
  const p = { ...DEFAULT_ADMISSION_POLICY };
  for (const key of ["requireScan", "requireSignature", "warnOnly", "allowUnchanged"] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== "boolean") throw inputError(`admission.${key}: expected true or false`);
    p[key] = v;
  }
  if (o.maxSeverity !== undefined) {
    if (o.maxSeverity !== "none" && !SEVERITIES.includes(o.maxSeverity as Severity))
      throw inputError(
        `admission.maxSeverity: "${o.maxSeverity}" is not ${[...SEVERITIES, "none"].join(", ")}`,
      );
    p.maxSeverity = o.maxSeverity as AdmissionPolicy["maxSeverity"];
  }
  if (o.exempt !== undefined) {
    if (!Array.isArray(o.exempt) || o.exempt.some((g) => typeof g !== "string" || g === ""))
      throw inputError("admission.exempt: expected a list of image globs");
    p.exempt = [...o.exempt];
  }
  if (o.failurePolicy !== undefined) {
    if (o.failurePolicy !== "open" && o.failurePolicy !== "closed")
      throw inputError(`admission.failurePolicy: "${o.failurePolicy}" is not open or closed`);
    p.failurePolicy = o.failurePolicy;
  }
  return p;
}

export { canonicalImage } from "./find-scan.js";

export interface ImageVerdict {
  image: string;
  allowed: boolean;
  reason?: string;
  digest?: string;
}

const isExempt = (image: string, policy: AdmissionPolicy): boolean => {
  if (policy.exempt.length === 0) return false;
  const full = canonicalImage(image);
  return policy.exempt.some((g) => globMatches(g, image) || (full !== undefined && globMatches(g, full)));
};

/** The pure part: one image, what is known about it, the policy → verdict. */
export function judgeImage(
  image: string,
  lookup: CachedLookup,
  policy: AdmissionPolicy,
  dryRun = false,
): ImageVerdict {
  if (isExempt(image, policy)) return { image, allowed: true, reason: "exempt" };
  const facts = lookup.facts;
  if (!facts) {
    if (!policy.requireScan) return { image, allowed: true, reason: "not scanned" };
    const queued = lookup.jobId ? `; scan queued as job ${lookup.jobId}` : dryRun ? "" : "; no scan queued";
    return { image, allowed: false, reason: `not scanned${queued}` };
  }
  const problems: string[] = [];
  if (policy.maxSeverity !== "none") {
    const limit = SEVERITIES.indexOf(policy.maxSeverity);
    const over = SEVERITIES.slice(0, limit + 1).filter((s) => (facts.summary[s] ?? 0) > 0);
    const total = over.reduce((n, s) => n + facts.summary[s], 0);
    if (total > 0) {
      const counts = over.map((s) => `${facts.summary[s]} ${s}`).join(", ");
      const scope = limit > 0 ? `${policy.maxSeverity} and above` : policy.maxSeverity;
      problems.push(`${counts} finding${total === 1 ? "" : "s"} (policy denies ${scope})`);
    }
  }
  if (policy.requireSignature && facts.signed !== true)
    problems.push(facts.signed === false ? "signature did not verify" : "not signed");
  return problems.length
    ? { image, allowed: false, reason: problems.join("; "), digest: facts.digest }
    : { image, allowed: true, digest: facts.digest };
}

const factsOf = (s: StoredScan): ScanFacts => ({
  digest: s.digest,
  summary: s.summary,
  scannedAt: s.scannedAt,
  ...(s.signed !== undefined ? { signed: s.signed } : {}),
});

export interface AdmissionDeciderDeps {
  store: ServerStore;
  queue?: JobQueue;
  cache?: VerdictCache;
  policy?: AdmissionPolicy;
  warn?(message: string): void;
}

export class AdmissionDecider {
  readonly cache: VerdictCache;
  policy: AdmissionPolicy;
  /** one store query per key at a time, however many requests wait for it */
  private readonly inFlight = new Map<string, Promise<CachedLookup>>();

  constructor(private readonly deps: AdmissionDeciderDeps) {
    this.cache = deps.cache ?? new VerdictCache();
    this.policy = deps.policy ?? DEFAULT_ADMISSION_POLICY;
  }

  async review(r: ParsedReview): Promise<AdmissionReviewResponse> {
    const gated = r.images.filter(
      (i) => !(this.policy.allowUnchanged && r.operation === "UPDATE" && r.previousImages.has(i.image)),
    );
    // the same image in several containers is judged once
    const unique = [...new Set(gated.map((i) => i.image))];
    let verdicts: ImageVerdict[];
    try {
      verdicts = await Promise.all(
        unique.map(async (image) =>
          judgeImage(image, await this.lookup(image, r.dryRun), this.policy, r.dryRun),
        ),
      );
    } catch (err) {
      return this.storeFailure(r.uid, err as Error);
    }
    return this.answer(r, gated, verdicts);
  }

  private answer(
    r: ParsedReview,
    images: AdmissionImage[],
    verdicts: ImageVerdict[],
  ): AdmissionReviewResponse {
    const failing = verdicts.filter((v) => !v.allowed);
    const annotations = { "airbag.dev/images": String(verdicts.length) };
    if (failing.length === 0)
      return admissionResponse(r.uid, { allowed: true, auditAnnotations: annotations });
    const where = (image: string) =>
      images
        .filter((i) => i.image === image)
        .map((i) => i.container)
        .join(", ");
    const lines = failing.map((v) => `${v.image} (${where(v.image)}): ${v.reason}`);
    const denied = { ...annotations, "airbag.dev/denied": String(failing.length) };
    if (this.policy.warnOnly)
      return admissionResponse(r.uid, {
        allowed: true,
        warnings: lines.slice(0, 20).map((l) => warningLine(`airbag: ${l}`)),
        auditAnnotations: { ...denied, "airbag.dev/mode": "warn" },
      });
    const message = `airbag denied ${failing.length} of ${verdicts.length} image${verdicts.length === 1 ? "" : "s"}: ${lines.join("; ")}`;
    return admissionResponse(r.uid, {
      allowed: false,
      status: { code: 403, message: message.length > 2000 ? `${message.slice(0, 1999)}…` : message },
      auditAnnotations: denied,
    });
  }

  private storeFailure(uid: string, err: Error): AdmissionReviewResponse {
    const why = `cannot read scan results (${err.message.split("\n")[0]})`;
    this.deps.warn?.(`admission: ${why}; failing ${this.policy.failurePolicy}`);
    return this.policy.failurePolicy === "open"
      ? admissionResponse(uid, {
          allowed: true,
          warnings: [warningLine(`airbag: ${why}; admitted (failurePolicy open)`)],
          auditAnnotations: { "airbag.dev/failure": "open" },
        })
      : admissionResponse(uid, {
          allowed: false,
          status: { code: 503, message: `airbag: ${why}; denied (failurePolicy closed)` },
          auditAnnotations: { "airbag.dev/failure": "closed" },
        });
  }

  /** Cached facts for an image, else one store query (shared by concurrent requests). */
  private lookup(image: string, dryRun: boolean): Promise<CachedLookup> | CachedLookup {
    const key = VerdictCache.keyFor(image);
    const hit = this.cache.get(key);
    if (hit) return hit;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.load(image, key, dryRun).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async load(image: string, key: string, dryRun: boolean): Promise<CachedLookup> {
    const scan = await findScan(this.deps.store, image);
    const value: CachedLookup = scan ? { facts: factsOf(scan) } : await this.queueScan(image, dryRun);
    // a dry run queued nothing: do not let it hide the need to queue from the next real request
    if (scan || !dryRun) this.cache.set(key, value);
    return value;
  }

  private async queueScan(image: string, dryRun: boolean): Promise<CachedLookup> {
    if (dryRun || !this.deps.queue) return {};
    const target = `registry:${canonicalImage(image) ?? image}`;
    try {
      const job = await this.deps.queue.enqueue(target, "admission");
      return { jobId: job.id };
    } catch (err) {
      this.deps.warn?.(`admission: could not queue a scan of ${image}: ${(err as Error).message}`);
      return {};
    }
  }
}
