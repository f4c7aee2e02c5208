import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import type { AnalyzerContext, StreamedFile } from "../analyzer.js";
import { feed } from "./exe.testutil.js";
import { inflateAudit, type RustAuditExtract, rustAuditableAnalyzer } from "./rust-auditable.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures");
/** audit data in cargo-auditable's format (schema: cargo-auditable.schema.json), written for these tests */
const JSON_TEXT = readFileSync(join(FIX, "rust/dep-v0.json"), "utf8").trim();

const has = (cmd: string, arg = "--version") => {
  try {
    execFileSync(cmd, [arg], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const hasObjcopy = has("objcopy");
const hasRust = hasObjcopy && has("rustc") && has("cc");

function ctx(warnings: string[] = []): AnalyzerContext {
  return { file: () => undefined, warn: (m) => warnings.push(m) };
}
const streamed = (result: RustAuditExtract): StreamedFile<RustAuditExtract> => ({
  path: "usr/local/bin/app",
  layer: "sha256:bb",
  mode: 0o755,
  size: 1,
  result,
});

let dir = "";
const bins: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "airbag-rust-"));
  const z = join(dir, "dep.z");
  writeFileSync(z, deflateSync(Buffer.from(JSON_TEXT), { level: 9 }));
  if (hasObjcopy) {
    // objcopy adds a section without SHF_ALLOC: after the loaded segments, as cargo-auditable's is
    bins.objcopy = join(dir, "true-audited");
    copyFileSync("/bin/true", join(dir, "true"));
    execFileSync("objcopy", [
      "--add-section",
      `.dep-v0=${z}`,
      "--set-section-flags",
      ".dep-v0=readonly",
      join(dir, "true"),
      bins.objcopy,
    ]);
  }
  if (hasRust) {
    // what cargo-auditable does: an object file with a non-ALLOC .dep-v0 section, linked in by rustc
    writeFileSync(join(dir, "empty.c"), "\n");
    writeFileSync(join(dir, "main.rs"), 'fn main() { println!("hi"); }\n');
    execFileSync("cc", ["-c", join(dir, "empty.c"), "-o", join(dir, "empty.o")]);
    execFileSync("objcopy", [
      "--add-section",
      `.dep-v0=${z}`,
      "--set-section-flags",
      ".dep-v0=readonly",
      join(dir, "empty.o"),
      join(dir, "dep.o"),
    ]);
    for (const [name, flags] of [
      ["rust-debug", []], // std's debug info stays: .dep-v0 lands after megabytes of .debug_*
      ["rust-stripped", ["-C", "strip=debuginfo"]],
    ] as const) {
      bins[name] = join(dir, name);
      execFileSync(
        "rustc",
        ["-O", ...flags, "-C", `link-arg=${join(dir, "dep.o")}`, join(dir, "main.rs"), "-o", bins[name]],
        { cwd: dir },
      );
    }
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rust-auditable: real ELF binaries with a .dep-v0 section", () => {
  // skipped where the tool is missing (the CI machine has binutils, cc and rustc)
  for (const [name, available] of [
    ["objcopy", hasObjcopy],
    ["rust-debug", hasRust],
    ["rust-stripped", hasRust],
  ] as const)
    it.skipIf(!available)(name, () => {
      const bin = bins[name]!;
      const fullSize = readFileSync(bin).length;
      for (const [seed, maxChunk] of [
        [1, 1 << 20],
        [2, 4096],
        [3, 61],
      ] as const) {
        const r = feed(rustAuditableAnalyzer, bin, { seed, maxChunk });
        expect(r.result?.json).toBe(JSON_TEXT);
        // with small chunks the feed visibly stops once the section is read, before the file's end (files
        // under 64 KiB, like the objcopy one, are read whole as the header block)
        if (maxChunk < 100 && fullSize > 65536) expect(r.stoppedEarly).toBe(true);
        expect(r.fed).toBeLessThanOrEqual(fullSize);
      }
    });

  it("turns the audit data into crates.io packages", () => {
    const warnings: string[] = [];
    const pkgs = rustAuditableAnalyzer.analyze([streamed({ json: JSON_TEXT })], ctx(warnings)) as Package[];
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => `${p.name}@${p.version}`)).toEqual([
      "adler@1.0.2",
      "airbag-rust-fixture@0.1.0",
      "cc@1.0.83",
      "libc@0.2.150",
      "miniz_oxide@0.7.1",
      "private-crate@2.0.0",
      "forked@0.3.0",
      "odd@1.0.0",
    ]);
    const get = (n: string) => pkgs.find((p) => p.name === n)!;
    expect(get("libc")).toMatchObject({
      ecosystem: "crates.io",
      type: "cargo",
      purl: "pkg:cargo/libc@0.2.150",
      locations: [{ path: "usr/local/bin/app", layer: "sha256:bb" }],
      metadata: { source: "crates.io" },
    });
    expect(get("airbag-rust-fixture").metadata).toEqual({ source: "local", root: true });
    expect(get("cc").metadata).toEqual({ source: "crates.io", kind: "build" });
    expect(get("odd").metadata).toEqual({ source: "sparse+https://example.com/index/" });
  });

  it("warns about entries without name/version and about non-JSON data", () => {
    const warnings: string[] = [];
    const json = JSON.stringify({
      packages: [{ name: "a", version: "1.0.0", source: "crates.io" }, { name: "b" }, null],
    });
    const pkgs = rustAuditableAnalyzer.analyze(
      [streamed({ json }), streamed({ json: "{" })],
      ctx(warnings),
    ) as Package[];
    expect(pkgs.map((p) => p.name)).toEqual(["a"]);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/usr\/local\/bin\/app: audit data package 1/);
  });
});

describe("rust-auditable: skipping", () => {
  it("reads a non-audited ELF to its section table and finds nothing", () => {
    const r = feed(rustAuditableAnalyzer, "/bin/ls", { maxChunk: 65536 });
    expect(r.result).toBeUndefined();
  });

  it("drops a Go binary after its first chunk (Go build-id note)", () => {
    const r = feed(rustAuditableAnalyzer, join(FIX, "go/hello"), { maxChunk: 65536, fixed: true });
    expect(r).toMatchObject({ result: undefined, stoppedEarly: true, writes: 1 });
  });

  it("drops non-ELF files on their first bytes", () => {
    const r = feed(rustAuditableAnalyzer, Buffer.concat([Buffer.from("MZ"), Buffer.alloc(100_000)]), {
      maxChunk: 1000,
    });
    expect(r).toMatchObject({ result: undefined, stoppedEarly: true, writes: 1 });
  });

  it("inflateAudit rejects zlib data that is not audit JSON, and waits on a truncated stream", () => {
    expect(inflateAudit(deflateSync(Buffer.from("hello world, not json")), true)).toBe("no");
    const z = deflateSync(Buffer.from(JSON_TEXT));
    expect(inflateAudit(z.subarray(0, z.length - 6), false)).toBe("more");
    expect(inflateAudit(Buffer.concat([z, Buffer.from("trailing")]), true)).toBe(JSON_TEXT);
  });
});

describe("rust-auditable: never throws", () => {
  it("on arbitrary bytes after an ELF header, and arbitrary JSON text", () => {
    const elf = bins.objcopy ? readFileSync(bins.objcopy) : Buffer.alloc(0);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.nat(),
        fc.integer({ min: 1, max: 700 }),
        (junk, at, maxChunk) => {
          const data = Buffer.from(elf.length ? elf : junk);
          if (elf.length)
            data.set(junk.subarray(0, Math.max(0, data.length - (at % data.length))), at % data.length);
          const r = feed(rustAuditableAnalyzer, data, { maxChunk, seed: maxChunk });
          rustAuditableAnalyzer.analyze(r.result ? [streamed(r.result)] : [], ctx());
        },
      ),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (json) => {
        rustAuditableAnalyzer.analyze([streamed({ json })], ctx());
      }),
    );
  });
});
