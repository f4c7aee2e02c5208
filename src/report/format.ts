import { AirbagError, type Inventory } from "../model/index.js";
import { cyclonedxFormat } from "./cyclonedx.js";
import { inventoryJsonFormat } from "./inventory-json.js";
import { spdxFormat } from "./spdx.js";
import { tableFormat } from "./table.js";

export interface RenderOptions {
  /** ANSI colours; only the table format uses them */
  color: boolean;
  /** creation time written into SBOM documents; injected so output is reproducible in tests */
  now?: Date;
  toolVersion: string;
}

/** One output format of `airbag sbom`: a pure function from an inventory to text. */
export interface InventoryFormatter {
  name: string;
  render(inv: Inventory, opts: RenderOptions): string;
}

export const inventoryFormats: Readonly<Record<string, InventoryFormatter>> = Object.freeze({
  json: inventoryJsonFormat,
  cyclonedx: cyclonedxFormat,
  spdx: spdxFormat,
  table: tableFormat,
});

export function renderInventory(format: string, inv: Inventory, opts: RenderOptions): string {
  // Object.hasOwn: "constructor"/"toString" must not resolve to prototype members
  const formatter = Object.hasOwn(inventoryFormats, format) ? inventoryFormats[format] : undefined;
  if (!formatter) {
    throw new AirbagError(
      "USAGE",
      `--format: unknown SBOM format "${format}"; use one of ${Object.keys(inventoryFormats).join(", ")}`,
    );
  }
  return formatter.render(inv, opts);
}
