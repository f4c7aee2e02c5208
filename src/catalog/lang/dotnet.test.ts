import { describe, expect, it } from "vitest";
import { dotnetDepsAnalyzer as D } from "./dotnet-deps.js";
import { dotnetPackagesLockAnalyzer as L } from "./dotnet-packages-lock.js";
import { assertNeverThrows, captured, fixture, run } from "./lockfile.testutil.js";

const DEPS = "app/WebApi.deps.json";

describe("dotnet-deps", () => {
  it("matches *.deps.json", () => {
    expect(D.match(DEPS)).toBe(true);
    expect(
      D.match("usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.1/Microsoft.NETCore.App.deps.json"),
    ).toBe(true);
    expect(D.match("app/WebApi.runtimeconfig.json")).toBe(false);
    expect(D.match("app/deps.json.bak")).toBe(false);
  });

  it("packages and runtime packs; projects and references skipped", async () => {
    const { pkgs, warnings } = await run(D, [captured(DEPS, fixture("dotnet/WebApi.deps.json"))]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => [p.name, p.version, p.metadata])).toEqual([
      ["Microsoft.AspNetCore.App.Runtime.linux-x64", "8.0.1", { kind: "runtimepack" }],
      ["Microsoft.NETCore.App.Runtime.linux-x64", "8.0.1", { kind: "runtimepack" }],
      ["Newtonsoft.Json", "13.0.1", undefined],
      ["Serilog", "3.1.1", undefined],
      ["Serilog.AspNetCore", "8.0.0", undefined],
    ]);
    expect(pkgs.find((p) => p.name === "Newtonsoft.Json")).toMatchObject({
      ecosystem: "NuGet",
      type: "nuget",
      purl: "pkg:nuget/Newtonsoft.Json@13.0.1",
      locations: [{ path: DEPS, layer: "sha256:aa" }],
      licenses: [],
    });
  });

  it("malformed keys and documents warn", async () => {
    const doc = {
      libraries: {
        "NoVersion/": { type: "package" },
        "/1.0": { type: "package" },
        "Ok/1.0": { type: "package" },
        "ok/1.0": { type: "package" },
        Weird: { type: "package" },
        "Str/1.0": "package",
      },
    };
    const { pkgs, warnings } = await run(D, [captured("a.deps.json", JSON.stringify(doc))]);
    expect(pkgs.map((p) => p.purl)).toEqual(["pkg:nuget/Ok@1.0"]);
    expect(warnings).toEqual([
      'dotnet-deps: a.deps.json: skipped 3 libraries with a malformed "<id>/<version>" key',
    ]);
    expect((await run(D, [captured("a.deps.json", "{}")])).warnings).toEqual([
      'dotnet-deps: a.deps.json: no "libraries" object',
    ]);
    expect((await run(D, [captured("a.deps.json", "\ufeff{")])).warnings[0]).toMatch(/not JSON/);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(D, DEPS, [fixture("dotnet/WebApi.deps.json").toString("latin1")]);
  });
});

describe("dotnet-packages-lock", () => {
  it("matches packages.lock.json and packages.<project>.lock.json", () => {
    expect(L.match("src/Shop/packages.lock.json")).toBe(true);
    expect(L.match("src/Shop/packages.Shop_Api.lock.json")).toBe(true);
    expect(L.match("src/Shop/package-lock.json")).toBe(false);
    expect(L.match("src/Shop/packages.config")).toBe(false);
  });

  it("all target frameworks merged, Project entries skipped, direct marked", async () => {
    const { pkgs, warnings } = await run(L, [
      captured("src/packages.lock.json", fixture("dotnet/packages.lock.json")),
    ]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => [p.purl, p.metadata?.direct ?? false])).toEqual([
      ["pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.0", false],
      ["pkg:nuget/Newtonsoft.Json@13.0.1", true],
      ["pkg:nuget/System.Runtime.CompilerServices.Unsafe@6.0.0", false],
      ["pkg:nuget/System.Text.Encodings.Web@6.0.0", false],
      ["pkg:nuget/System.Text.Json@6.0.0", true],
      ["pkg:nuget/runtime.linux-x64.Microsoft.DotNet.ILCompiler@8.0.1", false],
    ]);
    expect(pkgs.find((p) => p.name === "shop.domain")).toBeUndefined();
  });

  it("Direct in a later framework wins; ids merge case-insensitively; bad entries warn", async () => {
    const doc = {
      version: 1,
      dependencies: {
        "net6.0": { Polly: { type: "Transitive", resolved: "7.2.4" }, Broken: { type: "Direct" } },
        "net8.0": {
          polly: { type: "Direct", resolved: "7.2.4" },
          Dapper: { type: "Direct", resolved: "2.1.28" },
        },
      },
    };
    const { pkgs, warnings } = await run(L, [captured("packages.lock.json", JSON.stringify(doc))]);
    expect(pkgs.map((p) => [p.purl, p.metadata])).toEqual([
      ["pkg:nuget/Dapper@2.1.28", { direct: true }],
      ["pkg:nuget/Polly@7.2.4", { direct: true }],
    ]);
    expect(warnings).toEqual([
      "dotnet-packages-lock: packages.lock.json: skipped 1 entry without a resolved version",
    ]);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(L, "packages.lock.json", [
      fixture("dotnet/packages.lock.json").toString("latin1"),
    ]);
  });
});
