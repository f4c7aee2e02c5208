import type { Inventory } from "../model/index.js";
import type { InventoryFormatter } from "./format.js";

/**
 * `airbag sbom --format json`: the Inventory object exactly as `catalog()` returns it (the contract in
 * BRIEF.md, schema in schemas/inventory.schema.json), so scripts see the same thing as library users.
 */
export const inventoryJsonFormat: InventoryFormatter = {
  name: "json",
  render(inv: Inventory): string {
    return `${JSON.stringify(inv, null, 2)}\n`;
  },
};
