import pc from "picocolors";
import type { Inventory, Package } from "../model/index.js";
import type { InventoryFormatter, RenderOptions } from "./format.js";
import { sortedPackages } from "./spdx.js";

// Package metadata comes from the scanned image, i.e. from whoever built it: strip control characters
// so a crafted package name cannot move the cursor or recolour the terminal (CWE-150).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (s: string): string => s.replace(CONTROL, "?");

function location(p: Package): string {
  const first = p.locations[0];
  if (!first) return "-";
  return p.locations.length > 1 ? `${first.path} (+${p.locations.length - 1})` : first.path;
}

function osLine(inv: Inventory): string | undefined {
  const os = inv.target.os;
  if (!os) return undefined;
  if (os.prettyName) return os.prettyName;
  return [os.family, os.version, os.codename ? `(${os.codename})` : undefined].filter(Boolean).join(" ");
}

export function renderTable(inv: Inventory, opts: RenderOptions): string {
  const c = pc.createColors(opts.color);
  const t = inv.target;
  const out: string[] = [];
  const field = (label: string, value: string | undefined): void => {
    if (value) out.push(`${c.bold(`${label}:`.padEnd(10))}${clean(value)}`);
  };
  field("Target", `${t.name} (${t.kind})`);
  field("OS", osLine(inv));
  field("Digest", t.digest);
  field("Packages", String(inv.packages.length));
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
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    // pad before colouring: escape sequences would otherwise count towards the width
    const line = (cells: string[], style: (s: string) => string = (s) => s): string =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .map(style)
        .join("  ")
        .trimEnd();
    out.push(line(header, c.bold));
    for (const r of rows) out.push(line(r));
  }

  if (inv.warnings?.length) {
    out.push("");
    for (const w of inv.warnings) out.push(c.yellow(`warning: ${clean(w)}`));
  }
  return `${out.join("\n")}\n`;
}

export const tableFormat: InventoryFormatter = { name: "table", render: renderTable };
