/**
 * Markdown tables padded the way `biome format` writes them (bench/RESULTS.md is checked by
 * `npm run lint`). Cells must be ASCII so that string length equals display width.
 */
export function mdTable(headers, rows) {
  const text = rows.map((r) => r.map((c) => (c == null ? "-" : String(c).replace(/\|/g, "\\|"))));
  const widths = headers.map((h, i) => Math.max(h.length, 3, ...text.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...text.map(line)].join("\n");
}
