import { createHash } from "node:crypto";
import type { Finding, Package, Report, Severity } from "../model/index.js";
import { SEVERITIES } from "../model/index.js";
import type { RenderOptions } from "./format.js";
import type { ReportFormatter } from "./report-format.js";
import { sortedPackages } from "./spdx.js";
import {
  compareFindings,
  isVulnerability,
  locationText,
  maxCvssScore,
  packageIndex,
  summarize,
  webUrl,
} from "./summary.js";
import { osLine } from "./table.js";

/**
 * `airbag scan --format html`: one self-contained page for people (CI artefact, e-mail attachment).
 * No network at all: inline CSS and script only, pinned by a Content-Security-Policy with their hashes,
 * so even a finding title that slipped past escaping could not run script or load anything. Every value
 * from the image or an advisory feed goes through `esc`; links only for http(s) references.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
export const esc = (s: string | number | undefined): string =>
  String(s ?? "").replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);

const LABEL: Record<Severity, string> = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
  unknown: "Unknown",
};

const CSS = `
:root{--critical:#b71c1c;--high:#e65100;--medium:#b7950b;--low:#1565c0;--unknown:#616161;--line:#ddd}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:16px 24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.target{font:600 15px ui-monospace,Menlo,Consolas,monospace;word-break:break-all;margin:0 0 8px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;color:#444}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;word-break:break-all}
.overview{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-end}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{min-width:104px;padding:10px 14px;border-radius:6px;background:#fff;border:1px solid var(--line);border-top:5px solid var(--unknown)}
.card .n{display:block;font-size:26px;font-weight:700}.card .l{color:#555}
.card.critical{border-top-color:var(--critical)}.card.high{border-top-color:var(--high)}
.card.medium{border-top-color:var(--medium)}.card.low{border-top-color:var(--low)}
.card.suppressed{border-top-color:#9e9e9e;background:#f3f3f3}
svg.chart text{font:12px system-ui,sans-serif;fill:#333}
.bar-critical{fill:var(--critical)}.bar-high{fill:var(--high)}.bar-medium{fill:var(--medium)}
.bar-low{fill:var(--low)}.bar-unknown{fill:var(--unknown)}
form.filters{display:flex;flex-wrap:wrap;gap:8px 18px;align-items:center;padding:10px 12px;background:#fff;border:1px solid var(--line);border-radius:6px}
form.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:10px}
form.filters legend{float:left;margin-right:8px;font-weight:600}
input[type=search]{padding:4px 8px;min-width:260px;border:1px solid #bbb;border-radius:4px}
table{border-collapse:collapse;width:100%;background:#fff;margin-top:8px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:#f0f0f0;position:sticky;top:0}
td.mono,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
td.id{white-space:nowrap}td.id .muted{white-space:normal}
.sev{display:inline-block;min-width:70px;text-align:center;padding:1px 6px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.sev.critical{background:var(--critical)}.sev.high{background:var(--high)}.sev.medium{background:var(--medium)}
.sev.low{background:var(--low)}.sev.unknown{background:var(--unknown)}
.tag{display:inline-block;padding:0 5px;border-radius:3px;font-size:11px;font-weight:700;background:#222;color:#fff;margin-right:4px}
.muted{color:#666;font-size:12px}
.empty{padding:12px;background:#e8f5e9;border:1px solid #a5d6a7;border-radius:6px}
details{margin-top:8px}summary{cursor:pointer;font-weight:600}
footer{margin:32px 0 8px;color:#777;font-size:12px}
`.trim();

// Filters rows by the data-* attributes written below; plain DOM API, no framework, no network.
const SCRIPT = `
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=severity]"));
  var search = document.getElementById("q");
  var fixable = document.getElementById("fixable");
  var shown = document.getElementById("shown");
  function apply() {
    var allowed = {};
    boxes.forEach(function (b) { allowed[b.value] = b.checked; });
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var ok = allowed[r.dataset.severity] === true &&
        (!fixable.checked || r.dataset.fixable === "1") &&
        (q === "" || r.dataset.search.indexOf(q) !== -1);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  apply();
})();
`.trim();

/**
 * A self-contained page: the head every Airbag HTML report shares, a Content-Security-Policy that
 * allows only the page's own stylesheet (by hash) plus `csp` extras, and `body`.
 */
export function htmlPage(o: {
  title: string;
  css: string;
  csp?: string[];
  toolVersion: string;
  body: string;
}): string {
  const csp = [
    "default-src 'none'",
    `style-src ${cspHash(o.css)}`,
    ...(o.csp ?? []),
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="generator" content="airbag ${esc(o.toolVersion)}">
<title>${esc(o.title)}</title>
<style>${o.css}</style>
</head>
<body>
${o.body}</body>
</html>
`;
}

export const cspHash = (s: string): string => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;

function barChart(counts: Record<Severity, number>): string {
  const max = Math.max(1, ...SEVERITIES.map((s) => counts[s]));
  const [w, h, top, bottom, bar, gap] = [330, 170, 20, 24, 46, 18];
  const area = h - top - bottom;
  const bars = SEVERITIES.map((s, i) => {
    const x = gap + i * (bar + gap);
    const bh = Math.round((counts[s] / max) * area);
    const y = top + area - bh;
    return (
      `<g><title>${LABEL[s]}: ${counts[s]}</title>` +
      `<rect class="bar-${s}" x="${x}" y="${y}" width="${bar}" height="${bh}" rx="3"></rect>` +
      `<text x="${x + bar / 2}" y="${y - 5}" text-anchor="middle">${counts[s]}</text>` +
      `<text x="${x + bar / 2}" y="${h - 8}" text-anchor="middle">${LABEL[s]}</text></g>`
    );
  });
  const label = SEVERITIES.map((s) => `${LABEL[s]} ${counts[s]}`).join(", ");
  return `<svg class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="Findings by severity: ${esc(label)}">${bars.join("")}</svg>`;
}

const sevBadge = (s: Severity): string =>
  `<span class="sev ${esc(s)}">${Object.hasOwn(LABEL, s) ? LABEL[s] : esc(s)}</span>`;

function refLink(text: string, url: string | undefined): string {
  const safe = webUrl(url);
  return safe ? `<a class="ref" href="${esc(safe)}" rel="noopener noreferrer">${esc(text)}</a>` : esc(text);
}

/** Cells shared by the findings and suppressed tables: what, where, versions. */
function describe(f: Finding, pkgs: Map<string, Package>) {
  if (isVulnerability(f)) {
    const p = pkgs.get(f.package);
    const score = maxCvssScore(f.cvss);
    const badges = [
      f.kev ? `<span class="tag" title="CISA Known Exploited Vulnerabilities">KEV</span>` : "",
      f.epss !== undefined ? `<span class="muted">EPSS ${esc((f.epss * 100).toFixed(1))}%</span> ` : "",
      score !== undefined ? `<span class="muted">CVSS ${esc(score.toFixed(1))}</span>` : "",
    ].join("");
    return {
      id: `${refLink(f.id, f.references[0])}${f.aliases.length ? `<div class="muted">${esc(f.aliases.join(", "))}</div>` : ""}`,
      where: p
        ? `${esc(p.name)}<div class="muted mono">${esc(p.locations[0]?.path ?? "")}</div>`
        : esc(f.package),
      installed: esc(f.installedVersion),
      fixed: esc(f.fixedVersion ?? "—"),
      status: esc(f.status),
      title: `${esc(f.title ?? "")}${badges ? `<div>${badges}</div>` : ""}`,
      search: [f.id, ...f.aliases, p?.name, p?.purl, f.installedVersion, f.fixedVersion, f.title, f.status],
    };
  }
  const detail = [f.match, f.evidence].filter(Boolean).join(" ");
  return {
    id: esc(f.id),
    where:
      `<span class="mono">${esc(locationText(f) || "image configuration")}</span>` +
      (f.deleted
        ? `<div class="muted">deleted by a later layer, still in layer <span class="mono">${esc(f.location?.layer ?? "?")}</span></div>`
        : ""),
    installed: "—",
    fixed: "—",
    status: "—",
    title: `${esc(f.title ?? "")}${detail ? `<div class="mono muted">${esc(detail)}</div>` : ""}`,
    search: [f.id, f.kind, locationText(f), f.title, f.match, f.evidence],
  };
}

function findingsTable(report: Report, pkgs: Map<string, Package>, counts: Record<Severity, number>): string {
  const findings = [...report.findings].sort(compareFindings);
  const boxes = SEVERITIES.map(
    (s) =>
      `<label><input type="checkbox" name="severity" value="${s}" checked> ${LABEL[s]} (${counts[s]})</label>`,
  ).join("");
  const rows = findings.map((f) => {
    const d = describe(f, pkgs);
    const fixable = isVulnerability(f) && f.fixedVersion ? "1" : "0";
    const search = d.search.filter(Boolean).join(" ").toLowerCase();
    return (
      `<tr data-severity="${esc(f.severity)}" data-fixable="${fixable}" data-search="${esc(search)}">` +
      `<td>${sevBadge(f.severity)}</td><td class="mono id">${d.id}</td><td>${esc(f.kind)}</td><td>${d.where}</td>` +
      `<td class="mono">${d.installed}</td><td class="mono">${d.fixed}</td><td>${d.status}</td><td>${d.title}</td></tr>`
    );
  });
  const empty = findings.length === 0 ? `<p class="empty">No vulnerabilities found.</p>` : "";
  return `<h2>Findings</h2>
<form class="filters" id="filters" role="search">
<fieldset><legend>Severity</legend>${boxes}</fieldset>
<label>Search <input type="search" id="q" placeholder="CVE, package, path…" autocomplete="off"></label>
<label><input type="checkbox" id="fixable"> Only fixable</label>
<output id="shown">${findings.length} of ${findings.length} shown</output>
</form>${empty}
<table id="findings"><thead><tr><th>Severity</th><th>ID</th><th>Kind</th><th>Package / location</th><th>Installed</th><th>Fixed</th><th>Status</th><th>Title</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>`;
}

function suppressedTable(report: Report, pkgs: Map<string, Package>): string {
  if (report.suppressed.length === 0) return "";
  const rows = report.suppressed.map(({ finding, reason }) => {
    const d = describe(finding, pkgs);
    return `<tr><td>${sevBadge(finding.severity)}</td><td class="mono id">${d.id}</td><td>${d.where}</td><td>${esc(reason)}</td></tr>`;
  });
  return `<h2>Suppressed (${report.suppressed.length})</h2>
<table id="suppressed"><thead><tr><th>Severity</th><th>ID</th><th>Package / location</th><th>Reason</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>`;
}

function inventoryTable(report: Report): string {
  const perPackage = new Map<string, number>();
  for (const f of report.findings)
    if (isVulnerability(f)) perPackage.set(f.package, (perPackage.get(f.package) ?? 0) + 1);
  const rows = sortedPackages(report.packages).map(
    (p) =>
      `<tr><td>${esc(p.name)}</td><td class="mono">${esc(p.version)}</td><td>${esc(p.type)}</td><td>${esc(p.ecosystem)}</td>` +
      `<td class="mono">${esc(p.locations.map((l) => l.path).join(", "))}</td><td>${esc(p.licenses.join(", "))}</td>` +
      `<td>${perPackage.get(p.id) ?? 0}</td></tr>`,
  );
  return `<h2>Packages</h2>
<details id="inventory"><summary>Package inventory (${report.packages.length})</summary>
<table><thead><tr><th>Name</th><th>Version</th><th>Type</th><th>Ecosystem</th><th>Location</th><th>Licenses</th><th>Findings</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table></details>`;
}

function metaList(report: Report, opts: RenderOptions): string {
  const t = report.target;
  const db = report.metadata.db as { builtAt?: unknown } | undefined;
  const items: [string, string | undefined][] = [
    ["Kind", t.kind],
    ["Digest", t.digest],
    ["OS", osLine(report)],
    ["Packages", String(report.packages.length)],
    ["Generated", (opts.now ?? new Date()).toISOString()],
    ["Database", typeof db?.builtAt === "string" ? `built ${db.builtAt}` : undefined],
    ["Duration", `${(report.metadata.durationMs / 1000).toFixed(1)} s`],
  ];
  return definitionList(items);
}

/** A `<dl class="meta">` of label → value, leaving out the unknown values. */
export function definitionList(items: [string, string | undefined][]): string {
  return `<dl class="meta">${items
    .filter((i): i is [string, string] => !!i[1])
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join("")}</dl>`;
}

export function renderReportHtml(report: Report, opts: RenderOptions): string {
  const pkgs = packageIndex(report.packages);
  const counts = summarize(report.findings);
  const cards = [
    ...SEVERITIES.map(
      (s) =>
        `<div class="card ${s}"><span class="n">${counts[s]}</span><span class="l">${LABEL[s]}</span></div>`,
    ),
    `<div class="card suppressed"><span class="n">${report.suppressed.length}</span><span class="l">Suppressed</span></div>`,
  ].join("");
  const warnings = report.warnings?.length
    ? `<details><summary>Warnings (${report.warnings.length})</summary><ul>${report.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></details>`
    : "";
  return htmlPage({
    title: `Airbag report: ${report.target.name}`,
    css: CSS,
    csp: [`script-src ${cspHash(SCRIPT)}`, "img-src data:"],
    toolVersion: opts.toolVersion,
    body: `<header>
<h1>Airbag scan report</h1>
<p class="target">${esc(report.target.name)}</p>
${metaList(report, opts)}
</header>
<h2>Summary</h2>
<section class="overview"><div class="cards">${cards}</div>${barChart(counts)}</section>
${findingsTable(report, pkgs, counts)}
${suppressedTable(report, pkgs)}
${inventoryTable(report)}
${warnings}
<footer>Generated by airbag ${esc(opts.toolVersion)}. This file loads nothing from the network.</footer>
<script>${SCRIPT}</script>
`,
  });
}

export const reportHtmlFormat: ReportFormatter = { name: "html", render: renderReportHtml };
