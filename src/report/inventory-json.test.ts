import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { addFormats, explain, inventory, render } from "../../test/support/sbom-fixture.js";
import { AirbagError } from "../model/index.js";
import { inventoryFormats } from "./format.js";

describe("inventory json", () => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  const schemaPath = new URL("../../schemas/inventory.schema.json", import.meta.url);
  const validate = ajv.compile(JSON.parse(readFileSync(fileURLToPath(schemaPath), "utf8")) as object);

  it("is the inventory itself and valid against schemas/inventory.schema.json", () => {
    const out = JSON.parse(render("json")) as unknown;
    expect(out).toEqual(inventory());
    expect(validate(out), explain(validate)).toBe(true);
  });

  it("has a schema that rejects a broken inventory", () => {
    const noPurl = inventory() as unknown as { packages: Record<string, unknown>[] };
    delete noPurl.packages[0]?.purl;
    expect(validate(noPurl)).toBe(false);
    expect(validate({ ...inventory(), schemaVersion: 2 })).toBe(false);
    expect(validate({ ...inventory(), target: { ...inventory().target, kind: "ftp" } })).toBe(false);
  });
});

describe("renderInventory", () => {
  it("registers each formatter under its own name", () => {
    for (const [key, f] of Object.entries(inventoryFormats)) expect(f.name).toBe(key);
    expect(Object.keys(inventoryFormats).sort()).toEqual(["cyclonedx", "json", "spdx", "table"]);
  });

  it.each(["xml", "constructor", ""])("rejects the unknown format %j as a usage error", (format) => {
    expect(() => render(format)).toThrow(AirbagError);
    try {
      render(format);
    } catch (e) {
      expect((e as AirbagError).code).toBe("USAGE");
    }
  });
});
