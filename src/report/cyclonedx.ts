import { Enums, Models, Serialize, Spec } from "@cyclonedx/cyclonedx-library";
import type { Inventory, Package } from "../model/index.js";
import type { InventoryFormatter, RenderOptions } from "./format.js";
import { documentUuid, joinAnd, normalizeLicense } from "./spdx.js";

/**
 * CycloneDX 1.6 licence choice: EITHER a list of `license` objects (SPDX id or free-text name) OR
 * exactly one `expression` — mixing the two is schema-invalid, and the library's normalizer then keeps
 * only the first expression and silently drops the rest. So: one combined expression when every entry
 * is valid SPDX and one is compound; otherwise every entry becomes an id or named licence.
 */
export function cyclonedxLicenses(raw: readonly string[]): Models.License[] {
  const seen = new Set<string>();
  const norm = raw
    .map(normalizeLicense)
    .filter((n): n is NonNullable<typeof n> => n !== undefined)
    .filter((n) => {
      const key = n.kind === "id" ? n.id : n.kind === "expression" ? n.expression : n.text;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const hasExpression = norm.some((n) => n.kind === "expression");
  if (hasExpression && norm.every((n) => n.kind !== "text")) {
    const parts = norm.map((n) => (n.kind === "id" ? n.id : n.kind === "expression" ? n.expression : ""));
    return [new Models.LicenseExpression(joinAnd(parts))];
  }
  return norm.map((n) =>
    n.kind === "id"
      ? new Models.SpdxLicense(n.id)
      : new Models.NamedLicense(n.kind === "text" ? n.text : n.expression),
  );
}

/** npm scopes go to `group`, as the CycloneDX npm tooling does; the purl stays authoritative. */
function splitName(p: Package): { group?: string; name: string } {
  const m = p.type === "npm" ? /^(@[^/]+)\/(.+)$/.exec(p.name) : null;
  return m ? { group: m[1] as string, name: m[2] as string } : { name: p.name };
}

function packageComponent(p: Package): Models.Component {
  const { group, name } = splitName(p);
  const c = new Models.Component(Enums.ComponentType.Library, name, {
    bomRef: p.id,
    version: p.version,
    purl: p.purl,
    ...(group ? { group } : {}),
  });
  for (const l of cyclonedxLicenses(p.licenses)) c.licenses.add(l);
  const prop = (k: string, v: string | number | boolean | undefined): void => {
    if (v !== undefined && v !== "") c.properties.add(new Models.Property(k, String(v)));
  };
  prop("airbag:ecosystem", p.ecosystem);
  prop("airbag:package:type", p.type);
  prop("airbag:package:arch", p.arch);
  // A package found in several places gets the pair once per place (usually there is exactly one).
  for (const loc of p.locations) {
    prop("airbag:location:path", loc.path);
    prop("airbag:location:layer", loc.layer);
  }
  if (p.source) {
    prop("airbag:source:name", p.source.name);
    prop("airbag:source:version", p.source.version);
  }
  // matcher facts (rpm epoch, modularity label, …) so an SBOM re-scan sees what a direct scan saw
  for (const [k, v] of Object.entries(p.metadata ?? {})) prop(`airbag:metadata:${k}`, v);
  return c;
}

export function buildCycloneDxBom(inv: Inventory, opts: RenderOptions): Models.Bom {
  const now = opts.now ?? new Date();
  const t = inv.target;
  const image = new Models.Component(
    t.kind === "dir" ? Enums.ComponentType.File : Enums.ComponentType.Container,
    t.name,
    { bomRef: `airbag:target:${t.name}`, ...(t.digest ? { version: t.digest } : {}) },
  );
  image.properties.add(new Models.Property("airbag:target:kind", t.kind));
  if (t.architecture) image.properties.add(new Models.Property("airbag:target:architecture", t.architecture));

  const tool = new Models.Component(Enums.ComponentType.Application, "airbag", { version: opts.toolVersion });
  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${documentUuid("cyclonedx", inv, now)}`,
    metadata: new Models.Metadata({
      timestamp: now,
      component: image,
      tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }),
    }),
  });

  // The OS as its own component, the way Syft and Trivy emit it: SBOM consumers pick the distro
  // (and so the advisory feed) from here.
  if (t.os) {
    const os = new Models.Component(Enums.ComponentType.OperatingSystem, t.os.family, {
      bomRef: `airbag:os:${t.os.family}${t.os.version ? `@${t.os.version}` : ""}`,
      ...(t.os.version ? { version: t.os.version } : {}),
      ...(t.os.prettyName ? { description: t.os.prettyName } : {}),
    });
    if (t.os.codename) os.properties.add(new Models.Property("airbag:os:codename", t.os.codename));
    if (t.os.ecosystem) os.properties.add(new Models.Property("airbag:ecosystem", t.os.ecosystem));
    bom.components.add(os);
  }
  for (const p of inv.packages) bom.components.add(packageComponent(p));
  return bom;
}

const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));

/** CycloneDX 1.6 JSON text of a BOM built here (shared with the scan report's CycloneDX output). */
export function serializeCycloneDx(bom: Models.Bom): string {
  // sortLists: components/properties come out in a fixed order, so equal input → equal bytes
  const doc = JSON.parse(serializer.serialize(bom, { sortLists: true })) as { dependencies?: unknown };
  // The library lists every component with an empty dependsOn, which CycloneDX 1.6 reads as "has no
  // dependencies". The inventory does not record dependencies, so say nothing (= unknown) instead.
  delete doc.dependencies;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const cyclonedxFormat: InventoryFormatter = {
  name: "cyclonedx",
  render: (inv, opts) => serializeCycloneDx(buildCycloneDxBom(inv, opts)),
};
