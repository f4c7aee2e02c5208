/**
 * CVSS base scores computed from vectors, so every source's vector carries a score even when the source
 * only ships the vector (OSV `severity[]`). Formulas from FIRST's specifications:
 *  - v3.1: https://www.first.org/cvss/v3.1/specification-document §7.1, §7.4 (metric values), Appendix A (Roundup)
 *  - v3.0: https://www.first.org/cvss/v3.0/specification-document §8.1 (Roundup = ceil to one decimal)
 *  - v2:   https://www.first.org/cvss/v2/guide §3.2.1
 * CVSS v4.0 scoring needs FIRST's MacroVector lookup table and interpolation; it is not implemented, so a
 * v4 vector is kept with score NaN (rendered `null` in JSON). Base metrics only: temporal/environmental
 * metrics in a vector are accepted and ignored, as NVD does for the base score.
 */
import type { Cvss } from "../model/index.js";

type Metrics = Map<string, string>;

function parseMetrics(parts: string[]): Metrics | undefined {
  const m: Metrics = new Map();
  for (const part of parts) {
    if (part === "") continue; // a trailing "/" appears in real GHSA vectors
    const i = part.indexOf(":");
    if (i <= 0) return undefined;
    const key = part.slice(0, i);
    if (m.has(key)) return undefined;
    m.set(key, part.slice(i + 1));
  }
  return m;
}

const V3_AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const V3_AC: Record<string, number> = { L: 0.77, H: 0.44 };
const V3_PR_U: Record<string, number> = { N: 0.85, L: 0.62, H: 0.27 };
const V3_PR_C: Record<string, number> = { N: 0.85, L: 0.68, H: 0.5 };
const V3_UI: Record<string, number> = { N: 0.85, R: 0.62 };
const V3_CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/** CVSS v3.1 Appendix A: round up to one decimal, working in integers to dodge float error. */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** CVSS v3.0: "the smallest number, specified to one decimal place, that is equal to or higher than its input". */
function roundup30(x: number): number {
  return Math.ceil(Math.round(x * 100000) / 10000) / 10;
}

function pick(table: Record<string, number>, value: string | undefined): number | undefined {
  return value !== undefined && Object.hasOwn(table, value) ? table[value] : undefined;
}

/** Base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector, or undefined when it is not a valid v3 vector. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.trim().split("/");
  const head = parts.shift();
  if (head !== "CVSS:3.1" && head !== "CVSS:3.0") return undefined;
  const m = parseMetrics(parts);
  if (!m) return undefined;
  const scope = m.get("S");
  if (scope !== "U" && scope !== "C") return undefined;
  const av = pick(V3_AV, m.get("AV"));
  const ac = pick(V3_AC, m.get("AC"));
  const pr = pick(scope === "C" ? V3_PR_C : V3_PR_U, m.get("PR"));
  const ui = pick(V3_UI, m.get("UI"));
  const c = pick(V3_CIA, m.get("C"));
  const i = pick(V3_CIA, m.get("I"));
  const a = pick(V3_CIA, m.get("A"));
  if (av === undefined || ac === undefined || pr === undefined || ui === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;
  const roundup = head === "CVSS:3.1" ? roundup31 : roundup30;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === "U" ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === "U"
    ? roundup(Math.min(impact + exploitability, 10))
    : roundup(Math.min(1.08 * (impact + exploitability), 10));
}

const V2_AV: Record<string, number> = { L: 0.395, A: 0.646, N: 1.0 };
const V2_AC: Record<string, number> = { H: 0.35, M: 0.61, L: 0.71 };
const V2_AU: Record<string, number> = { M: 0.45, S: 0.56, N: 0.704 };
const V2_CIA: Record<string, number> = { N: 0, P: 0.275, C: 0.66 };

/** Base score of a CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally wrapped in `(…)`). */
export function cvss2BaseScore(vector: string): number | undefined {
  const text = vector.trim().replace(/^\((.*)\)$/, "$1");
  const m = parseMetrics(text.split("/"));
  if (!m) return undefined;
  const av = pick(V2_AV, m.get("AV"));
  const ac = pick(V2_AC, m.get("AC"));
  const au = pick(V2_AU, m.get("Au"));
  const c = pick(V2_CIA, m.get("C"));
  const i = pick(V2_CIA, m.get("I"));
  const a = pick(V2_CIA, m.get("A"));
  if (av === undefined || ac === undefined || au === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;
  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const exploitability = 20 * av * ac * au;
  const f = impact === 0 ? 0 : 1.176;
  const raw = (0.6 * impact + 0.4 * exploitability - 1.5) * f;
  // round_to_1_decimal, half up; the 1e-9 keeps x.x5 computed as x.x4999… from rounding down
  return Math.max(0, Math.round(raw * 10 + 1e-9) / 10);
}

/** The CVSS version a vector declares: "3.1", "3.0", "4.0", or "2.0" for prefix-less v2 vectors. */
export function cvssVersion(vector: string): string | undefined {
  const v = vector.trim();
  const m = /^CVSS:(\d\.\d)\//.exec(v);
  if (m) return m[1];
  return /(^|\/|\()AV:[LAN]\/AC:[HML]\/Au:[MSN]/.test(v) ? "2.0" : undefined;
}

/**
 * A `Cvss` entry for a vector from `source`, with the base score computed where we can (v2, v3.x);
 * NaN otherwise (v4, or a vector we cannot parse). Returns undefined for text that is not a CVSS vector.
 */
export function cvssFromVector(source: string, vector: string): Cvss | undefined {
  const v = vector.trim();
  const version = cvssVersion(v);
  if (version === undefined) return undefined;
  let score: number | undefined;
  if (version === "3.1" || version === "3.0") score = cvss3BaseScore(v);
  else if (version === "2.0") score = cvss2BaseScore(v);
  return { source, version, vector: v, score: score ?? Number.NaN };
}
