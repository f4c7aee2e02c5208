import { describe, expect, it } from "vitest";
import { catalogImage, fixture } from "./lockfile.testutil.js";
import { rustCargoLockAnalyzer } from "./rust-cargo-lock.js";

describe("rust-cargo-lock through the real walker", () => {
  it("the project's Cargo.lock of the final image; registry-cache lockfiles ignored", async () => {
    const { packages, warnings, diffIds } = await catalogImage(
      [
        {
          "usr/src/app/Cargo.lock": fixture("rust/cargo_v3.lock"),
          "usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/regex-1.7.3/Cargo.lock":
            fixture("rust/cargo_normal.lock"),
        },
        // `cargo update` in a later build step
        { "usr/src/app/Cargo.lock": fixture("rust/cargo-v4-workspace.lock") },
      ],
      [rustCargoLockAnalyzer],
    );
    expect(warnings).toEqual([]);
    const [, l2] = diffIds;
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      "app@0.2.0",
      "gitdep@0.9.0",
      "itoa@0.4.8",
      "itoa@1.0.9",
      "oldlib@0.1.0",
    ]);
    expect(packages.every((p) => p.ecosystem === "crates.io" && p.type === "cargo")).toBe(true);
    expect(
      packages.every(
        (p) => p.locations[0]!.path === "usr/src/app/Cargo.lock" && p.locations[0]!.layer === l2,
      ),
    ).toBe(true);
  });
});
