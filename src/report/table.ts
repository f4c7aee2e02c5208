import pc from "picocolors";
import type { Inventory, Package } from "../model/index.js";
import type { InventoryFormatter, RenderOptions } from "./format.js";
import { sortedPackages } from "./spdx.js";

// Package metadata comes from the scanned image, i.e. from whoever built it: strip control characters
// so a crafted package name cannot move the cursor or recolour the terminal (CWE-150).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
export const clean = (s: string): string => s.replace(CONTROL, "?");

function location(p: Package): string {
  const first = p.locations[0];
  if (!first) return "-";
  return p.locations.length > 1 ? `${first.path} (+${p.locations.length - 1})` : first.path;
}

export type Colors = ReturnType<typeof pc.createColors>;

export function osLine(inv: Inventory): string | undefined {
  const os = inv.target.os;
  if (!os) return undefined;
  if (os.prettyName) return os.prettyName;
  return [os.family, os.version, os.codename ? `(${os.codename})` : undefined].filter(Boolean).join(" ");
}

/**
 * Rows as lines of left-aligned columns two spaces apart. `style` sees each cell already padded:
 * padding after colouring would count the escape sequences towards the width.
 */
export function alignColumns(
  rows: readonly (readonly string[])[],
  style: (cell: string, col: number, row: number) => string = (cell) => cell,
  indent = "",
): string[] {
  const widths: number[] = [];
  for (const r of rows)
    for (const [i, cell] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map(
    (r, ri) =>
      indent +
      r
        .map((cell, i) => style(i === r.length - 1 ? cell : cell.padEnd(widths[i] as number), i, ri))
        .join("  ")
        .trimEnd(),
  );
}

/** The "Target / OS / Digest / Packages" block that opens both the SBOM and the scan report tables. */
export function targetHeader(inv: Inventory, c: Colors): string[] {
  const t = inv.target;
  const out: string[] = [];
  const field = (label: string, value: string | undefined): void => {
    if (value) out.push(`${c.bold(`${label}:`.padEnd(10))}${clean(value)}`);
  };
  field("Target", `${t.name} (${t.kind})`);
  field("OS", osLine(inv));
  field("Digest", t.digest);
  field("Packages", String(inv.packages.length));
  return out;
}

export function renderTable(inv: Inventory, opts: RenderOptions): string {
  const c = pc.createColors(opts.color);
  const out: string[] = targetHeader(inv, c);
  out.push("");

  if (inv.packages.length === 0) {
    out.push(c.dim("No packages found."));
  } else {
    const header = ["NAME", "VERSION", "TYPE", "LOCATION"];
    const rows = sortedPackages(inv.packages).map((p) => [
      clean(p.name),
      clean(p.version),
      clean(p.ecosystem && p.ecosystem !== p.type ? `${p.type} (${p.ecosystem})` : p.type),
      clean(location(p)),
    ]);
    out.push(...alignColumns([header, ...rows], (cell, _col, row) => (row === 0 ? c.bold(cell) : cell)));
  }

  if (inv.warnings?.length) {
    out.push("");
    for (const w of inv.warnings) out.push(c.yellow(`warning: ${clean(w)}`));
  }
  return `${out.join("\n")}\n`;
}

export const tableFormat: InventoryFormatter = { name: "table", render: renderTable };
