import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addFormats, explain } from "../../test/support/sbom-fixture.js";
import { AirbagError } from "../model/index.js";
import { parseSbom, readSbom } from "./sbom-input.js";

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(
    readFileSync(fileURLToPath(new URL("../../schemas/inventory.schema.json", import.meta.url)), "utf8"),
  ),
);

describe("readSbom: malformed input is an INPUT error naming the file and field", () => {
  const fails = (text: string, message: RegExp) => {
    let err: unknown;
    try {
      parseSbom(text, "in.json");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("INPUT");
    expect((err as Error).message).not.toContain("\n");
    expect((err as Error).message).toMatch(/^in\.json: /);
    expect((err as Error).message).toMatch(message);
  };
  const cdx = (o: object) => JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5", ...o });

  it.each([
    ["", /not valid JSON/],
    ['{ "bomFormat": ', /not valid JSON/],
    ["<bom xmlns='http://cyclonedx.org/schema/bom/1.5'/>", /not valid JSON/],
    ["[1, 2]", /top level is not an object/],
    ['{"name": "x"}', /not a CycloneDX or SPDX JSON document \(no "bomFormat", "spdxVersion"/],
    [
      JSON.stringify({ bomFormat: "SPDX", specVersion: "1.5" }),
      /^in\.json: bomFormat: "SPDX": expected "CycloneDX"/,
    ],
    [
      JSON.stringify({ bomFormat: "CycloneDX", specVersion: "2.0" }),
      /specVersion: "2\.0": not a CycloneDX 1\.x/,
    ],
    [
      JSON.stringify({ bomFormat: "CycloneDX", specVersion: 1.5 }),
      /specVersion: expected a string, got number/,
    ],
    [cdx({ components: {} }), /in\.json: components: expected an array, got object/],
    [cdx({ components: [{ purl: "pkg:npm/a@1" }, "x"] }), /components\[1\]: expected an object, got string/],
    [cdx({ components: [{ purl: 42 }] }), /components\[0\]\.purl: expected a string, got number/],
    [
      cdx({ components: [{ components: [{ name: ["x"] }] }] }),
      /components\[0\]\.components\[0\]\.name: expected a string/,
    ],
    [
      cdx({ components: [{ licenses: [{ license: "MIT" }] }] }),
      /components\[0\]\.licenses\[0\]\.license: expected an object/,
    ],
    [
      cdx({ components: [{ properties: [{ name: "a", value: 1 }] }] }),
      /components\[0\]\.properties\[0\]\.value/,
    ],
    [cdx({ metadata: [] }), /metadata: expected an object, got an array/],
    [JSON.stringify({ spdxVersion: "SPDX-3.0" }), /spdxVersion: "SPDX-3\.0": not an SPDX 2\.x version/],
    [
      JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [null] }),
      /packages\[0\]: expected an object, got null/,
    ],
    [
      JSON.stringify({
        spdxVersion: "SPDX-2.3",
        packages: [{ externalRefs: [{ referenceType: "purl", referenceLocator: 7 }] }],
      }),
      /packages\[0\]\.externalRefs\[0\]\.referenceLocator: expected a string, got number/,
    ],
    [
      JSON.stringify({ "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": {} }),
      /@graph: expected an array/,
    ],
  ])("%s", (text, message) => fails(text, message));

  it("a missing file, a directory", async () => {
    await expect(readSbom("/nonexistent/bom.json")).rejects.toThrow(
      /^\/nonexistent\/bom\.json: cannot read SBOM \(ENOENT\)$/,
    );
    await expect(readSbom(tmpdir())).rejects.toThrow(/not a file/);
    await expect(readSbom(tmpdir())).rejects.toBeInstanceOf(AirbagError);
  });
});

describe("readSbom: never throws anything but an input error", () => {
  /** true when the document was read; also checks the result against the inventory schema */
  const onlyInputErrors = (text: string): boolean => {
    try {
      const inv = parseSbom(text, "fuzz.json");
      expect(validate(inv), explain(validate)).toBe(true);
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(AirbagError);
      expect((e as AirbagError).code).toBe("INPUT");
      return false;
    }
  };
  // mostly well-typed documents with odd values, and now and then a value of the wrong type
  const junk = fc.anything({ maxDepth: 2, maxKeys: 3 });
  const sometimes = <T>(a: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 12, arbitrary: a }, { weight: 1, arbitrary: junk });
  const text = sometimes(
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        "pkg:npm/a@1",
        "pkg:deb/debian/x@1?distro=debian-12&upstream=y%40",
        "pkg:rpm/redhat/x@1?epoch=z&upstream=x-1-2.src.rpm",
        "pkg:apk/alpine/x@1?distro=3",
        "pkg:",
        "NOASSERTION",
        "(MIT AND (GPL-2.0 OR",
        "LicenseRef-x",
        "sha256:abc",
        "operating-system",
        "library",
        "acquired package info from DPKG DB: /a, /b",
        "npm package found in a (layer x), b; source package s 1",
        "os: debian 12 bookworm",
      ),
    ),
  );
  const list = <T>(a: fc.Arbitrary<T>) => sometimes(fc.array(a, { maxLength: 3 }));
  const property = sometimes(
    fc.record(
      {
        name: sometimes(
          fc.constantFrom(
            "airbag:ecosystem",
            "airbag:location:path",
            "airbag:location:layer",
            "airbag:metadata:epoch",
            "airbag:package:type",
            "syft:location:0:path",
            "aquasecurity:trivy:SrcName",
            "aquasecurity:trivy:SrcVersion",
          ),
        ),
        value: text,
      },
      { requiredKeys: [] },
    ),
  );
  const licence = sometimes(
    fc.record(
      { expression: text, license: sometimes(fc.record({ id: text, name: text }, { requiredKeys: [] })) },
      { requiredKeys: [] },
    ),
  );
  const component: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    c: sometimes(
      fc.record(
        {
          type: text,
          name: text,
          version: text,
          purl: text,
          group: text,
          "bom-ref": text,
          licenses: list(licence),
          properties: list(property),
          components: fc.oneof({ depthSize: "small" }, fc.constant([]), list(tie("c"))),
        },
        { requiredKeys: [] },
      ),
    ),
  })).c;
  const spdxPackage = sometimes(
    fc.record(
      {
        SPDXID: text,
        name: text,
        versionInfo: text,
        primaryPackagePurpose: text,
        licenseDeclared: text,
        sourceInfo: text,
        comment: text,
        attributionTexts: list(text),
        externalRefs: list(
          sometimes(fc.record({ referenceType: text, referenceLocator: text }, { requiredKeys: [] })),
        ),
      },
      { requiredKeys: [] },
    ),
  );

  it("on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        onlyInputErrors(JSON.stringify(v) ?? "");
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        onlyInputErrors(s);
      }),
      { numRuns: 300 },
    );
  });

  it("on CycloneDX-, SPDX 2- and SPDX 3-shaped documents with odd fields", () => {
    const docs = fc.oneof(
      fc.record({
        bomFormat: fc.constant("CycloneDX"),
        specVersion: sometimes(fc.constant("1.6")),
        metadata: sometimes(fc.record({ component }, { requiredKeys: [] })),
        components: list(component),
      }),
      fc.record({
        spdxVersion: sometimes(fc.constant("SPDX-2.3")),
        creationInfo: sometimes(fc.record({ creators: list(fc.constantFrom("Tool: airbag-1", "Tool: x")) })),
        documentDescribes: list(text),
        packages: list(spdxPackage),
        hasExtractedLicensingInfos: list(
          sometimes(fc.record({ licenseId: text, name: text, extractedText: text }, { requiredKeys: [] })),
        ),
        relationships: list(
          sometimes(fc.record({ spdxElementId: text, relationshipType: text, relatedSpdxElement: text })),
        ),
      }),
      fc.record({
        "@context": fc.constant("https://spdx.org/rdf/3.0.1/spdx-context.jsonld"),
        "@graph": list(
          fc.record(
            {
              type: sometimes(
                fc.constantFrom("software_Package", "SpdxDocument", "software_Sbom", "Relationship"),
              ),
              spdxId: fc.constantFrom("a", "b", "c"),
              name: text,
              software_packageUrl: text,
              software_primaryPurpose: text,
              rootElement: list(fc.constantFrom("a", "b", "c")),
              from: text,
              to: list(fc.constantFrom("a", "b", "c")),
              relationshipType: sometimes(fc.constantFrom("hasDeclaredLicense", "contains")),
              simplelicensing_licenseExpression: text,
            },
            { requiredKeys: [] },
          ),
        ),
      }),
    );
    let read = 0;
    fc.assert(
      fc.property(docs, (d) => {
        if (onlyInputErrors(JSON.stringify(d) ?? "")) read++;
      }),
      { numRuns: 600 },
    );
    expect(read).toBeGreaterThan(100); // most documents get past the first field
  });
});

describe("readSbom: hostile nesting", () => {
  it("rejects components nested deeper than 64 levels instead of overflowing the stack", () => {
    const open = '{"type":"library","components":['.repeat(3000);
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${open}{"purl":"pkg:npm/deep@1"}${"]}".repeat(3000)}]}`;
    expect(() => parseSbom(text, "deep.json")).toThrow(
      /^deep\.json: components\[0\](\.components\[0\]){64}\.components: nested deeper than 64 levels$/,
    );
  });
});
