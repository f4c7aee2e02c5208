import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Package } from "../../model/index.js";
import { parseElfNotes } from "./elf.js";
import { NeedleScanner, parseLayout } from "./exe.js";
import { goPackages } from "./go-binary.js";
import {
  BUILDINFO_MAGIC,
  decodeModinfo,
  isLocalPath,
  MODINFO_END,
  MODINFO_START,
  parseBuildInfoHeader,
  parseModinfo,
  stdlibVersion,
  unquoteGo,
} from "./go-buildinfo.js";

function inlineBlob(version: string, modinfo: Buffer): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return Buffer.from(out);
  };
  const hdr = Buffer.alloc(32);
  BUILDINFO_MAGIC.copy(hdr);
  hdr[14] = 8;
  hdr[15] = 2;
  return Buffer.concat([hdr, varint(version.length), Buffer.from(version), varint(modinfo.length), modinfo]);
}

const framed = (s: string) => Buffer.concat([MODINFO_START, Buffer.from(s), MODINFO_END]);

describe("parseBuildInfoHeader", () => {
  it("asks for exactly the bytes it needs, then decodes the inline strings", () => {
    const text = `path\tx\n${"dep\tex.com/m\tv1.0.0\th1:x=\n".repeat(20)}`;
    const blob = inlineBlob("go1.22.1", framed(text));
    let have = 1;
    const needs: number[] = [];
    for (;;) {
      const r = parseBuildInfoHeader(blob.subarray(0, have));
      if (r.kind !== "more") {
        expect(r).toEqual({ kind: "inline", version: "go1.22.1", modinfo: text });
        break;
      }
      expect(r.need).toBeGreaterThan(have);
      needs.push(r.need);
      have = r.need;
    }
    expect(needs.at(-1)).toBe(blob.length);
    expect(needs.length).toBeLessThan(6);
  });

  it("rejects bad pointer sizes, empty or unprintable versions, other magic", () => {
    const ok = inlineBlob("go1.21.0", framed("path\tx\n"));
    const bad = (mut: (b: Buffer) => void) => {
      const b = Buffer.from(ok);
      mut(b);
      return parseBuildInfoHeader(b).kind;
    };
    expect(bad(() => {})).toBe("inline");
    expect(bad((b) => (b[14] = 3))).toBe("invalid");
    expect(bad((b) => (b[0] = 0))).toBe("invalid");
    expect(bad((b) => (b[33] = 0x01))).toBe("invalid"); // control character in the version
    expect(parseBuildInfoHeader(inlineBlob("", Buffer.alloc(0))).kind).toBe("invalid");
  });

  it("returns the string-header addresses of the pre-1.18 layout", () => {
    const b = Buffer.alloc(32);
    BUILDINFO_MAGIC.copy(b);
    b[14] = 4;
    b[15] = 1;
    b.writeUInt32BE(0x1000, 16);
    b.writeUInt32BE(0x2000, 20);
    expect(parseBuildInfoHeader(b)).toEqual({
      kind: "pointers",
      ptrSize: 4,
      bigEndian: true,
      versionAddr: 0x1000,
      modinfoAddr: 0x2000,
    });
  });

  it("strips the modinfo framing only when intact", () => {
    expect(decodeModinfo(framed("path\tx\n"))).toBe("path\tx\n");
    expect(decodeModinfo(Buffer.from("path\tx\n"))).toBe("");
  });
});

describe("parseModinfo", () => {
  it("reads every line kind, replacements and quoted build settings", () => {
    const info = parseModinfo(
      [
        "path\tex.com/app/cmd/app",
        "mod\tex.com/app\tv1.2.3\th1:main=",
        "dep\tex.com/a\tv0.1.0\th1:a=",
        "=>\tex.com/fork\tv0.1.1\th1:fork=",
        "",
        "dep\tex.com/b\tv2.0.0+incompatible",
        'build\t-ldflags="-s -w -X \\"main.v=1\\" \\xe2\\x82\\xac"',
        'build\t"odd key"=`raw value`',
        "build\tvcs.revision=abc",
        "build\tDefaultGODEBUG=panicnil=1,x509sha1=1",
      ].join("\n"),
    );
    expect(info).toEqual({
      path: "ex.com/app/cmd/app",
      main: { path: "ex.com/app", version: "v1.2.3", sum: "h1:main=" },
      deps: [
        {
          path: "ex.com/a",
          version: "v0.1.0",
          sum: "h1:a=",
          replace: { path: "ex.com/fork", version: "v0.1.1", sum: "h1:fork=" },
        },
        { path: "ex.com/b", version: "v2.0.0+incompatible" },
      ],
      settings: [
        ["-ldflags", '-s -w -X "main.v=1" €'],
        ["odd key", "raw value"],
        ["vcs.revision", "abc"],
        ["DefaultGODEBUG", "panicnil=1,x509sha1=1"],
      ],
      errors: [],
    });
  });

  it("reports malformed lines and keeps the rest", () => {
    const info = parseModinfo("=>\tex.com/x\tv1\ndep\tonly-path\ndep\tex.com/ok\tv1.0.0\nbuild\tnokey\n");
    expect(info.deps.map((d) => d.path)).toEqual(["ex.com/ok"]);
    expect(info.errors).toEqual([
      "line 1: replacement without a module before it",
      "line 2: malformed dep line",
      "line 4: malformed build line",
    ]);
  });

  it("unquoteGo follows strconv.Unquote", () => {
    expect(unquoteGo('"a\\tb\\u00e9\\101"')).toBe("a\tbéA");
    expect(unquoteGo("`a\\tb`")).toBe("a\\tb");
    expect(unquoteGo('"unterminated')).toBeUndefined();
    expect(unquoteGo('"bad \\q escape"')).toBeUndefined();
  });
});

describe("stdlib version and local replacements", () => {
  it.each([
    ["go1.21.3", "1.21.3"],
    ["go1.21", "1.21.0"],
    ["go1.20 X:nocoverageredesign", "1.20.0"],
    ["go1.21rc2", "1.21.0-rc.2"],
    ["go1.19beta1", "1.19.0-beta.1"],
    ["go1.22-20231128-RC02", "1.22.0"],
    ["devel go1.23-abcdef Tue", undefined],
    ["", undefined],
  ])("%s → %s", (v, want) => expect(stdlibVersion(v)).toBe(want));

  it("tells directories from module paths", () => {
    for (const p of ["./x", "../x", "/abs", "C:\\src", ".", "..\\y"]) expect(isLocalPath(p)).toBe(true);
    for (const p of ["example.com/x", "x", ".hidden.com/x"]) expect(isLocalPath(p)).toBe(false);
  });

  it("a GOPATH-mode binary (no mod line) yields stdlib only; a devel toolchain only its modules", () => {
    const warnings: string[] = [];
    const ctx = { file: () => undefined, warn: (m: string) => warnings.push(m) };
    const file = (goVersion: string, modinfo: string) => ({
      path: "bin/a",
      mode: 0o755,
      size: 1,
      result: { format: "elf" as const, goVersion, modinfo },
    });
    const gopath = goPackages(
      file("go1.19.8", "path\tgithub.com/opencontainers/runc\nbuild\t-compiler=gc\n"),
      ctx,
    );
    expect(gopath.map((p: Package) => [p.name, p.version, p.metadata?.mainPath])).toEqual([
      ["stdlib", "1.19.8", "github.com/opencontainers/runc"],
    ]);
    expect(gopath[0]!.locations).toEqual([{ path: "bin/a" }]);
    const devel = goPackages(file("devel go1.23-abc", "mod\tex.com/m\tv1.0.0\t\n"), ctx);
    expect(devel.map((p) => p.purl)).toEqual(["pkg:golang/ex.com/m@v1.0.0"]);
    expect(warnings).toEqual([
      'go-binary: bin/a: Go toolchain version "devel go1.23-abc" is not a release; stdlib not listed',
    ]);
  });
});

describe("byte-level helpers", () => {
  it("NeedleScanner finds occurrences across any chunking, once each", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 1, 2), { maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
        (bytes, cuts) => {
          const data = Buffer.from(bytes);
          const needle = Buffer.from([1, 2, 1]);
          const want: number[] = [];
          for (let i = data.indexOf(needle); i !== -1; i = data.indexOf(needle, i + 1)) want.push(i);
          const got: number[] = [];
          const s = new NeedleScanner(needle);
          for (let pos = 0, k = 0; pos < data.length; k++) {
            const n = cuts[k % cuts.length]!;
            s.scan(data.subarray(pos, pos + n), pos, (o) => got.push(o));
            pos += n;
          }
          expect(got).toEqual(want);
        },
      ),
    );
  });

  it("layout, note, header and modinfo parsers never throw on arbitrary bytes", () => {
    const prefixes = ["", "7f454c460201", "7f454c460102", "cffaedfe", "cefaedfe", "feedfacf", "4d5a"];
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.uint8Array({ maxLength: 2000 }),
        fc.boolean(),
        (pre, bytes, be) => {
          const b = Buffer.concat([Buffer.from(pre, "hex"), Buffer.from(bytes)]);
          parseLayout(b);
          parseElfNotes(b, be);
          parseBuildInfoHeader(Buffer.concat([BUILDINFO_MAGIC, Buffer.from(bytes)]));
          decodeModinfo(b);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseModinfo(s);
        unquoteGo(s);
        stdlibVersion(s);
      }),
    );
  });
});
