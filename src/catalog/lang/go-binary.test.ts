import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import type { AnalyzerContext, StreamedFile } from "../analyzer.js";
import { feed } from "./exe.testutil.js";
import { type GoBinaryExtract, goBinaryAnalyzer } from "./go-binary.js";
import { BUILDINFO_MAGIC, MODINFO_END, MODINFO_START, parseModinfo } from "./go-buildinfo.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures/go");
const HELLO = join(FIX, "hello");

const hasGo = (() => {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** `go version -m` output, read independently of our parser: tab-separated fields, quoted build values. */
interface Oracle {
  goVersion: string;
  path?: string;
  main?: string[];
  deps: { dep: string[]; replace?: string[] }[];
  build: [string, string][];
}

function readOracle(text: string): Oracle {
  const lines = text.split("\n");
  const o: Oracle = {
    goVersion: lines[0]!.slice(lines[0]!.lastIndexOf(": ") + 2).trim(),
    deps: [],
    build: [],
  };
  for (const line of lines.slice(1)) {
    const f = line.replace(/^\t/, "").split("\t");
    if (f[0] === "path") o.path = f[1];
    else if (f[0] === "mod") o.main = f.slice(1, 3);
    else if (f[0] === "dep") o.deps.push({ dep: f.slice(1).filter(Boolean) });
    else if (f[0] === "=>") o.deps[o.deps.length - 1]!.replace = f.slice(1).filter(Boolean);
    else if (f[0] === "build") {
      const kv = f.slice(1).join("\t");
      const eq = kv.indexOf("=");
      const raw = kv.slice(eq + 1);
      o.build.push([kv.slice(0, eq), raw.startsWith('"') ? JSON.parse(raw) : raw]);
    }
  }
  return o;
}

/** Our extract in the oracle's shape. */
function asOracle(x: GoBinaryExtract): Oracle {
  const info = parseModinfo(x.modinfo);
  expect(info.errors).toEqual([]);
  const fields = (m: { path: string; version: string; sum?: string }) =>
    [m.path, m.version, m.sum ?? ""].filter(Boolean);
  return {
    goVersion: x.goVersion,
    ...(info.path !== undefined ? { path: info.path } : {}),
    ...(info.main ? { main: [info.main.path, info.main.version] } : {}),
    deps: info.deps.map((d) => ({ dep: fields(d), ...(d.replace ? { replace: fields(d.replace) } : {}) })),
    build: info.settings,
  };
}

function ctx(warnings: string[] = []): AnalyzerContext {
  return { file: () => undefined, warn: (m) => warnings.push(m) };
}

const streamed = (result: GoBinaryExtract, path = "usr/bin/hello"): StreamedFile<GoBinaryExtract> => ({
  path,
  layer: "sha256:aa",
  mode: 0o755,
  size: 1,
  result,
});

const byName = (pkgs: Package[], name: string) => pkgs.find((p) => p.name === name);

describe("go-binary: committed fixture (go1.19.8, linux/amd64, built by test/fixtures/go/build.sh)", () => {
  const oracle = readOracle(readFileSync(`${HELLO}.version-m.txt`, "utf8"));

  it.each([
    [1, 1 << 20],
    [2, 65536],
    [3, 4096],
    [4, 97],
  ])("matches `go version -m` whatever the chunking (seed %i, chunks ≤ %i)", (seed, maxChunk) => {
    const r = feed(goBinaryAnalyzer, HELLO, { seed, maxChunk });
    expect(r.result).toBeDefined();
    expect(r.result!.format).toBe("elf");
    expect(asOracle(r.result!)).toEqual(oracle);
    // the blob is at 0x110000 of 1.2 MB: the feed stops right after it
    expect(r.stoppedEarly).toBe(true);
    expect(r.fed).toBeLessThan(0x110000 + (1 << 20) + 1);
  });

  it("lists stdlib, the main module and every dependency with replacements applied", () => {
    const x = feed(goBinaryAnalyzer, HELLO).result!;
    const warnings: string[] = [];
    const pkgs = goBinaryAnalyzer.analyze([streamed(x)], ctx(warnings)) as Package[];
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => `${p.name}@${p.version}`)).toEqual([
      "stdlib@1.19.8",
      "example.com/airbag/hello@(devel)",
      "example.com/greet@v1.2.3",
      "example.com/localdep@(devel)",
      "example.com/newname@v0.2.0",
    ]);
    const loc = [{ path: "usr/bin/hello", layer: "sha256:aa" }];
    expect(byName(pkgs, "stdlib")).toMatchObject({
      ecosystem: "Go",
      type: "golang",
      purl: "pkg:golang/stdlib@1.19.8",
      locations: loc,
      metadata: {
        goVersion: "go1.19.8",
        mainPath: "example.com/airbag/hello",
        "build:GOOS": "linux",
        "build:GOARCH": "amd64",
        "build:-ldflags": "-s -w -X main.version=1.0.0",
        "build:vcs.revision": expect.stringMatching(/^[0-9a-f]{40}$/),
      },
    });
    expect(byName(pkgs, "example.com/airbag/hello")).toMatchObject({
      purl: "pkg:golang/example.com/airbag/hello",
      metadata: { mainModule: true, devel: true, "build:vcs": "git" },
    });
    expect(byName(pkgs, "example.com/greet")).toMatchObject({
      purl: "pkg:golang/example.com/greet@v1.2.3",
      metadata: { sum: "h1:Qkp1CJ0jbjtfr77Sm7Sbook9oYvvXCa1d47XF7KXywY=" },
    });
    expect(byName(pkgs, "example.com/newname")).toMatchObject({
      purl: "pkg:golang/example.com/newname@v0.2.0",
      metadata: { replaces: "example.com/oldname@v0.1.0" },
    });
    expect(byName(pkgs, "example.com/localdep")).toMatchObject({
      purl: "pkg:golang/example.com/localdep",
      metadata: { devel: true, replacedBy: "./local", originalVersion: "v0.0.0-00010101000000-000000000000" },
    });
    expect(new Set(pkgs.map((p) => p.id)).size).toBe(pkgs.length);
  });
});

describe("go-binary: real Go binaries on this machine against `go version -m`", () => {
  const goTool = hasGo ? realpathSync(execFileSync("which", ["go"], { encoding: "utf8" }).trim()) : "";
  const candidates = [
    "/usr/sbin/runc",
    "/usr/bin/skopeo",
    "/usr/bin/podman",
    "/usr/bin/umoci",
    goTool, // holds the magic a second time, as a []byte literal in .noptrdata, after the real blob
    "/usr/local/bin/docker",
    "/usr/lib/google-cloud-sdk/bin/kubectl",
  ].filter((p) => p && existsSync(p));

  it.skipIf(!hasGo || candidates.length === 0).each(candidates)("%s", (bin) => {
    const oracle = readOracle(execFileSync("go", ["version", "-m", bin], { encoding: "utf8" }));
    const r = feed(goBinaryAnalyzer, bin, { seed: bin.length, maxChunk: 65536 });
    expect(r.result).toBeDefined();
    expect(asOracle(r.result!)).toEqual(oracle);
    expect(r.stoppedEarly).toBe(true);
    const pkgs = goBinaryAnalyzer.analyze([streamed(r.result!, bin.slice(1))], ctx()) as Package[];
    expect(pkgs.length).toBe(1 + (oracle.main ? 1 : 0) + oracle.deps.length);
    expect(pkgs[0]!.purl).toBe(`pkg:golang/stdlib@${oracle.goVersion.replace(/^go/, "").split(" ")[0]}`);
  });
});

describe("go-binary: other formats and architectures (cross-built with go at test time)", () => {
  let dir = "";
  const targets = [
    ["windows", "amd64", "pe"],
    ["darwin", "arm64", "macho"],
    ["linux", "386", "elf"],
    ["linux", "s390x", "elf"], // big-endian
  ] as const;
  beforeAll(() => {
    if (!hasGo) return;
    dir = mkdtempSync(join(tmpdir(), "airbag-go-"));
    for (const [os, arch] of targets)
      execFileSync("bash", [join(FIX, "build.sh"), join(dir, `${os}-${arch}`), os, arch], {
        stdio: "ignore",
      });
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasGo).each(targets)("%s/%s (%s)", (os, arch, format) => {
    const bin = join(dir, `${os}-${arch}`, os === "windows" ? "hello.exe" : "hello");
    const oracle = readOracle(readFileSync(`${bin}.version-m.txt`, "utf8"));
    const r = feed(goBinaryAnalyzer, bin, { seed: 7, maxChunk: 50_000 });
    expect(r.result?.format).toBe(format);
    expect(asOracle(r.result!)).toEqual(oracle);
    expect(oracle.build).toContainEqual(["GOARCH", arch]);
  });
});

describe("go-binary: skipping what is not a Go binary", () => {
  it("drops a non-Go ELF after its first chunk (notes without a Go build id)", () => {
    const r = feed(goBinaryAnalyzer, "/bin/ls", { maxChunk: 65536, fixed: true });
    expect(r).toMatchObject({ result: undefined, stoppedEarly: true, writes: 1 });
  });

  it("drops a script or data file on its first bytes", () => {
    const script = Buffer.concat([Buffer.from("#!/bin/sh\n"), Buffer.alloc(1 << 20, 0x20)]);
    const r = feed(goBinaryAnalyzer, script, { maxChunk: 4096 });
    expect(r).toMatchObject({ result: undefined, stoppedEarly: true, writes: 1 });
  });

  it("wants executables and shared objects of a plausible size only", () => {
    expect(goBinaryAnalyzer.wants("usr/bin/x", 2 << 20, 0o755)).toBe(true);
    expect(goBinaryAnalyzer.wants("usr/bin/x", 2 << 20, 0o100755)).toBe(true);
    expect(goBinaryAnalyzer.wants("app/x.exe", 2 << 20, 0o644)).toBe(true);
    expect(goBinaryAnalyzer.wants("usr/lib/libgo.so.1", 2 << 20, 0o644)).toBe(true);
    expect(goBinaryAnalyzer.wants("usr/share/doc/x", 2 << 20, 0o644)).toBe(false);
    expect(goBinaryAnalyzer.wants("usr/bin/x", 1000, 0o755)).toBe(false);
  });
});

/** A minimal ELF laid out like a pre-1.18 Go binary: blob with pointers to string headers. */
function oldFormatElf(o: {
  be: boolean;
  bits: 32 | 64;
  headers: "before" | "after";
  strings: "rodata" | "later";
}) {
  const f = Buffer.alloc(0x30000); // past the 64 KiB header block, so the chunking matters
  const ptr = o.bits / 8;
  const w = (off: number, v: number, size = ptr) => {
    if (size === 8) o.be ? f.writeBigUInt64BE(BigInt(v), off) : f.writeBigUInt64LE(BigInt(v), off);
    else if (size === 4) o.be ? f.writeUInt32BE(v, off) : f.writeUInt32LE(v, off);
    else o.be ? f.writeUInt16BE(v, off) : f.writeUInt16LE(v, off);
  };
  f.write("\x7fELF", 0, "latin1");
  f[4] = o.bits === 64 ? 2 : 1;
  f[5] = o.be ? 2 : 1;
  f[6] = 1;
  const phoff = o.bits === 64 ? 64 : 52;
  const phent = o.bits === 64 ? 56 : 32;
  w(o.bits === 64 ? 0x20 : 0x1c, phoff);
  w(o.bits === 64 ? 0x36 : 0x2a, phent, 2);
  w(o.bits === 64 ? 0x38 : 0x2c, 2, 2);
  const seg = (i: number, off: number, va: number, size: number, flags: number) => {
    const p = phoff + i * phent;
    w(p, 1, 4);
    if (o.bits === 64) {
      w(p + 4, flags, 4);
      w(p + 8, off);
      w(p + 16, va);
      w(p + 32, size);
      w(p + 40, size);
    } else {
      w(p + 4, off);
      w(p + 8, va);
      w(p + 16, size);
      w(p + 20, size);
      w(p + 24, flags);
    }
  };
  seg(0, 0, 0x400000, 0x20000, 4); // R: headers + rodata
  seg(1, 0x20000, 0x600000, 0x10000, 6); // RW
  const va = (off: number) => (off < 0x20000 ? 0x400000 + off : 0x600000 - 0x20000 + off);
  const version = "go1.16.15";
  const mod = Buffer.concat([
    MODINFO_START,
    Buffer.from("path\tex.com/old\nmod\tex.com/old\t(devel)\t\n"),
    MODINFO_END,
  ]);
  const vOff = o.strings === "rodata" ? 0x11000 : 0x2f800;
  const mOff = o.strings === "rodata" ? 0x11100 : 0x2f900;
  f.write(`${version}gopark`, vOff, "latin1"); // no terminator: the header's length delimits it
  mod.copy(f, mOff);
  const [hdrOff, blobOff] = o.headers === "before" ? [0x20000, 0x24100] : [0x20000, 0x28000];
  const [hOff, bOff] = o.headers === "before" ? [hdrOff, blobOff] : [blobOff, hdrOff];
  w(hOff, va(vOff));
  w(hOff + ptr, version.length);
  w(hOff + 2 * ptr, va(mOff));
  w(hOff + 3 * ptr, mod.length);
  BUILDINFO_MAGIC.copy(f, bOff);
  f[bOff + 14] = ptr;
  f[bOff + 15] = o.be ? 1 : 0;
  w(bOff + 16, va(hOff));
  w(bOff + 16 + ptr, va(hOff + 2 * ptr));
  return f;
}

describe("go-binary: pre-1.18 pointer layout (synthetic ELF per the debug/buildinfo format)", () => {
  const cases = [
    { be: false, bits: 64, headers: "before", strings: "rodata" },
    { be: false, bits: 64, headers: "after", strings: "rodata" },
    { be: true, bits: 32, headers: "after", strings: "later" },
    { be: true, bits: 64, headers: "before", strings: "later" },
  ] as const;
  it.each(cases)("%o", (c) => {
    for (const maxChunk of [1 << 20, 333, 7]) {
      const r = feed(goBinaryAnalyzer, oldFormatElf(c), { maxChunk, seed: maxChunk });
      expect(r.result).toEqual({
        format: "elf",
        goVersion: "go1.16.15",
        modinfo: "path\tex.com/old\nmod\tex.com/old\t(devel)\t\n",
      });
    }
  });

  it("ignores an unaligned or read-only copy of the magic", () => {
    const f = oldFormatElf({ be: false, bits: 64, headers: "after", strings: "rodata" });
    BUILDINFO_MAGIC.copy(f, 0x11800); // read-only segment, aligned
    f[0x1180e] = 8;
    f[0x1180f] = 2;
    f[0x11820] = 3;
    f.write("go9", 0x11821);
    BUILDINFO_MAGIC.copy(f, 0x20103); // writable but unaligned
    expect(feed(goBinaryAnalyzer, f).result?.goVersion).toBe("go1.16.15");
  });
});

describe("go-binary: never throws, always terminates", () => {
  const elfHead = oldFormatElf({ be: false, bits: 64, headers: "after", strings: "rodata" }).subarray(
    0,
    0x400,
  );
  it("on arbitrary bytes, with or without an executable header and magic", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4096 }),
        fc.constantFrom("none", "elf", "magic", "mz", "macho"),
        fc.integer({ min: 1, max: 600 }),
        (bytes, prefix, maxChunk) => {
          const body = Buffer.from(bytes);
          const data =
            prefix === "elf"
              ? Buffer.concat([elfHead, body])
              : prefix === "magic"
                ? Buffer.concat([elfHead, BUILDINFO_MAGIC, body])
                : prefix === "mz"
                  ? Buffer.concat([Buffer.from("MZ"), body])
                  : prefix === "macho"
                    ? Buffer.concat([Buffer.from("cffaedfe", "hex"), body])
                    : body;
          const r = feed(goBinaryAnalyzer, data, { maxChunk, seed: maxChunk });
          if (r.result) expect(typeof r.result.goVersion).toBe("string");
          goBinaryAnalyzer.analyze(r.result ? [streamed(r.result)] : [], ctx());
        },
      ),
      { numRuns: 300 },
    );
  });

  it("on a pre-1.18 layout with random bytes overwritten anywhere", () => {
    const base = oldFormatElf({ be: false, bits: 64, headers: "before", strings: "rodata" });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 64, max: 70_000 }),
        (junk, at, maxChunk) => {
          const f = Buffer.from(base);
          f.set(junk.subarray(0, f.length - (at % f.length)), at % f.length);
          const r = feed(goBinaryAnalyzer, f, { maxChunk, seed: maxChunk });
          goBinaryAnalyzer.analyze(r.result ? [streamed(r.result)] : [], ctx());
        },
      ),
      { numRuns: 150 },
    );
  });

  it("with corrupted bytes of the real fixture's blob", () => {
    const bin = readFileSync(HELLO);
    const at = bin.indexOf(BUILDINFO_MAGIC);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(600), (junk, off) => {
        const copy = Buffer.from(bin.subarray(0, at + 1024));
        copy.set(junk, at + 14 + (off % 512));
        const r = feed(goBinaryAnalyzer, copy, { maxChunk: 1 << 16 });
        goBinaryAnalyzer.analyze(r.result ? [streamed(r.result)] : [], ctx());
      }),
      { numRuns: 100 },
    );
  });
});
