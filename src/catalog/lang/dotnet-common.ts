import type { Location, Package } from "../../model/index.js";
import { buildPurl, packageId } from "../purl.js";

/** Shared by the .NET analyzers: NuGet packages as `pkg:nuget/<Id>@<version>`, ecosystem NuGet. */

export function dotnetPackage(
  name: string,
  version: string,
  location: Location,
  metadata?: Record<string, string | boolean>,
): Package {
  const purl = buildPurl({ type: "nuget", name, version });
  return {
    id: packageId(purl, location),
    ecosystem: "NuGet",
    name,
    version,
    purl,
    type: "nuget",
    locations: [location],
    licenses: [],
    ...(metadata && Object.keys(metadata).length ? { metadata } : {}),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const byPathNameVersion = (a: Package, b: Package): number =>
  cmp(a.locations[0]!.path, b.locations[0]!.path) || cmp(a.name, b.name) || cmp(a.version, b.version);
