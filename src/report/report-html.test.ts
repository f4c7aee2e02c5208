import { createHash } from "node:crypto";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  cleanReport,
  findPackage,
  LAYER1,
  renderR,
  report,
  SUPPRESS_REASON,
} from "../../test/support/report-fixture.js";
import type { Report, VulnerabilityFinding } from "../model/index.js";

const html = (r: Report = report()): string => renderR("html", r);
const between = (s: string, open: string, close: string): string => {
  const i = s.indexOf(open);
  return i < 0 ? "" : s.slice(i + open.length, s.indexOf(close, i + open.length));
};
const unescapeHtml = (s: string): string =>
  s.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] as string,
  );

/** Runs the page's script against a minimal stand-in for the few DOM calls it makes. */
function filterPage(page: string) {
  const tbody = between(between(page, '<table id="findings">', "</table>"), "<tbody>", "</tbody>");
  const rows = [
    ...tbody.matchAll(/<tr data-severity="([^"]*)" data-fixable="([01])" data-search="([^"]*)">/g),
  ].map((m) => ({
    dataset: { severity: m[1], fixable: m[2], search: unescapeHtml(m[3] as string) },
    hidden: false,
    html: m[0],
  }));
  const boxes = [...page.matchAll(/<input type="checkbox" name="severity" value="([a-z]+)" checked>/g)].map(
    (m) => ({
      value: m[1],
      checked: true,
    }),
  );
  const listeners: Record<string, () => void> = {};
  const form = {
    querySelectorAll: () => boxes,
    addEventListener: (t: string, fn: () => void) => (listeners[t] = fn),
  };
  const els: Record<string, unknown> = {
    filters: form,
    q: { value: "" },
    fixable: { checked: false },
    shown: { textContent: "" },
  };
  const document = { getElementById: (id: string) => els[id], querySelectorAll: () => rows };
  runInNewContext(between(page, "<script>", "</script>"), { document });
  return {
    rows,
    // the search text starts with the finding id (lower-cased, as the filter compares it)
    visible: () => rows.filter((r) => !r.hidden).map((r) => r.dataset.search.split(" ")[0]),
    shown: () => (els.shown as { textContent: string }).textContent,
    set(change: { uncheck?: string[]; q?: string; fixable?: boolean }) {
      for (const b of boxes) b.checked = !change.uncheck?.includes(b.value as string);
      (els.q as { value: string }).value = change.q ?? "";
      (els.fixable as { checked: boolean }).checked = change.fixable ?? false;
      listeners.input?.();
    },
  };
}

describe("report html", () => {
  it("is one self-contained file: one inline script, no external resources", () => {
    const page = html();
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page.match(/<script\b/g)).toHaveLength(1);
    expect(page).not.toMatch(/<script[^>]*\ssrc=/);
    expect(page).not.toMatch(/\ssrc=/);
    expect(page).not.toMatch(/<link\b|<iframe\b|<object\b|<embed\b|@import|url\(/i);
    // every URL on the page is the href of an advisory reference link
    const withoutRefLinks = page.replace(
      /<a class="ref" href="https?:\/\/[^"]+" rel="noopener noreferrer">/g,
      "",
    );
    expect(withoutRefLinks).not.toMatch(/https?:\/\//);
    expect(withoutRefLinks).not.toMatch(/\shref=/);
    expect(page).toContain(
      '<a class="ref" href="https://pkg.go.dev/vuln/GO-2023-2102" rel="noopener noreferrer">CVE-2023-44487</a>',
    );
  });

  it("pins its inline style and script with CSP hashes", () => {
    const page = html();
    const csp = unescapeHtml(
      /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1] ?? "",
    );
    const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(between(page, "<script>", "</script>"))}`);
    expect(csp).toContain(`style-src ${hash(between(page, "<style>", "</style>"))}`);
    expect(csp).not.toContain("unsafe-inline");
  });

  it("escapes everything that comes from the image or a feed", () => {
    const r = report();
    const f = r.findings.find((x) => x.id === "CVE-2023-5678") as VulnerabilityFinding;
    f.title = `<script>alert("x")</script>`;
    f.references = ["javascript:alert(1)"];
    f.aliases = [`"><img src=x onerror=alert(1)>`];
    findPackage(r, "libssl3").name = "<b>libssl3</b>";
    r.suppressed[0] = {
      ...(r.suppressed[0] as Report["suppressed"][number]),
      reason: "</td><script>bad()</script>",
    };
    const page = html(r);
    expect(page.match(/<script\b/g)).toHaveLength(1);
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page).toContain("&lt;/td&gt;&lt;script&gt;bad()&lt;/script&gt;");
    expect(page).toContain("&lt;b&gt;libssl3&lt;/b&gt;");
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<b>libssl3");
    expect(page).not.toContain("javascript:");
    // the search attribute is escaped too, and still finds the text once unescaped
    expect(filterPage(page).rows.some((row) => row.dataset.search.includes('<script>alert("x")'))).toBe(true);
  });

  it("shows summary cards per severity and a bar chart", () => {
    const page = html();
    const card = (cls: string) =>
      new RegExp(`<div class="card ${cls}"><span class="n">(\\d+)</span>`).exec(page)?.[1];
    expect(["critical", "high", "medium", "low", "unknown", "suppressed"].map(card)).toEqual([
      "1",
      "1",
      "2",
      "1",
      "0",
      "1",
    ]);
    const svg = between(page, "<svg", "</svg>");
    expect(svg).toContain('role="img"');
    const height = (s: string) => Number(new RegExp(`class="bar-${s}"[^>]* height="(\\d+)"`).exec(svg)?.[1]);
    expect(height("medium")).toBeGreaterThan(0);
    expect(height("high")).toBeCloseTo(height("medium") / 2, 0); // 1 vs 2 findings
    expect(height("unknown")).toBe(0);
  });

  it("lists every finding with its facts, suppressed ones apart with the reason", () => {
    const page = html();
    const table = between(page, '<table id="findings">', "</table>");
    expect(table.match(/<tr data-severity=/g)).toHaveLength(5);
    expect(table).toContain('data-severity="high" data-fixable="1"');
    expect(table).toContain('<span class="tag" title="CISA Known Exploited Vulnerabilities">KEV</span>');
    expect(table).toContain("EPSS 94.0%");
    expect(table).toContain("app/config/.env:3");
    expect(table).not.toContain("CVE-2024-0727");
    const suppressed = between(page, '<table id="suppressed">', "</table>");
    expect(suppressed).toContain("CVE-2024-0727");
    expect(suppressed).toContain(SUPPRESS_REASON);
  });

  it("names the config field of config findings and the layer still holding a deleted file", () => {
    const r = report();
    r.findings.push(
      {
        kind: "secret",
        id: "aws-access-key-id",
        severity: "critical",
        location: { path: "root/.aws/credentials", layer: LAYER1, line: 4 },
        deleted: true,
        match: "AKIA************GM55",
      },
      { kind: "malware", id: "miner.cli-option", severity: "critical", field: "config.Entrypoint" },
    );
    const rows = between(html(r), '<table id="findings">', "</table>").split("<tr ");
    const aws = rows.find((x) => x.includes("root/.aws/credentials:4")) as string;
    expect(aws).toContain(`deleted by a later layer, still in layer <span class="mono">${LAYER1}</span>`);
    expect(rows.find((x) => x.includes("miner.cli-option"))).toContain(
      '<span class="mono">config.Entrypoint</span>',
    );
  });

  it("filters by severity, text and fixability in the page", () => {
    const page = filterPage(html());
    expect(page.shown()).toBe("5 of 5 shown");
    page.set({ uncheck: ["critical", "low"] });
    expect(page.visible()).toEqual(["cve-2023-44487", "cis-di-0001", "cve-2023-5678"]);
    page.set({ q: "LIBSSL" });
    expect(page.visible()).toEqual(["cve-2023-5678"]);
    page.set({ q: "go-2023-2102" }); // aliases are searchable
    expect(page.visible()).toEqual(["cve-2023-44487"]);
    page.set({ fixable: true });
    expect(page.visible()).toEqual(["cve-2023-44487", "cve-2023-5678"]);
    expect(page.shown()).toBe("2 of 5 shown");
    page.set({ fixable: true, uncheck: ["high"] });
    expect(page.visible()).toEqual(["cve-2023-5678"]);
  });

  it("has the package inventory in a collapsible section", () => {
    const inv = between(html(), '<details id="inventory">', "</details>");
    expect(inv).toContain("<summary>Package inventory (12)</summary>");
    expect(inv.match(/<tr><td>/g)).toHaveLength(12);
    expect(inv).toMatch(/<td>stdlib<\/td><td class="mono">1\.21\.0<\/td>.*<td>1<\/td><\/tr>/);
  });

  it("says so when nothing was found", () => {
    const page = html(cleanReport());
    expect(page).toContain("No vulnerabilities found.");
    expect(filterPage(page).shown()).toBe("0 of 0 shown");
    expect(page).not.toContain('id="suppressed"');
  });
});
