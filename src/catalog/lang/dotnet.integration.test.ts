import { describe, expect, it } from "vitest";
import { dotnetDepsAnalyzer } from "./dotnet-deps.js";
import { dotnetPackagesLockAnalyzer } from "./dotnet-packages-lock.js";
import { catalogImage, fixture } from "./lockfile.testutil.js";

describe(".NET analyzers through the real walker", () => {
  it("deps.json of the published app and a copied packages.lock.json", async () => {
    const { packages, warnings, diffIds } = await catalogImage(
      [
        {
          "app/WebApi.deps.json": fixture("dotnet/WebApi.deps.json"),
          "app/WebApi.dll": Buffer.from("MZ"),
          "src/WebApi/packages.lock.json": fixture("dotnet/packages.lock.json"),
          "src/Old/packages.lock.json": fixture("dotnet/packages.lock.json"),
        },
        { "src/.wh.Old": "" },
      ],
      [dotnetDepsAnalyzer, dotnetPackagesLockAnalyzer],
    );
    expect(warnings).toEqual([]);
    const [l1] = diffIds;
    const fromDeps = packages.filter((p) => p.locations[0]!.path === "app/WebApi.deps.json");
    expect(fromDeps.map((p) => p.purl)).toEqual([
      "pkg:nuget/Microsoft.AspNetCore.App.Runtime.linux-x64@8.0.1",
      "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.1",
      "pkg:nuget/Newtonsoft.Json@13.0.1",
      "pkg:nuget/Serilog@3.1.1",
      "pkg:nuget/Serilog.AspNetCore@8.0.0",
    ]);
    const fromLock = packages.filter((p) => p.locations[0]!.path.endsWith("packages.lock.json"));
    expect(fromLock).toHaveLength(6);
    // the deleted directory's lockfile is gone
    expect(new Set(fromLock.map((p) => JSON.stringify(p.locations)))).toEqual(
      new Set([JSON.stringify([{ path: "src/WebApi/packages.lock.json", layer: l1 }])]),
    );
    expect(packages.every((p) => p.ecosystem === "NuGet" && p.type === "nuget")).toBe(true);
  });
});
