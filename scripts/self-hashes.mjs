#!/usr/bin/env node
// Build step (after tsc): Airbag ships its own malware rules, and they match themselves. Every shipped
// file under the rule roots below that the built malware scanner flags is recorded by SHA-256 and size
// in dist/self-allow.json; at scan time a file with that content (wherever it sits) has its findings
// reported as suppressed — "Airbag's own detection rules" — instead of failing Airbag's own image.
// Only files under these roots are eligible (nothing else is looked at or allowed); the deploy test
// (test/deploy/image.test.ts) scans the whole runtime tree and fails on any other self-match.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** where Airbag keeps detection rules: the rule data, and the detectors that read indicator data */
const RULE_ROOTS = ["data/rules", "dist/detect", "dist/runtime/detectors"];
const OUT = join(root, "dist", "self-allow.json");
const CHUNK = 64 * 1024;

const { createMalwareScanner } = await import(join(root, "dist/detect/malware/index.js"));
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
// the previous build's allow list must not vouch for anything while the new one is computed
const scanner = createMalwareScanner({ selfAllow: [] });

function* regularFiles(dir) {
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    return; // a root this build does not have
  }
  for (const name of names) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) yield* regularFiles(p);
    else if (st.isFile() && st.size > 0) yield { path: p, mode: st.mode & 0o7777 };
  }
}

/** the scanner's hits for one file, streamed in chunks like the image walker hands out tar bodies */
function hitsOf(rel, data, mode) {
  const c = scanner.consume(rel, data.length, mode);
  for (let o = 0; o < data.length; o += CHUNK) c.write(data.subarray(o, o + CHUNK));
  return c.end();
}

const files = {};
let scanned = 0;
for (const r of RULE_ROOTS) {
  for (const f of regularFiles(join(root, r))) {
    const rel = relative(root, f.path).split(sep).join("/");
    if (rel === "dist/self-allow.json") continue;
    const data = readFileSync(f.path);
    scanned++;
    const hits = hitsOf(rel, data, f.mode);
    if (!hits.length) continue;
    files[rel] = { sha256: createHash("sha256").update(data).digest("hex"), size: data.length };
    console.log(`self-hashes: ${rel} matches ${[...new Set(hits.map((h) => h.id))].join(", ")}`);
  }
}
writeFileSync(OUT, `${JSON.stringify({ tool: "airbag", version, files }, null, 1)}\n`);
console.log(
  `self-hashes: ${Object.keys(files).length} of ${scanned} rule files allowed by SHA-256 → dist/self-allow.json`,
);
