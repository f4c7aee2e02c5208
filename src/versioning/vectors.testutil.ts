/**
 * Test support for src/versioning: reads ordering vectors (`A op B` lines) from test/fixtures/versions,
 * runs native-tool oracles in one batched process, and checks total-order laws on samples.
 * Not part of the library surface (only *.test.ts files import it).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { expect, it } from "vitest";
import type { Ordering } from "./common.js";

export type Compare = (a: string, b: string) => Ordering;
export type Op = "<" | "=" | ">";
export interface Vector {
  a: string;
  op: Op;
  b: string;
  where: string;
}

export const FIXTURES = fileURLToPath(new URL("../../test/fixtures/versions/", import.meta.url));

const OPS: Record<string, Ordering> = { "<": -1, "=": 0, ">": 1 };
export const expected = (op: Op): Ordering => OPS[op] as Ordering;
export const opOf = (o: Ordering): Op => (o < 0 ? "<" : o > 0 ? ">" : "=");

/** Whitespace-separated `A op B` lines; `#` and `//` start comments (whole-line, or after the triple). */
export function readVectors(rel: string): Vector[] {
  const text = readFileSync(FIXTURES + rel, "utf8");
  const out: Vector[] = [];
  text.split("\n").forEach((raw, n) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("//")) return;
    const [a, op, b] = line.split(/\s+/);
    if (a === undefined || b === undefined || !(op === "<" || op === "=" || op === ">")) {
      throw new Error(`${rel}:${n + 1}: cannot read vector line: ${raw}`);
    }
    out.push({ a, op, b, where: `${rel}:${n + 1}` });
  });
  return out;
}

/** Tab-separated `A<TAB>op<TAB>B` lines (columns may be empty strings), `#` comment lines. */
export function readTsvVectors(rel: string): Vector[] {
  const text = readFileSync(FIXTURES + rel, "utf8");
  const out: Vector[] = [];
  text.split("\n").forEach((raw, n) => {
    if (raw === "" || raw.startsWith("#")) return;
    const [a, op, b] = raw.split("\t");
    if (a === undefined || b === undefined || !(op === "<" || op === "=" || op === ">")) {
      throw new Error(`${rel}:${n + 1}: cannot read vector line: ${raw}`);
    }
    out.push({ a, op, b, where: `${rel}:${n + 1}` });
  });
  return out;
}

/** Every vector checked both ways round; returns human-readable failures (empty when all pass). */
export function failures(vectors: Vector[], compare: Compare): string[] {
  const bad: string[] = [];
  for (const v of vectors) {
    const want = expected(v.op);
    const got = compare(v.a, v.b);
    const back = compare(v.b, v.a);
    if (got !== want || back !== -want) {
      bad.push(`${v.where}: ${v.a} ${v.op} ${v.b} but got ${opOf(got)} (reverse ${opOf(back)})`);
    }
  }
  return bad;
}

/**
 * Sort `list` with `compare`, then check every pair of the result agrees with the order: a non-transitive
 * or non-antisymmetric comparator leaves a pair that contradicts the sort. Returns the first violation.
 */
export function orderViolation(list: string[], compare: Compare): string | undefined {
  for (const a of list) {
    if (compare(a, a) !== 0) return `not reflexive: ${JSON.stringify(a)}`;
  }
  const sorted = [...list].sort(compare);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i] as string;
      const b = sorted[j] as string;
      const c = compare(a, b);
      if (c > 0 || compare(b, a) !== -c) {
        return `inconsistent: ${JSON.stringify(a)} ${opOf(c)} ${JSON.stringify(b)} (reverse ${opOf(compare(b, a))}) in ${JSON.stringify(sorted)}`;
      }
    }
  }
  return undefined;
}

/** Small seeded PRNG (mulberry32) so oracle samples are reproducible; seed via AIRBAG_ORACLE_SEED. */
export function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export const oracleSeed = (): number => Number(process.env.AIRBAG_ORACLE_SEED ?? 20240601);

/** `n` random pairs drawn from the distinct versions mentioned by `vectors`. */
export function samplePairs(vectors: Vector[], n: number, seed = oracleSeed()): [string, string][] {
  const pool = [...new Set(vectors.flatMap((v) => [v.a, v.b]))];
  const next = rng(seed);
  const pick = (): string => pool[Math.floor(next() * pool.length)] as string;
  return Array.from({ length: n }, () => [pick(), pick()] as [string, string]);
}

/** True when `cmd args…` runs and exits 0 (used to skip oracle tests where a tool is missing). */
export function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 30_000 });
  return r.status === 0;
}

export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run `cmd args…` with `input` on stdin; returns stdout lines. Throws with stderr on failure. */
export function run(
  cmd: string,
  args: string[],
  input = "",
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string[] {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** Pairs where `ours` disagrees with the oracle's answers (one ordering per pair). */
export function disagreements(pairs: [string, string][], answers: Ordering[], ours: Compare): string[] {
  if (answers.length !== pairs.length)
    throw new Error(`oracle gave ${answers.length} answers for ${pairs.length} pairs`);
  const bad: string[] = [];
  pairs.forEach(([a, b], k) => {
    const got = ours(a, b);
    if (got !== answers[k])
      bad.push(`${a} vs ${b}: oracle ${opOf(answers[k] as Ordering)}, ours ${opOf(got)}`);
  });
  return bad;
}

/** Version-shaped strings per scheme, small alphabets so that ties and near-ties are common. */
export const VERSION_SHAPES = {
  debian: /^([0-2]:)?[0-9][0-9a-cA.+~]{0,6}(-[0-9a-c.+~]{1,4})?$/,
  rpm: /^([0-2]:)?[0-9a-cA.~^_+]{1,7}(-[0-9a-c.~^]{1,4})?$/,
  apk: /^[0-9]{1,2}(\.[0-9]{1,2}){0,3}[a-c]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]?){0,2}(~[0-9a-f]{1,3})?(-r[0-9]{1,2})?$/,
  semver:
    /^v?[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(-[0-9a-cA-]{1,3}(\.[0-9a-cA-]{1,3}){0,2})?(\+[a-z0-9]{1,3})?$/,
  go: /^(v?[0-9]{1,2}(\.[0-9]{1,2}(\.[0-9]{1,2}(-(0\.|pre\.0\.)?20[0-9]{12}-[0-9a-f]{12}|-[0-9a-c]{1,3}(\.[0-9a-c]{1,3})?)?(\+incompatible)?)?)?|go1(\.[0-9]{1,2}){0,2}((rc|beta)[0-9])?)$/,
  pep440:
    /^([0-2]!)?[0-9]{1,2}(\.[0-9]{1,2}){0,2}((a|b|rc|alpha|beta|c|pre|preview)[0-9]?)?(\.post[0-9]?|-[0-9])?(\.dev[0-9]?)?(\+[a-z0-9]{1,3}(\.[a-z0-9]{1,3})?)?$/,
  // Maven's own order is not transitive when a dotted qualifier meets a hyphenated list
  // (`1.sp.1 > 1 > 1-alpha > 1.sp.1`, `1.0.milestone-0 < 1 < 1-0.1 < 1.0.milestone-0`, in the 3.8.7 jar
  // too), so qualifiers here follow a hyphen or a digit
  maven:
    /^[0-9]{1,2}(\.[0-9]{1,2}){0,2}(-?(alpha|beta|milestone|rc|cr|snapshot|ga|final|release|sp|a|b|m|x)(-?[0-9]{1,2})?)?(-[0-9]{1,2}(\.[0-9])?)?$/,
  rubygems: /^[0-9]{1,2}(\.[0-9a-cA]{1,2}){0,3}(-[0-9a-c]{1,2}(\.[0-9a-c]{1,2})?)?$/,
  composer: /^v?[0-9]{1,2}(\.[0-9]{1,2}){0,3}([-._]?(dev|alpha|a|beta|b|RC|rc|pl|p|patch|x)[.-]?[0-9]?)?$/,
  nuget: /^[0-9]{1,2}(\.[0-9]{1,2}){0,3}(-[0-9A-Ca-c-]{1,3}(\.[0-9A-Ca-c-]{1,3}){0,2})?(\+[a-z]{1,3})?$/,
} as const;

/** `n` distinct-ish samples of a version shape (deterministic for a seed). */
export const sampleShape = (shape: RegExp, n: number, seed = oracleSeed()): string[] =>
  fc.sample(fc.stringMatching(shape), { numRuns: n, seed });

const RUNS = Number(process.env.AIRBAG_PROPERTY_RUNS ?? 300);

/**
 * Register the order-law properties for a scheme: on version-shaped strings the comparison is reflexive,
 * antisymmetric and transitive; on arbitrary strings (including lone surrogates) it never throws, is
 * reflexive and antisymmetric, and — where `arbitraryIsOrdered` — transitive as well.
 */
export function orderLaws(compare: Compare, shape: RegExp, arbitraryIsOrdered: boolean): void {
  it("is a total order on version-shaped strings (reflexive, antisymmetric, transitive)", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(shape), { minLength: 2, maxLength: 12 }), (xs) => {
        expect(orderViolation(xs, compare)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
  const anyString = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.stringMatching(shape),
  );
  it("never throws on arbitrary strings and stays reflexive and antisymmetric", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(compare(a, a)).toBe(0);
        expect(compare(a, b)).toBe(-compare(b, a) || 0);
      }),
      { numRuns: RUNS * 3 },
    );
  });
  if (arbitraryIsOrdered) {
    it("stays a total order when invalid strings are mixed in", () => {
      fc.assert(
        fc.property(fc.array(anyString, { minLength: 2, maxLength: 12 }), (xs) => {
          expect(orderViolation(xs, compare)).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });
  }
}
