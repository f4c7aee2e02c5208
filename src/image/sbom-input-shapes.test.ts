import { describe, expect, it } from "vitest";
import { parseSbom } from "./sbom-input.js";

describe("readSbom: CycloneDX details", () => {
  const cdx = (components: unknown[], extra: object = {}) =>
    JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.4", components, ...extra });

  it("walks nested components and reads licence ids, names and expressions", () => {
    const inv = parseSbom(
      cdx([
        {
          type: "library",
          name: "spring-core",
          purl: "pkg:maven/org.springframework/spring-core@5.3.20",
          licenses: [{ expression: "(Apache-2.0 AND MIT)" }],
          components: [
            {
              type: "library",
              name: "shaded",
              purl: "pkg:maven/org.ow2.asm/asm@9.1",
              licenses: [{ license: { id: "BSD-3-Clause" } }, { license: { name: "Public Domain" } }],
            },
            { type: "application", name: "launcher" },
          ],
        },
      ]),
      "nested.json",
    );
    expect(inv.packages.map((p) => [p.ecosystem, p.name, p.licenses])).toEqual([
      ["Maven", "org.springframework:spring-core", ["Apache-2.0", "MIT"]],
      ["Maven", "org.ow2.asm:asm", ["BSD-3-Clause", "Public Domain"]],
    ]);
    expect(inv.warnings).toBeUndefined();
  });

  it("takes the release from distro=, or from the operating-system component", () => {
    const inv = parseSbom(
      cdx([
        { type: "library", name: "libc6", purl: "pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?arch=amd64" },
        { type: "operating-system", name: "ubuntu", version: "22.04" },
        { type: "library", name: "musl", purl: "pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4" },
      ]),
      "os.json",
    );
    expect(inv.target.os).toMatchObject({ family: "ubuntu", ecosystem: "Ubuntu:22.04:LTS" });
    expect(inv.packages.map((p) => p.ecosystem)).toEqual(["Ubuntu:22.04:LTS", "Alpine:v3.18"]);
  });

  it("names the OS from the packages' distro= when there is no OS entry", () => {
    const inv = parseSbom(
      cdx([{ type: "library", name: "musl", purl: "pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4" }]),
      "x.json",
    );
    expect(inv.target.os).toMatchObject({ family: "alpine", version: "3.18.4", ecosystem: "Alpine:v3.18" });
  });

  it("merges a package listed once per place into one package with both locations", () => {
    const c = (path: string) => ({
      type: "library",
      name: "rc",
      purl: "pkg:npm/rc@1.2.8",
      properties: [{ name: "syft:location:0:path", value: path }],
    });
    const inv = parseSbom(cdx([c("/a/package.json"), c("/a/package.json"), c("/b/package.json")]), "x.json");
    expect(inv.packages.map((p) => p.locations)).toEqual([
      [{ path: "a/package.json" }],
      [{ path: "b/package.json" }],
    ]);
    const same = parseSbom(
      cdx([{ type: "library", purl: "pkg:npm/rc@1.2.8" }, { purl: "pkg:npm/rc@1.2.8" }]),
      "y",
    );
    expect(same.packages).toHaveLength(1);
  });
});

describe("readSbom: SPDX details", () => {
  it("SPDX 3.0: purl from externalIdentifier, licences from relationships, OS element, Sbom root", () => {
    const inv = parseSbom(
      JSON.stringify({
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [
          { type: "SpdxDocument", spdxId: "doc", rootElement: ["sbom"], name: "doc-name" },
          { type: "software_Sbom", spdxId: "sbom", rootElement: ["img"] },
          {
            type: "software_Package",
            spdxId: "img",
            name: "shop/api:1.4",
            software_primaryPurpose: "container",
          },
          {
            type: "software_Package",
            spdxId: "os",
            name: "alpine",
            software_packageVersion: "3.19.1",
            software_primaryPurpose: "operatingSystem",
          },
          {
            type: "software_Package",
            spdxId: "p1",
            name: "musl",
            software_packageVersion: "1.2.4_git20230717-r4",
            externalIdentifier: [
              {
                type: "ExternalIdentifier",
                externalIdentifierType: "cpe23",
                identifier: "cpe:2.3:a:musl:musl:*",
              },
              {
                type: "ExternalIdentifier",
                externalIdentifierType: "packageUrl",
                identifier: "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64",
              },
            ],
          },
          {
            type: "Relationship",
            spdxId: "r1",
            from: "p1",
            relationshipType: "hasDeclaredLicense",
            to: ["lic"],
          },
          {
            type: "Relationship",
            spdxId: "r2",
            from: "p1",
            relationshipType: "hasConcludedLicense",
            to: ["https://spdx.org/licenses/0BSD"],
          },
          {
            type: "simplelicensing_LicenseExpression",
            spdxId: "lic",
            simplelicensing_licenseExpression: "MIT AND BSD-2-Clause",
          },
        ],
      }),
      "v3.json",
    );
    expect(inv.target).toMatchObject({
      name: "shop/api:1.4",
      os: { family: "alpine", ecosystem: "Alpine:v3.19" },
    });
    expect(inv.packages.map((p) => [p.ecosystem, p.name, p.version, p.arch, p.licenses])).toEqual([
      ["Alpine:v3.19", "musl", "1.2.4_git20230717-r4", "x86_64", ["MIT", "BSD-2-Clause"]],
    ]);
  });

  it("SPDX 2: DESCRIBED_BY names the target; concluded licence when nothing is declared; LicenseRef names", () => {
    const inv = parseSbom(
      JSON.stringify({
        spdxVersion: "SPDX-2.3",
        packages: [
          { SPDXID: "SPDXRef-app", name: "my-app", versionInfo: "2.0.0" },
          {
            SPDXID: "SPDXRef-p",
            name: "requests",
            licenseDeclared: "NOASSERTION",
            licenseConcluded: "Apache-2.0 OR LicenseRef-x",
            externalRefs: [
              {
                referenceCategory: "PACKAGE_MANAGER",
                referenceType: "purl",
                referenceLocator: "pkg:pypi/Requests@2.31.0",
              },
            ],
          },
        ],
        hasExtractedLicensingInfos: [
          { licenseId: "LicenseRef-x", extractedText: "a very long text\nline two" },
        ],
        relationships: [
          {
            spdxElementId: "SPDXRef-app",
            relationshipType: "DESCRIBED_BY",
            relatedSpdxElement: "SPDXRef-DOCUMENT",
          },
        ],
      }),
      "v2.json",
    );
    expect(inv.target.name).toBe("my-app");
    expect(inv.packages.map((p) => [p.ecosystem, p.name, p.version, p.licenses])).toEqual([
      ["PyPI", "requests", "2.31.0", ["Apache-2.0 OR LicenseRef-x"]],
    ]);
  });
});
