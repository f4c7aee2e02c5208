import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { expect } from "vitest";
import {
  type BuiltImage,
  buildImage,
  type LayerSpec,
  writeOciLayout,
} from "../../../test/support/image-builder.js";
import { openTarget, parseTarget, walkImage } from "../../image/index.js";
import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { type AnyAnalyzer, captureFor, catalogFiles, tapsFor } from "../index.js";

/** Test helpers for the buffered language analyzers (Python, Ruby, PHP, .NET, Cargo). */

export const FIXTURES = join(import.meta.dirname, "../../../test/fixtures");
export const fixture = (rel: string): Buffer => readFileSync(join(FIXTURES, rel));

export const captured = (path: string, content: Buffer | string, layer = "sha256:aa"): CapturedFile => ({
  path,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  layer,
  mode: 0o644,
});

export async function run(analyzer: Analyzer, files: CapturedFile[]) {
  const warnings: string[] = [];
  const ctx: AnalyzerContext = { file: () => undefined, warn: (m) => warnings.push(m) };
  const pkgs = (await analyzer.analyze(files, ctx)) as Package[];
  return { pkgs, warnings };
}

/** [name, version] pairs, sorted, for comparing with an oracle's list */
export const nv = (pkgs: Package[]): [string, string][] =>
  pkgs.map((p): [string, string] => [p.name, p.version]).sort((a, b) => (a.join("@") < b.join("@") ? -1 : 1));

/** The "never throws, returns well-formed packages" property over arbitrary bytes and near-valid text. */
export async function assertNeverThrows(analyzer: Analyzer, path: string, seeds: string[]): Promise<void> {
  const text = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u).toString("latin1")),
    // mutate a real document: cut it and splice random text in
    fc
      .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.string({ maxLength: 40 }))
      .map(([s, a, b, ins]) => {
        const i = a % (s.length + 1);
        return s.slice(0, i) + ins + s.slice(Math.min(s.length, i + (b % 20)));
      }),
  );
  await fc.assert(
    fc.asyncProperty(text, async (t) => {
      const { pkgs } = await run(analyzer, [captured(path, Buffer.from(t, "latin1"))]);
      for (const p of pkgs) {
        expect(typeof p.name).toBe("string");
        expect(p.name.length).toBeGreaterThan(0);
        expect(p.version.length).toBeGreaterThan(0);
        expect(p.purl.startsWith(`pkg:${p.type}/`)).toBe(true);
      }
    }),
    { numRuns: 300 },
  );
}

/** Build an OCI image from `layers`, walk it for real and catalogue it with `list`. */
export async function catalogImage(layers: LayerSpec[], list: AnyAnalyzer[]) {
  const tmp = mkdtempSync(join(tmpdir(), "airbag-lang-"));
  try {
    const img: BuiltImage = await buildImage({ layers });
    await writeOciLayout(join(tmp, "oci"), img);
    const warnings: string[] = [];
    const src = await openTarget(await parseTarget(`oci:${join(tmp, "oci")}`));
    const walk = await walkImage(src, {
      capture: captureFor(list),
      streams: tapsFor(list),
      warn: (m) => warnings.push(m),
    });
    await src.close();
    const { packages } = await catalogFiles(walk, (m) => warnings.push(m), list);
    return { packages, warnings, diffIds: img.layers.map((l) => l.diffId) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
