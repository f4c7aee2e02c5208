import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { addFormats, explain, inventory, LAYER1, LAYER2, render } from "../../test/support/sbom-fixture.js";
import { buildPurl, packageId } from "../catalog/purl.js";
import type { Inventory, Package } from "../model/index.js";
import { normalizeLicense } from "../report/spdx.js";
import { parseSbom, readSbom } from "./sbom-input.js";

const fixture = (f: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/sbom/${f}`, import.meta.url));

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(
    readFileSync(fileURLToPath(new URL("../../schemas/inventory.schema.json", import.meta.url)), "utf8"),
  ),
);
const valid = (inv: Inventory): void => {
  expect(validate(inv), explain(validate)).toBe(true);
};

/** One licence string in a comparable form: SPDX-normalised, without parentheses around the whole. */
function canonical(l: string): string | undefined {
  const n = normalizeLicense(l);
  if (!n) return undefined;
  let t = n.kind === "id" ? n.id : n.kind === "expression" ? n.expression : n.text;
  while (
    /^\(.*\)$/.test(t) &&
    [...t.slice(1, -1)].reduce((d, c) => (d < 0 ? d : d + (c === "(" ? 1 : c === ")" ? -1 : 0)), 0) === 0
  )
    t = t.slice(1, -1);
  return t;
}
const licenceSet = (ls: readonly string[]): string[] =>
  [...new Set(ls.map(canonical).filter((x): x is string => x !== undefined))].sort();

/** The facts a matcher and a report use; licences compared as normalised sets. */
const view = (p: Package, withMetadata: boolean) => ({
  id: p.id,
  ecosystem: p.ecosystem,
  name: p.name,
  version: p.version,
  purl: p.purl,
  type: p.type,
  arch: p.arch,
  source: p.source,
  locations: p.locations,
  licenses: licenceSet(p.licenses),
  ...(withMetadata ? { metadata: p.metadata } : {}),
});
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

/** The shared fixture plus the location shapes a round trip must survive. */
function roundTripInventory(): Inventory {
  const inv = inventory();
  const purl = buildPurl({ type: "npm", name: "left-pad", version: "1.3.0" });
  const twoPlaces = [
    { path: "app/node_modules/left-pad/package.json", layer: LAYER2 },
    { path: "srv/node_modules/left-pad/package.json", layer: LAYER2 },
  ];
  inv.packages.push(
    {
      id: packageId(purl, twoPlaces[0]),
      ecosystem: "npm",
      name: "left-pad",
      version: "1.3.0",
      purl,
      type: "npm",
      locations: twoPlaces,
      licenses: ["WTFPL"],
      metadata: { dev: true },
    },
    {
      id: packageId(buildPurl({ type: "npm", name: "nowhere", version: "0.0.1" })),
      ecosystem: "npm",
      name: "nowhere",
      version: "0.0.1",
      purl: buildPurl({ type: "npm", name: "nowhere", version: "0.0.1" }),
      type: "npm",
      locations: [],
      licenses: [],
    },
  );
  return inv;
}

describe("readSbom: Airbag's own documents read back", () => {
  it.each([
    ["cyclonedx", true],
    ["spdx", false],
  ] as const)("%s: same packages, target and OS", (format, withMetadata) => {
    const original = roundTripInventory();
    const back = parseSbom(render(format, original), `airbag.${format}.json`);
    valid(back);
    expect(back.warnings).toBeUndefined();
    expect(back.packages.map((p) => view(p, withMetadata)).sort(byId)).toEqual(
      original.packages.map((p) => view(p, withMetadata)).sort(byId),
    );
    const t = original.target;
    expect(back.target).toMatchObject({ name: t.name, kind: "sbom", digest: t.digest });
    expect(back.target.os).toMatchObject({
      family: t.os!.family,
      version: t.os!.version,
      codename: t.os!.codename,
      ecosystem: t.os!.ecosystem,
    });
    if (format === "cyclonedx") expect(back.target.architecture).toBe(t.architecture);
  });

  it("spdx: free-text licences come back as their text, not as LicenseRef ids", () => {
    const back = parseSbom(render("spdx"), "a.spdx.json");
    const weird = back.packages.find((p) => p.name === "libweird0")!;
    expect(weird.licenses.sort()).toEqual(["BSD-3-Clause", "MIT OR", "MIT) AND (GPL-2.0-only"].sort());
    expect(back.packages.find((p) => p.name === "acme-sdk")!.licenses).toEqual(["LicenseRef-Acme-EULA"]);
  });

  it("cyclonedx: several places in different layers keep their paths (a sorted document cannot pair them)", () => {
    const inv = inventory();
    const ssl = inv.packages[0]!;
    ssl.locations.push({ path: "opt/extra/status", layer: LAYER2 });
    const back = parseSbom(render("cyclonedx", inv), "x.cdx.json").packages.find((p) => p.id === ssl.id)!;
    expect(back.locations).toEqual([{ path: "opt/extra/status" }, { path: "var/lib/dpkg/status" }]);
    expect(LAYER1).not.toBe(LAYER2);
  });

  it("reads a file from disk, with a byte-order mark", async () => {
    const dir = mkdtempSync(join(tmpdir(), "airbag-sbom-"));
    try {
      const file = join(dir, "bom.json");
      writeFileSync(file, `\uFEFF${render("cyclonedx")}`);
      const inv = await readSbom(file);
      expect(inv.packages).toHaveLength(inventory().packages.length);
      expect(inv.target.kind).toBe("sbom");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("readSbom: third-party SBOMs (test/fixtures/sbom)", () => {
  const read = async (f: string) => {
    const inv = await readSbom(fixture(f));
    valid(inv);
    return inv;
  };
  const brief = (inv: Inventory) =>
    inv.packages.map((p) => [p.ecosystem, p.name, p.version, p.source?.name, p.source?.version]);

  it("Trivy CycloneDX 1.5, CentOS 7 rpm: epoch from the purl, source from SrcName/SrcVersion/SrcRelease", async () => {
    const inv = await read("trivy-centos-7.cdx.json");
    expect(inv.target).toMatchObject({
      name: "integration/testdata/fixtures/images/centos-7.tar.gz",
      digest: "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427",
      os: { family: "centos", version: "7.6.1810" },
    });
    expect(brief(inv)).toEqual([
      ["rpm", "bash", "4.2.46-31.el7", "bash", "4.2.46-31.el7"],
      ["rpm", "openssl-libs", "1:1.0.2k-16.el7", "openssl", "1:1.0.2k-16.el7"],
    ]);
    expect(inv.packages[1]).toMatchObject({ arch: "x86_64", licenses: ["OpenSSL+"], metadata: { epoch: 1 } });
    expect(inv.warnings).toBeUndefined();
  });

  it("Trivy SPDX 2.2, CentOS 7: the purl wins over versionInfo, source from sourceInfo", async () => {
    const inv = await read("trivy-centos-7.spdx.json");
    expect(inv.target.digest).toBe("sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427");
    expect(inv.target.os).toMatchObject({ family: "centos", version: "7.6.1810" });
    expect(brief(inv)).toEqual([
      ["rpm", "bash", "4.2.46-31.el7", "bash", "4.2.46-31.el7"],
      ["rpm", "openssl-libs", "1:1.0.2k-16.el7", "openssl-libs", "1:1.0.2k-16.el7"],
    ]);
    expect(inv.packages.map((p) => p.licenses)).toEqual([["GPLv3+"], ["OpenSSL"]]);
  });

  it("Trivy CycloneDX, Debian 10 + a Ruby gem: OS entry, FilePath and layer", async () => {
    const inv = await read("trivy-fluentd-multiple-lockfiles.cdx.json");
    expect(inv.target.os).toMatchObject({ family: "debian", version: "10.2", ecosystem: "Debian:10" });
    expect(brief(inv)).toEqual([
      ["Debian:10", "bash", "5.0-4", "bash", "5.0-4"],
      ["Debian:10", "libidn2-0", "2.0.5-1", "libidn2", "2.0.5-1"],
      ["RubyGems", "activesupport", "6.0.2.1", undefined, undefined],
    ]);
    expect(inv.packages[2]!.locations).toEqual([
      {
        path: "var/lib/gems/2.5.0/specifications/activesupport-6.0.2.1.gemspec",
        layer: "sha256:75e43d55939745950bc3f8fad56c5834617c4339f0f54755e69a0dd5372624e9",
      },
    ]);
  });

  it("Trivy SPDX 2.3 (Bitnami), Debian 12.5: OPERATING_SYSTEM package, parenthesised licence list", async () => {
    const inv = await read("trivy-multiple-os.spdx.json");
    expect(inv.target).toMatchObject({
      name: "SPDX document for nginx:18.0.3",
      os: { ecosystem: "Debian:12" },
    });
    expect(brief(inv)).toEqual([
      ["Debian:12", "libedit2", "3.1-20221030-2", "libedit", "3.1-20221030-2"],
      ["Debian:12", "libmount1", "2.38.1-5+deb12u1", "util-linux", "2.38.1-5+deb12u1"],
    ]);
    expect(inv.packages[1]!.arch).toBe("arm64");
    expect(inv.packages[1]!.licenses).toHaveLength(10);
    expect(inv.packages[1]!.licenses).toContain("LicenseRef-BSLA");
  });

  it.each(["syft-image.cdx.json", "syft-image.spdx.json", "syft-image.spdx3.json"])(
    "Syft %s: the unparsable purl is a warning, the deb package is kept",
    async (f) => {
      const inv = await read(f);
      expect(inv.target.name).toBe("user-image-input");
      expect(inv.packages.map((p) => [p.type, p.name, p.version, p.purl])).toEqual([
        ["deb", "package-2", "2.0.1", "pkg:deb/debian/package-2@2.0.1"],
      ]);
      expect(inv.packages[0]!.locations[0]!.path).toBe("somefile-2.txt");
      expect(inv.warnings).toHaveLength(1);
      expect(inv.warnings![0]).toMatch(
        /package-1 1\.0\.1\): purl "a-purl-1": does not start with "pkg:"; skipped$/,
      );
      expect(inv.warnings![0]!.startsWith(fixture(f))).toBe(true);
    },
  );

  it("Syft SPDX 2.3 and 3.0: the described image's digest is the target digest", async () => {
    for (const f of ["syft-image.spdx.json", "syft-image.spdx3.json"])
      expect((await read(f)).target.digest).toBe(
        "sha256:2731251dc34951c0e50fcc643b4c5f74922dad1a5d98f302b504cf46cd5d9368",
      );
    expect((await read("syft-image.cdx.json")).target.os).toMatchObject({
      family: "debian",
      version: "1.2.3",
    });
  });

  it("Syft CycloneDX 1.6 of a go.mod: Go module name is the module path", async () => {
    const inv = await read("syft-go-mod.cdx.json");
    expect(inv.packages.map((p) => [p.ecosystem, p.name, p.version, p.locations])).toEqual([
      ["Go", "github.com/wagoodman/go-partybus", "v0.0.0-20230516145632-8ccac152c651", [{ path: "go.mod" }]],
    ]);
  });

  it.each([
    [
      "syft-alpine-3.10.vendor.spdx.json",
      2,
      "packages[1] (busybox 1.30.1-r5): no package URL (purl); skipped",
    ],
    [
      "cyclonedx-spec-valid-assembly-1.2.json",
      2,
      "components[0].components[0] (acme-library-b 2.0.0): no package",
    ],
    [
      "cyclonedx-spec-valid-license-expression-1.2.json",
      1,
      "components[0] (tomcat-catalina 9.0.14): no package",
    ],
  ])("%s: entries without a purl are skipped with a warning each", async (f, n, text) => {
    const inv = await read(f);
    expect(inv.packages).toEqual([]);
    expect(inv.warnings).toHaveLength(n);
    expect(inv.warnings!.some((w) => w.includes(text))).toBe(true);
  });
});
