import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, nv, run } from "./lockfile.testutil.js";
import { rustCargoLockAnalyzer as A, scanCargoLock } from "./rust-cargo-lock.js";

const lock = (name: string) => captured("src/app/Cargo.lock", fixture(`rust/${name}`));
const CRATES_V1 = [
  ["idna", "0.1.5"],
  ["libc", "0.2.54"],
  ["matches", "0.1.8"],
  ["normal", "0.1.0"],
  ["percent-encoding", "1.0.1"],
  ["typemap", "0.3.3"],
  ["unsafe-any", "0.4.2"],
  ["url", "1.7.2"],
];

describe("rust-cargo-lock", () => {
  it("matches Cargo.lock outside Cargo's download caches", () => {
    expect(A.match("src/app/Cargo.lock")).toBe(true);
    expect(A.match("Cargo.lock")).toBe(true);
    expect(A.match("root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.0/Cargo.lock")).toBe(
      false,
    );
    expect(A.match("usr/local/cargo/git/checkouts/x/Cargo.lock")).toBe(false);
    expect(
      A.match("usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/url-1.7.2/Cargo.lock"),
    ).toBe(false);
    expect(A.match("root/.cargo/git/checkouts/x-123/abc/Cargo.lock")).toBe(false);
    expect(A.match("src/app/Cargo.toml")).toBe(false);
    expect(A.match("src/app/MyCargo.lock")).toBe(false);
  });

  it("trivy v1 (cargo_normal) and the blank-line / multi-line-string variant (cargo_mixed)", async () => {
    for (const f of ["cargo_normal.lock", "cargo_mixed.lock"]) {
      const { pkgs, warnings } = await run(A, [lock(f)]);
      expect(warnings).toEqual([]);
      // python tomllib over the same files
      expect(nv(pkgs)).toEqual(CRATES_V1);
      expect(pkgs.find((p) => p.name === "normal")?.metadata).toEqual({ source: "local" });
      expect(pkgs.find((p) => p.name === "url")).toMatchObject({
        ecosystem: "crates.io",
        type: "cargo",
        purl: "pkg:cargo/url@1.7.2",
        locations: [{ path: "src/app/Cargo.lock", layer: "sha256:aa" }],
        licenses: [],
      });
      expect(pkgs.find((p) => p.name === "url")?.metadata).toBeUndefined();
    }
  });

  it("trivy v3: two versions of one crate both kept", async () => {
    const { pkgs, warnings } = await run(A, [lock("cargo_v3.lock")]);
    expect(warnings).toEqual([]);
    expect(nv(pkgs)).toEqual([
      ["aho-corasick", "0.7.20"],
      ["app", "0.1.0"],
      ["libc", "0.2.140"],
      ["memchr", "1.0.2"],
      ["memchr", "2.5.0"],
      ["regex-syntax", "0.5.6"],
      ["regex-syntax", "0.6.29"],
      ["regex", "1.7.3"],
      ["ucd-util", "0.1.10"],
    ]);
  });

  it("v4 written by cargo 1.95 here: registry, git and workspace crates", async () => {
    const { pkgs, warnings } = await run(A, [lock("cargo-v4-workspace.lock")]);
    expect(warnings).toEqual([]);
    // `cargo metadata` on that workspace: app (no source), gitdep (git+file://…), itoa 0.4.8 / 1.0.9 and
    // oldlib 0.1.0 (crates.io registry)
    const git = "git+file:///tmp/gitdep#6fd7221479b189741f89346626c14a73bcbf484f";
    expect(pkgs.map((p) => [p.purl, p.metadata?.source])).toEqual([
      ["pkg:cargo/app@0.2.0", "local"],
      [`pkg:cargo/gitdep@0.9.0?vcs_url=${encodeURIComponent(git)}`, git],
      ["pkg:cargo/itoa@0.4.8", undefined],
      ["pkg:cargo/itoa@1.0.9", undefined],
      ["pkg:cargo/oldlib@0.1.0", undefined],
    ]);
  });

  it("other registries, sparse crates.io, duplicates from two sources", async () => {
    const text = `version = 4
[[package]]
name = "serde"
version = "1.0.200"
source = "sparse+https://index.crates.io/"

[[package]]
name = "serde"
version = "1.0.200"
source = "git+https://github.com/fork/serde?branch=fix#0123abc"

[[package]]
name = "internal"
version = "2.0.0"
source = "sparse+https://crates.example.com/index/"
`;
    const { pkgs } = await run(A, [captured("Cargo.lock", text)]);
    expect(pkgs.map((p) => p.purl)).toEqual([
      "pkg:cargo/internal@2.0.0?repository_url=https%3A%2F%2Fcrates.example.com%2Findex%2F",
      "pkg:cargo/serde@1.0.200",
      "pkg:cargo/serde@1.0.200?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Ffork%2Fserde%3Fbranch%3Dfix%230123abc",
    ]);
    expect(new Set(pkgs.map((p) => p.id)).size).toBe(3);
  });

  it("trivy cargo_invalid: not TOML, the intact blocks are read line by line", async () => {
    const { pkgs, warnings } = await run(A, [lock("cargo_invalid.lock")]);
    expect(nv(pkgs)).toEqual([
      ["libc", "0.2.54"],
      ["typemap", "0.3.3"],
      ["url", "1.7.2"],
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^rust-cargo-lock: src\/app\/Cargo.lock: not valid TOML \(.*\); read 3 package\(s\) line by line, skipped 1$/,
    );
  });

  it("line scanner: blocks end at any table header", () => {
    expect(
      scanCargoLock(
        '[[package]]\nname = "a"\nversion = "1"\n[metadata]\nname = "x"\n[[package]]\nname = "b"\n',
      ).crates,
    ).toEqual([{ name: "a", version: "1", source: undefined }]);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(A, "Cargo.lock", [
      fixture("rust/cargo_v3.lock").toString("latin1"),
      fixture("rust/cargo-v4-workspace.lock").toString("latin1"),
    ]);
  });
});
