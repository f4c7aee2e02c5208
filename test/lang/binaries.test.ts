import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { type AnyAnalyzer, captureFor, catalogFiles, tapsFor } from "../../src/catalog/index.js";
import { goBinaryAnalyzer } from "../../src/catalog/lang/go-binary.js";
import { rustAuditableAnalyzer } from "../../src/catalog/lang/rust-auditable.js";
import { openTarget, parseTarget, walkImage } from "../../src/image/index.js";
import { buildImage, type LayerSpec, writeOciLayout } from "../support/image-builder.js";

/** Go and Rust binaries inside a real OCI layout, through the real walker and catalog. */
const FIX = join(import.meta.dirname, "../fixtures");
const tmp = mkdtempSync(join(tmpdir(), "airbag-bin-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function catalogImage(layers: LayerSpec[], list: AnyAnalyzer[]) {
  const img = await buildImage({ layers });
  const dir = join(tmp, `oci-${Math.random().toString(36).slice(2)}`);
  await writeOciLayout(dir, img);
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);
  const src = await openTarget(await parseTarget(`oci:${dir}`));
  try {
    const walk = await walkImage(src, { capture: captureFor(list), streams: tapsFor(list), warn });
    const { packages } = await catalogFiles(walk, warn, list);
    return { packages, warnings, img };
  } finally {
    await src.close();
  }
}

const RUNC = ["/usr/sbin/runc", "/usr/bin/runc"].find(existsSync);

describe("Go binaries in an image", () => {
  it("lists stdlib and the modules of every Go executable left in the final image", async () => {
    const hello = readFileSync(join(FIX, "go/hello"));
    const layers: LayerSpec[] = [
      {
        "usr/local/bin/hello": { content: hello, mode: 0o755 },
        "usr/local/bin/gone": { content: hello, mode: 0o755 },
        "usr/share/doc/hello.bin": { content: hello, mode: 0o644 }, // not executable: not read
        "bin/ls": { content: readFileSync("/bin/ls"), mode: 0o755 },
        ...(RUNC ? { "usr/bin/runc": { content: readFileSync(RUNC), mode: 0o755 } } : {}),
      },
      { "usr/local/bin/.wh.gone": "" },
    ];
    const { packages, warnings, img } = await catalogImage(layers, [goBinaryAnalyzer]);
    expect(warnings).toEqual([]);
    const at = (path: string) => packages.filter((p) => p.locations[0]!.path === path);
    expect(at("usr/local/bin/hello").map((p) => p.purl)).toEqual([
      "pkg:golang/stdlib@1.19.8",
      "pkg:golang/example.com/airbag/hello",
      "pkg:golang/example.com/greet@v1.2.3",
      "pkg:golang/example.com/localdep",
      "pkg:golang/example.com/newname@v0.2.0",
    ]);
    expect(at("usr/local/bin/hello")[0]!.locations).toEqual([
      { path: "usr/local/bin/hello", layer: img.layers[0]!.diffId },
    ]);
    expect(at("usr/local/bin/gone")).toEqual([]);
    expect(at("usr/share/doc/hello.bin")).toEqual([]);
    expect(at("bin/ls")).toEqual([]);
    if (RUNC) {
      // Debian builds runc in GOPATH mode: the toolchain is all the binary records
      const runc = at("usr/bin/runc");
      expect(runc.map((p) => p.name)).toEqual(["stdlib"]);
      expect(runc[0]!.metadata).toMatchObject({
        mainPath: "github.com/opencontainers/runc",
        "build:-compiler": "gc",
      });
    }
  });
});

const hasObjcopy = (() => {
  try {
    execFileSync("objcopy", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("Rust cargo-auditable binaries in an image", () => {
  it.skipIf(!hasObjcopy)("lists the crates recorded in .dep-v0", async () => {
    const json = readFileSync(join(FIX, "rust/dep-v0.json"), "utf8").trim();
    const z = join(tmp, "dep.z");
    const { writeFileSync, copyFileSync } = await import("node:fs");
    writeFileSync(z, deflateSync(Buffer.from(json)));
    copyFileSync("/bin/ls", join(tmp, "ls"));
    const app = join(tmp, "app");
    execFileSync("objcopy", [
      "--add-section",
      `.dep-v0=${z}`,
      "--set-section-flags",
      ".dep-v0=readonly",
      join(tmp, "ls"),
      app,
    ]);
    const { packages, warnings } = await catalogImage(
      [
        {
          "usr/local/bin/app": { content: readFileSync(app), mode: 0o755 },
          "bin/ls": { content: readFileSync("/bin/ls"), mode: 0o755 },
          "usr/local/bin/hello": { content: readFileSync(join(FIX, "go/hello")), mode: 0o755 },
        },
      ],
      [rustAuditableAnalyzer, goBinaryAnalyzer],
    );
    expect(warnings).toEqual([]);
    const crates = packages.filter((p) => p.type === "cargo");
    expect(crates).toHaveLength(8);
    expect(new Set(crates.map((p) => p.locations[0]!.path))).toEqual(new Set(["usr/local/bin/app"]));
    expect(crates.find((p) => p.name === "libc")?.purl).toBe("pkg:cargo/libc@0.2.150");
    // the Go binary next to it is cataloged by the Go analyzer only
    expect(
      packages
        .filter((p) => p.locations[0]!.path === "usr/local/bin/hello")
        .every((p) => p.type === "golang"),
    ).toBe(true);
  });
});
