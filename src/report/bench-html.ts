import type { BenchReport, BenchResult, CheckResult } from "../bench/types.js";
import { SEVERITIES, type Severity } from "../model/index.js";
import type { BenchFormatter, ResolvedBenchOptions } from "./bench-format.js";
import { checksBySection, RESULT_ORDER, runtimeFindings, scoreLine } from "./bench-summary.js";
import { definitionList, esc, htmlPage } from "./report-html.js";
import { maxCvssScore, webUrl } from "./summary.js";

/**
 * `airbag bench --format html`: one self-contained page (CI artefact, audit evidence). No script and no
 * network at all: inline CSS pinned by its hash in a Content-Security-Policy, so even markup that slipped
 * past escaping could neither run nor load anything. Every value from the engine or host (container and
 * image names, paths, evidence) goes through `esc`; links only for http(s) advisory references.
 */

const CSS = `
:root{--fail:#b71c1c;--warn:#b7950b;--pass:#2e7d32;--info:#1565c0;--skip:#757575;--line:#ddd}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:16px 24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;color:#444}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{min-width:104px;padding:10px 14px;border-radius:6px;background:#fff;border:1px solid var(--line);border-top:5px solid var(--skip)}
.card .n{display:block;font-size:26px;font-weight:700}.card .l{color:#555}
.card.score{border-top-color:#222}.card.pass{border-top-color:var(--pass)}.card.fail{border-top-color:var(--fail)}
.card.warn{border-top-color:var(--warn)}.card.info{border-top-color:var(--info)}
p.score{font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff;margin-top:8px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:#f0f0f0}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
td.id{white-space:nowrap}
.res{display:inline-block;min-width:46px;text-align:center;padding:1px 6px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.res.fail{background:var(--fail)}.res.warn{background:var(--warn)}.res.pass{background:var(--pass)}
.res.info{background:var(--info)}.res.skip{background:var(--skip)}
.sev{font-weight:600}.sev.critical,.sev.high{color:var(--fail)}.sev.medium{color:var(--warn)}
.muted{color:#666;font-size:12px}
ul.items{margin:4px 0 0;padding-left:18px}ul.items li{margin:2px 0}
details summary{cursor:pointer}
.empty{padding:12px;background:#e8f5e9;border:1px solid #a5d6a7;border-radius:6px}
footer{margin:32px 0 8px;color:#777;font-size:12px}
`.trim();

const badge = (r: BenchResult): string => `<span class="res ${esc(r)}">${esc(r.toUpperCase())}</span>`;
const sev = (s: Severity): string => `<span class="sev ${esc(s)}">${esc(s)}</span>`;

function refLink(text: string, url: string | undefined): string {
  const safe = webUrl(url);
  return safe ? `<a class="ref" href="${esc(safe)}" rel="noopener noreferrer">${esc(text)}</a>` : esc(text);
}

function itemsList(k: CheckResult): string {
  if (k.items.length === 0) return "";
  const bad = k.items.filter((i) => i.result !== "pass").length;
  const rows = k.items.map(
    (i) => `<li>${badge(i.result)} <span class="mono">${esc(i.subject)}</span> — ${esc(i.evidence)}</li>`,
  );
  // open where there is something to act on
  const open = k.result === "fail" || k.result === "warn" ? " open" : "";
  return `<details${open}><summary>${k.items.length} ${k.items.length === 1 ? "subject" : "subjects"}, ${bad} not passing</summary><ul class="items">${rows.join("")}</ul></details>`;
}

function checkRow(k: CheckResult): string {
  const kind = k.scored ? "Automated" : "Manual";
  const other = Object.entries(k.otherIds ?? {})
    .map(([release, id]) => `${id} in ${release}`)
    .join(", ");
  return (
    `<tr class="check ${esc(k.result)}" id="check-${esc(k.id)}"><td class="mono id">${esc(k.id)}</td><td>${badge(k.result)}</td>` +
    `<td>${esc(k.title)}<div class="muted">Level ${esc(k.level)} · ${kind}${other ? ` · ${esc(other)}` : ""}</div>` +
    `<div class="mono">${esc(k.evidence)}</div>${itemsList(k)}</td>` +
    `<td>${sev(k.severity)}</td><td>${esc(k.remediation)}</td></tr>`
  );
}

function sectionTables(report: BenchReport): string {
  const groups = checksBySection(report.checks);
  if (groups.length === 0) return `<p class="empty">No checks ran.</p>`;
  return groups
    .map(
      (g) => `<h2>${esc(g.heading)}</h2>
<table class="checks"><thead><tr><th>ID</th><th>Result</th><th>Check</th><th>Severity</th><th>Remediation</th></tr></thead>
<tbody>
${g.checks.map(checkRow).join("\n")}
</tbody></table>`,
    )
    .join("\n");
}

function componentsTable(report: BenchReport): string {
  if (report.components.length === 0) return "";
  const active = report.findings;
  const rows = report.components.map((k) => {
    const n = active.filter((f) => f.package === k.name).length;
    return (
      `<tr><td>${esc(k.name)}${k.product ? ` <span class="muted">(${esc(k.product)})</span>` : ""}</td>` +
      `<td class="mono">${esc(k.version)}</td><td class="mono">${esc(k.commit ?? "—")}</td><td>${esc(k.source)}</td><td>${n}</td></tr>`
    );
  });
  return `<h2>Runtime components</h2>
<table id="components"><thead><tr><th>Component</th><th>Version</th><th>Commit</th><th>Read from</th><th>Vulnerabilities</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>`;
}

function vulnerabilityTables(report: BenchReport): string {
  const all = runtimeFindings(report);
  const row = ({ finding: f, reason }: (typeof all)[number]): string => {
    const score = maxCvssScore(f.cvss);
    return (
      `<tr><td>${sev(f.severity)}</td><td class="mono">${refLink(f.id, f.references[0])}` +
      `${f.aliases.length ? `<div class="muted">${esc(f.aliases.join(", "))}</div>` : ""}</td>` +
      `<td>${esc(f.package)}</td><td class="mono">${esc(f.installedVersion)}</td><td class="mono">${esc(f.fixedVersion ?? "—")}</td>` +
      `<td>${esc(f.title ?? "")}${score !== undefined ? ` <span class="muted">CVSS ${esc(score.toFixed(1))}</span>` : ""}` +
      `${f.kev ? ` <span class="muted">KEV</span>` : ""}</td>${reason !== undefined ? `<td>${esc(reason)}</td>` : ""}</tr>`
    );
  };
  const head = `<th>Severity</th><th>ID</th><th>Component</th><th>Installed</th><th>Fixed</th><th>Title</th>`;
  const active = all.filter((e) => e.reason === undefined);
  const suppressed = all.filter((e) => e.reason !== undefined);
  const main = active.length
    ? `<table id="vulnerabilities"><thead><tr>${head}</tr></thead><tbody>\n${active.map(row).join("\n")}\n</tbody></table>`
    : `<p class="empty">${report.components.length ? "No known vulnerabilities in the runtime components." : "No runtime component versions were found."}</p>`;
  const supp = suppressed.length
    ? `<h2>Suppressed (${suppressed.length})</h2>
<table id="suppressed"><thead><tr>${head}<th>Reason</th></tr></thead><tbody>\n${suppressed.map(row).join("\n")}\n</tbody></table>`
    : "";
  return `<h2>Runtime vulnerabilities</h2>\n${main}\n${supp}`;
}

function metaList(report: BenchReport, opts: ResolvedBenchOptions): string {
  const t = report.target;
  const items: [string, string | undefined][] = [
    ["Benchmark", `${report.benchmark.name} ${report.benchmark.version}`],
    ["Engine", [t.product, t.engineVersion].filter(Boolean).join(" ") || undefined],
    ["Endpoint", t.engine],
    ["Host", t.hostname],
    ["Mode", t.offline ? "offline (decided from files, no engine)" : "live engine"],
    ["Generated", (opts.now ?? new Date()).toISOString()],
    ["Duration", `${(report.metadata.durationMs / 1000).toFixed(1)} s`],
  ];
  return definitionList(items);
}

export function renderBenchHtml(report: BenchReport, opts: ResolvedBenchOptions): string {
  const { score, percent, counts } = report.score;
  const cards = [
    `<div class="card score"><span class="n">${esc(score)}</span><span class="l">Score (${esc(percent)}%)</span></div>`,
    ...RESULT_ORDER.map(
      (r) =>
        `<div class="card ${r}"><span class="n">${esc(counts[r] ?? 0)}</span><span class="l">${r}</span></div>`,
    ),
  ].join("");
  const bySeverity = SEVERITIES.map((s) => `${s} ${report.summary[s] ?? 0}`).join(", ");
  const warnings = report.metadata.warnings.length
    ? `<h2>Warnings</h2><ul>${report.metadata.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>`
    : "";
  const title = report.target.hostname || report.target.engine || "offline";
  return htmlPage({
    title: `Airbag bench: ${title}`,
    css: CSS,
    toolVersion: opts.toolVersion,
    body: `<header>
<h1>Airbag CIS Docker Benchmark report</h1>
${metaList(report, opts)}
</header>
<h2>Summary</h2>
<section class="cards">${cards}</section>
<p class="score">${esc(scoreLine(report))}</p>
<p class="muted">Failed checks and runtime vulnerabilities by severity: ${esc(bySeverity)}</p>
${sectionTables(report)}
${componentsTable(report)}
${vulnerabilityTables(report)}
${warnings}
<footer>Generated by airbag ${esc(opts.toolVersion)}. This file loads nothing from the network and runs no script.</footer>
`,
  });
}

export const benchHtmlFormat: BenchFormatter = { name: "html", render: renderBenchHtml };
