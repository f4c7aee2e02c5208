import { Ajv } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  explain,
  schemaFixture as fixture,
  inventory,
  isValidSpdxExpression,
  NOW,
  OPTS,
  render,
} from "../../test/support/sbom-fixture.js";
import { declaredLicense, ExtractedLicenses, parseLicenseExpression } from "./spdx.js";

describe("spdx", () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(
    fixture("spdx-2.3.schema.json") as object,
  );
  type SpdxDoc = {
    SPDXID: string;
    spdxVersion: string;
    dataLicense: string;
    documentNamespace: string;
    creationInfo: { created: string; creators: string[] };
    packages: {
      SPDXID: string;
      name: string;
      versionInfo?: string;
      licenseDeclared: string;
      externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
    }[];
    relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
    hasExtractedLicensingInfos?: { licenseId: string; extractedText: string }[];
  };
  const doc = JSON.parse(render("spdx")) as SpdxDoc;
  const purlOf = (p: SpdxDoc["packages"][number]) =>
    p.externalRefs?.find((r) => r.referenceType === "purl")?.referenceLocator;
  const refs = new Set((doc.hasExtractedLicensingInfos ?? []).map((e) => e.licenseId));

  it("is valid SPDX 2.3", () => {
    expect(validate(doc), explain(validate)).toBe(true);
    expect(validate({ ...doc, packages: [{ name: "no-spdxid", downloadLocation: "NOASSERTION" }] })).toBe(
      false,
    );
    expect(doc).toMatchObject({
      spdxVersion: "SPDX-2.3",
      dataLicense: "CC0-1.0",
      SPDXID: "SPDXRef-DOCUMENT",
    });
    expect(doc.creationInfo).toEqual(
      expect.objectContaining({ created: "2024-05-06T07:08:09Z", creators: ["Tool: airbag-0.1.0-test"] }),
    );
  });

  it("has unique, well-formed SPDXIDs and no dangling relationships", () => {
    const ids = doc.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    const known = new Set([...ids, "SPDXRef-DOCUMENT"]);
    for (const r of doc.relationships)
      expect(known.has(r.spdxElementId) && known.has(r.relatedSpdxElement)).toBe(true);
  });

  it("describes the image, which contains every package exactly once with its purl", () => {
    const describes = doc.relationships.filter((r) => r.relationshipType === "DESCRIBES");
    expect(describes).toHaveLength(1);
    const image = doc.packages.find((p) => p.SPDXID === describes[0]?.relatedSpdxElement);
    expect(image).toMatchObject({
      name: "registry.example/shop/api:1.4",
      versionInfo: `sha256:${"a".repeat(64)}`,
    });
    const contained = doc.relationships.filter(
      (r) => r.relationshipType === "CONTAINS" && r.spdxElementId === image?.SPDXID,
    );
    const inv = inventory();
    expect(contained).toHaveLength(inv.packages.length);
    const purls = contained.map((r) =>
      purlOf(doc.packages.find((p) => p.SPDXID === r.relatedSpdxElement) ?? doc.packages[0]!),
    );
    expect(purls.sort()).toEqual(inv.packages.map((p) => p.purl).sort());
  });

  it("declares only valid licence expressions; free text goes to LicenseRef-", () => {
    for (const p of doc.packages)
      expect(isValidSpdxExpression(p.licenseDeclared, refs), p.licenseDeclared).toBe(true);
    const lic = (name: string) => doc.packages.find((p) => p.name === name)?.licenseDeclared;
    expect(lic("libc6")).toBe("LGPL-2.1-or-later AND GPL-2.0-or-later");
    expect(lic("rc")).toBe("(BSD-2-Clause OR MIT OR Apache-2.0)");
    expect(lic("tzdata")).toBe("LicenseRef-public-domain AND (MIT OR Apache-2.0)");
    expect(lic("openjdk-17-jre-headless")).toBe("(GPL-2.0-only WITH Classpath-exception-2.0) AND MIT");
    expect(lic("base-files")).toBe("NOASSERTION");
    expect(lic("openssl-libs")).toBe("LicenseRef-ASL-2.0");
    expect(doc.hasExtractedLicensingInfos).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ licenseId: "LicenseRef-ASL-2.0", extractedText: "ASL 2.0" }),
      ]),
    );
    expect(lic("acme-sdk")).toBe("LicenseRef-Acme-EULA");
    expect(refs.has("LicenseRef-Acme-EULA")).toBe(true);
    expect(lic("libweird0")).toMatch(/^LicenseRef-MIT-OR AND BSD-3-Clause AND LicenseRef-[A-Za-z0-9.-]+$/);
  });

  it("is reproducible for a fixed time, with a new namespace for a new time", () => {
    const reversed = inventory();
    reversed.packages.reverse();
    expect(render("spdx", reversed)).toBe(render("spdx"));
    const later = JSON.parse(
      render("spdx", inventory(), { ...OPTS, now: new Date(NOW.getTime() + 1000) }),
    ) as SpdxDoc;
    expect(later.documentNamespace).not.toBe(doc.documentNamespace);
    expect(doc.documentNamespace).toMatch(/^https:\/\/\S+$/);
  });
});

describe("spdx licence expressions", () => {
  it.each([
    ["mit", "MIT"],
    ["GPL-2+", "GPL-2.0-or-later"],
    ["GPLv2+ and LGPLv2+", "GPL-2.0-or-later AND LGPL-2.0-or-later"],
    ["Expat", "MIT"],
    ["GPL-2.0-only WITH classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"],
    ["(MIT OR Apache-2.0) AND LicenseRef-Acme", "(MIT OR Apache-2.0) AND LicenseRef-Acme"],
    ["MPL-1.1+", "MPL-1.1+"],
  ])("normalises %j to %j", (input, expected) => expect(parseLicenseExpression(input)).toBe(expected));

  it.each([
    "MIT OR",
    "ASL 2.0",
    "MIT WITH MIT",
    "(MIT",
    "MIT)",
    "public-domain",
    "MIT AND AND MIT",
    "LicenseRef-a b",
    "__proto__", // found by the property below: must not resolve to Object.prototype
    "constructor",
  ])("rejects %j", (input) => expect(parseLicenseExpression(input)).toBeUndefined());

  it("never declares an invalid expression, whatever the package metadata says", () => {
    const word = fc.constantFrom(
      "MIT",
      "mit",
      "AND",
      "or",
      "WITH",
      "(",
      ")",
      "GPL-2+",
      "Classpath-exception-2.0",
      "LicenseRef-x",
      "+",
      "NOASSERTION",
      "BSD",
      "GPL v2",
      "Apache-2.0",
      "DocumentRef-ext:LicenseRef-y",
    );
    const licence = fc.oneof(
      fc.string(),
      fc.array(word, { maxLength: 6 }).map((w) => w.join(" ")),
    );
    fc.assert(
      fc.property(fc.array(licence, { maxLength: 5 }), (licenses) => {
        const extracted = new ExtractedLicenses();
        const expr = declaredLicense(licenses, extracted);
        const declared = new Set(extracted.toJson().map((e) => e.licenseId));
        for (const id of declared) expect(id).toMatch(/^LicenseRef-[A-Za-z0-9.-]+$/);
        expect(isValidSpdxExpression(expr, declared), `${JSON.stringify(licenses)} → ${expr}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
