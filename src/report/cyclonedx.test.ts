import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  addDraft2019Formats,
  addFormats,
  explain,
  schemaFixture as fixture,
  inventory,
  LAYER1,
  NOW,
  OPTS,
  render,
} from "../../test/support/sbom-fixture.js";

describe("cyclonedx", () => {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    schemas: {
      "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": fixture("spdx.SNAPSHOT.schema.json") as object,
      "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": fixture(
        "jsf-0.82.SNAPSHOT.schema.json",
      ) as object,
    },
  });
  addFormats(ajv);
  addDraft2019Formats(ajv, { formats: ["idn-email"] });
  ajv.addFormat("iri-reference", true);
  const validate = ajv.compile(fixture("bom-1.6.SNAPSHOT.schema.json") as object);
  type Cdx = {
    serialNumber: string;
    specVersion: string;
    metadata: {
      timestamp: string;
      component: Record<string, unknown>;
      tools: { components: { name: string; version: string }[] };
    };
    components: {
      "bom-ref": string;
      type: string;
      name: string;
      group?: string;
      version?: string;
      purl?: string;
      licenses?: { license?: { id?: string; name?: string }; expression?: string }[];
      properties?: { name: string; value: string }[];
    }[];
  };
  const bom = JSON.parse(render("cyclonedx")) as Cdx;
  const byRef = (id: string) => bom.components.find((c) => c["bom-ref"] === id);

  it("is valid CycloneDX 1.6", () => {
    expect(validate(bom), explain(validate)).toBe(true);
    expect(bom.specVersion).toBe("1.6");
    // negative control: the validator is really checking (a component without name, a mixed licence choice)
    expect(validate({ ...bom, components: [{ type: "library" }] })).toBe(false);
    expect(
      validate({
        ...bom,
        components: [
          { type: "library", name: "x", licenses: [{ expression: "MIT" }, { license: { id: "MIT" } }] },
        ],
      }),
    ).toBe(false);
  });

  it("lists every package once, with its purl and id as bom-ref", () => {
    const inv = inventory();
    const withPurl = bom.components.filter((c) => c.purl);
    expect(withPurl).toHaveLength(inv.packages.length);
    for (const p of inv.packages) {
      expect(withPurl.filter((c) => c.purl === p.purl).map((c) => c["bom-ref"])).toEqual([p.id]);
    }
    expect(byRef(inv.packages.find((p) => p.name === "@babel/core")?.id ?? "")).toMatchObject({
      group: "@babel",
      name: "core",
    });
  });

  it("describes the image, the OS, the time and the tool", () => {
    expect(bom.metadata.component).toMatchObject({
      type: "container",
      name: "registry.example/shop/api:1.4",
      version: `sha256:${"a".repeat(64)}`,
    });
    expect(bom.metadata.timestamp).toBe(NOW.toISOString());
    expect(bom.metadata.tools.components).toEqual([
      expect.objectContaining({ name: "airbag", version: "0.1.0-test" }),
    ]);
    expect(bom.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(bom.components.find((c) => c.type === "operating-system")).toMatchObject({
      name: "debian",
      version: "12",
    });
    // no dependency graph is known, and an empty dependsOn would claim "no dependencies"
    expect(bom).not.toHaveProperty("dependencies");
  });

  it("writes SPDX ids where valid, names otherwise, expressions alone", () => {
    const lic = (name: string) =>
      byRef(inventory().packages.find((p) => p.name === name)?.id ?? "")?.licenses;
    expect(lic("libc6")).toEqual([
      { license: { id: "GPL-2.0-or-later" } },
      { license: { id: "LGPL-2.1-or-later" } },
    ]);
    expect(lic("libssl3")).toEqual(
      expect.arrayContaining([
        { license: { id: "Apache-2.0" } },
        { license: { name: "Artistic" } },
        { license: { id: "GPL-1.0-or-later" } },
      ]),
    );
    expect(lic("openssl-libs")).toEqual([{ license: { name: "ASL 2.0" } }]);
    expect(lic("rc")).toEqual([{ expression: "(BSD-2-Clause OR MIT OR Apache-2.0)" }]);
    // an expression plus an id: one combined expression (a mixed list is invalid CycloneDX 1.6)
    expect(lic("openjdk-17-jre-headless")).toEqual([
      { expression: "(GPL-2.0-only WITH Classpath-exception-2.0) AND MIT" },
    ]);
    // an expression plus free text: no valid expression exists, so every entry becomes a name
    expect(lic("tzdata")).toEqual(
      expect.arrayContaining([
        { license: { name: "public-domain" } },
        { license: { name: "(MIT OR Apache-2.0)" } },
      ]),
    );
    expect(lic("base-files")).toBeUndefined();
  });

  it("keeps location, layer, ecosystem, source and matcher facts as properties", () => {
    const props = (name: string) =>
      byRef(inventory().packages.find((p) => p.name === name)?.id ?? "")?.properties ?? [];
    expect(props("libssl3")).toEqual(
      expect.arrayContaining([
        { name: "airbag:location:path", value: "var/lib/dpkg/status" },
        { name: "airbag:location:layer", value: LAYER1 },
        { name: "airbag:ecosystem", value: "Debian:12" },
        { name: "airbag:source:name", value: "openssl" },
        { name: "airbag:source:version", value: "3.0.11-1~deb12u2" },
      ]),
    );
    expect(props("openssl-libs")).toEqual(
      expect.arrayContaining([{ name: "airbag:metadata:epoch", value: "1" }]),
    );
  });

  it("is reproducible for a fixed time and input order, and new for a new time", () => {
    const reversed = inventory();
    reversed.packages.reverse();
    expect(render("cyclonedx", reversed)).toBe(render("cyclonedx"));
    const later = JSON.parse(
      render("cyclonedx", inventory(), { ...OPTS, now: new Date(NOW.getTime() + 1000) }),
    ) as Cdx;
    expect(later.serialNumber).not.toBe(bom.serialNumber);
  });
});
