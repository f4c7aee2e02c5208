import { type Detection, inputError, SEVERITIES, type Severity } from "../model/index.js";

/**
 * Detections given by hand (`airbag policy test --detection FILE`): one JSON Detection, a JSON array
 * of them, or JSON lines. Only what rules match on is required (detector, id, severity, container
 * id/name/image); the rest gets defaults so a test file can stay short.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

function field(o: Json, key: string, where: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v === "") throw inputError(`${where}: "${key}" must be a non-empty string`);
  return v;
}

function toDetection(v: unknown, where: string, defaultAt: string): Detection {
  if (!isObject(v)) throw inputError(`${where}: a detection must be a JSON object`);
  const severity = field(v, "severity", where, true)!.toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(severity))
    throw inputError(`${where}: "severity" must be one of ${SEVERITIES.join(", ")}`);
  const c = v.container;
  if (!isObject(c)) throw inputError(`${where}: "container" must be an object with id, name and image`);
  const cw = `${where}: container`;
  let labels: Record<string, string> | undefined;
  if (c.labels !== undefined) {
    if (!isObject(c.labels) || Object.values(c.labels).some((x) => typeof x !== "string"))
      throw inputError(`${cw}: "labels" must map names to strings`);
    labels = c.labels as Record<string, string>;
  }
  const at = field(v, "at", where, false) ?? defaultAt;
  if (Number.isNaN(Date.parse(at))) throw inputError(`${where}: "at" must be an ISO-8601 time`);
  const id = field(v, "id", where, true)!;
  const imageId = field(c, "imageId", cw, false);
  const host = field(v, "host", where, false);
  if (v.details !== undefined && !isObject(v.details))
    throw inputError(`${where}: "details" must be an object`);
  return {
    detector: field(v, "detector", where, true)!,
    id,
    kind: field(v, "kind", where, false) ?? "runtime",
    severity: severity as Severity,
    title: field(v, "title", where, false) ?? id,
    container: {
      id: field(c, "id", cw, true)!,
      name: field(c, "name", cw, true)!,
      image: field(c, "image", cw, true)!,
      ...(imageId ? { imageId } : {}),
      ...(labels ? { labels } : {}),
    },
    evidence: typeof v.evidence === "string" ? v.evidence : "",
    ...(isObject(v.details) ? { details: v.details } : {}),
    at,
    ...(host ? { host } : {}),
  };
}

/** Detections from `text`; `file` names it in errors. `defaultAt` stands in for a missing `at`. */
export function parseDetections(
  text: string,
  file: string,
  defaultAt = new Date().toISOString(),
): Detection[] {
  let whole: unknown;
  let parsedWhole = false;
  try {
    whole = JSON.parse(text);
    parsedWhole = true;
  } catch {
    // not one JSON document: JSON lines
  }
  if (parsedWhole) {
    if (Array.isArray(whole)) return whole.map((v, i) => toDetection(v, `${file}: [${i}]`, defaultAt));
    return [toDetection(whole, file, defaultAt)];
  }
  const out: Detection[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw inputError(`${file}:${i + 1}: not JSON (expected a Detection, an array of them, or JSON lines)`);
    }
    out.push(toDetection(v, `${file}:${i + 1}`, defaultAt));
  });
  if (!out.length) throw inputError(`${file}: no detections in the file`);
  return out;
}
