import { html, pending, SEVERITIES, SeverityBadge, SeverityCounts, Time, useApi } from "../lib.js";
import { href } from "../router.js";

/**
 * One stored scan with its report: every finding, worst first, with the package it is about.
 * @param {{ digest: string }} p
 */
export function ImageDetailView({ digest }) {
  const r = useApi(`/images/${encodeURIComponent(digest)}`);
  const wait = pending(r);
  if (wait) return html`<p><a href=${href(["images"])}>← Images</a></p>${wait}`;
  const scan = r.data;
  const report = scan.report;
  /** @type {Map<string, any>} */
  const packages = new Map((report?.packages ?? []).map((/** @type {any} */ p) => [p.id, p]));
  const findings = [...(report?.findings ?? [])].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || String(a.id).localeCompare(b.id),
  );
  return html`
    <p><a href=${href(["images"])}>← Images</a></p>
    <h1>${scan.refs?.[0] ?? scan.digest}</h1>
    <dl class="facts">
      <dt>Digest</dt><dd><code>${scan.digest}</code></dd>
      ${scan.refs?.length > 1 && html`<dt>Also seen as</dt><dd>${scan.refs.slice(1).join(", ")}</dd>`}
      <dt>Scanned</dt><dd><${Time} iso=${scan.scannedAt} /></dd>
      ${report?.target?.os && html`<dt>OS</dt><dd>${report.target.os.family} ${report.target.os.version ?? ""}</dd>`}
      <dt>Findings</dt><dd><${SeverityCounts} summary=${scan.summary} /></dd>
      ${report?.suppressed?.length > 0 && html`<dt>Suppressed</dt><dd>${report.suppressed.length}</dd>`}
    </dl>
    ${
      !report
        ? html`<p class="muted">The full report is not stored for this image.</p>`
        : findings.length === 0
          ? html`<p class="muted">No findings.</p>`
          : html`
            <table class="findings" data-testid="findings-table">
              <thead><tr><th>Severity</th><th>Kind</th><th>ID</th><th>Package / location</th><th>Installed</th><th>Fixed</th><th>Title</th></tr></thead>
              <tbody>${findings.map((f, i) => html`<${FindingRow} key=${i} finding=${f} packages=${packages} />`)}</tbody>
            </table>`
    }
  `;
}

/** @param {{ finding: any, packages: Map<string, any> }} p */
function FindingRow({ finding: f, packages }) {
  const pkg = f.kind === "vulnerability" ? packages.get(f.package) : undefined;
  const where = pkg
    ? `${pkg.name}`
    : (f.location?.path ?? f.field ?? (f.kind === "vulnerability" ? f.package : ""));
  return html`
    <tr data-severity=${f.severity}>
      <td><${SeverityBadge} severity=${f.severity} /></td>
      <td>${f.kind}</td>
      <td><code>${f.id}</code>${f.kev ? html` <span class="tag" title="CISA known exploited">KEV</span>` : ""}</td>
      <td>${where}${f.deleted ? html` <span class="tag">deleted</span>` : ""}</td>
      <td>${f.installedVersion ?? ""}</td>
      <td>${f.fixedVersion ?? (f.status && f.status !== "fixed" ? f.status : "")}</td>
      <td>${f.title ?? f.match ?? f.evidence ?? ""}</td>
    </tr>
  `;
}
