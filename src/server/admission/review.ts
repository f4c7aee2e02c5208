import { AirbagError } from "../../model/index.js";

/**
 * Kubernetes AdmissionReview v1 (`admission.k8s.io/v1`, field list from k8s.io/api/admission/v1): read
 * a review the API server POSTs to a ValidatingAdmissionWebhook, pull out every image the admitted
 * object would run, and build the review the webhook answers with.
 */

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";
export const ADMISSION_KIND = "AdmissionReview";
/** far more than any real pod; bounds the work one request can ask for */
const MAX_IMAGES = 512;
const MAX_UID = 256;
/** kubectl prints warnings as they are; the API documents 120 characters as the useful width */
export const MAX_WARNING = 120;

/** A bad review: `uid` is set when it was readable, so the answer can still be an AdmissionReview. */
export class AdmissionInputError extends AirbagError {
  constructor(
    message: string,
    readonly uid?: string,
  ) {
    super("INPUT", message);
  }
}

export interface AdmissionImage {
  /** the reference exactly as written in the object */
  image: string;
  /** where: `spec.template.spec.initContainers[0]` */
  field: string;
  container: string;
}

export interface ParsedReview {
  uid: string;
  /** request.kind.kind: Pod, Deployment, … */
  kind: string;
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  namespace?: string;
  name?: string;
  /** dry runs must have no side effects (the webhook declares sideEffects: NoneOnDryRun) */
  dryRun: boolean;
  images: AdmissionImage[];
  /** images of oldObject on UPDATE: an image already running was admitted before */
  previousImages: Set<string>;
}

export interface AdmissionResponseFields {
  allowed: boolean;
  status?: { code: number; message: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponseFields & { uid: string };
}

export function admissionResponse(uid: string, r: AdmissionResponseFields): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response: { uid, ...r } };
}

/** Where the pod spec sits in each workload kind that carries one. */
const POD_SPEC_PATH: Record<string, readonly string[]> = {
  Pod: ["spec"],
  PodTemplate: ["template", "spec"],
  Deployment: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};
const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;
const OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The uid when the body has a usable one, for answering even a bad review in kind. */
export function readableUid(body: unknown): string | undefined {
  const uid = isObject(body) && isObject(body.request) ? body.request.uid : undefined;
  return typeof uid === "string" && uid.length > 0 && uid.length <= MAX_UID ? uid : undefined;
}

/** Every image of the pod spec inside `object` (a workload of `kind`); [] for kinds without pods. */
export function imagesOf(kind: string, object: unknown, uid?: string, label = "object"): AdmissionImage[] {
  const path = POD_SPEC_PATH[kind];
  if (!path) return [];
  const bad = (why: string) => new AdmissionInputError(`AdmissionReview request.${label}: ${why}`, uid);
  let spec: unknown = object;
  for (const key of path) {
    if (!isObject(spec)) throw bad(`${kind} has no ${path.join(".")}`);
    spec = spec[key];
  }
  if (!isObject(spec)) throw bad(`${kind} has no ${path.join(".")}`);
  const base = path.join(".");
  const out: AdmissionImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (containers === undefined || containers === null) continue;
    if (!Array.isArray(containers)) throw bad(`${base}.${list} is not a list`);
    containers.forEach((c: unknown, i: number) => {
      const field = `${base}.${list}[${i}]`;
      if (!isObject(c)) throw bad(`${field} is not an object`);
      if (typeof c.image !== "string" || c.image.trim() === "")
        throw bad(`${field}.image is missing or not a string`);
      if (out.length >= MAX_IMAGES) throw bad(`more than ${MAX_IMAGES} containers`);
      out.push({ image: c.image.trim(), field, container: typeof c.name === "string" ? c.name : `#${i}` });
    });
  }
  return out;
}

/** Validate an AdmissionReview v1 body; throws AdmissionInputError naming the field. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  const uid = readableUid(body);
  const bad = (why: string) => new AdmissionInputError(`AdmissionReview ${why}`, uid);
  if (!isObject(body)) throw bad("body is not a JSON object");
  if (body.apiVersion !== ADMISSION_API_VERSION)
    throw bad(`apiVersion ${JSON.stringify(body.apiVersion)} is not ${ADMISSION_API_VERSION}`);
  if (body.kind !== ADMISSION_KIND) throw bad(`kind ${JSON.stringify(body.kind)} is not ${ADMISSION_KIND}`);
  const req = body.request;
  if (!isObject(req)) throw bad("request is missing");
  if (uid === undefined) throw bad(`request.uid is missing, empty or longer than ${MAX_UID} characters`);
  const op = req.operation;
  if (typeof op !== "string" || !OPERATIONS.has(op))
    throw bad(`request.operation ${JSON.stringify(op)} is not CREATE, UPDATE, DELETE or CONNECT`);
  const kind = isObject(req.kind) && typeof req.kind.kind === "string" ? req.kind.kind : undefined;
  if (!kind) throw bad("request.kind.kind is missing");
  if (req.dryRun !== undefined && typeof req.dryRun !== "boolean")
    throw bad("request.dryRun is not a boolean");
  const operation = op as ParsedReview["operation"];
  const gated = operation === "CREATE" || operation === "UPDATE";
  const images = gated ? imagesOf(kind, req.object, uid) : [];
  const previousImages = new Set<string>();
  if (operation === "UPDATE" && req.oldObject != null) {
    for (const i of imagesOf(kind, req.oldObject, uid, "oldObject")) previousImages.add(i.image);
  }
  return {
    uid,
    kind,
    operation,
    ...(typeof req.namespace === "string" && req.namespace ? { namespace: req.namespace } : {}),
    ...(typeof req.name === "string" && req.name ? { name: req.name } : {}),
    dryRun: req.dryRun === true,
    images,
    previousImages,
  };
}

/** kubectl shows warnings verbatim; keep each within the documented width. */
export function warningLine(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= MAX_WARNING ? oneLine : `${oneLine.slice(0, MAX_WARNING - 1)}…`;
}
