import { html, itemsOf, pending, SEVERITIES, SeverityCounts, Time, useApi } from "../lib.js";
import { href } from "../router.js";

/**
 * The first screen: is the vulnerability DB fresh, how much is there, what waits for a human, and each
 * host's latest CIS Docker Benchmark score.
 */

const PAGE = 500;

export function OverviewView() {
  const status = useApi("/status");
  const images = useApi(`/images?limit=${PAGE}`);
  const hosts = useApi("/hosts");
  const approvals = useApi("/approvals?state=pending");
  const bench = useApi("/bench");
  const imageList = itemsOf(images.data);
  const hostList = itemsOf(hosts.data);
  /** @type {Record<string, number>} */
  const totals = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const img of imageList)
    for (const s of SEVERITIES) totals[s] = (totals[s] ?? 0) + (img.summary?.[s] ?? 0);
  const containers = hostList.reduce((n, h) => n + (h.containers?.length ?? 0), 0);
  const pendingCount = itemsOf(approvals.data).length;

  return html`
    <h1>Overview</h1>
    <section class="cards">
      <div class="card" data-testid="db-freshness"><h2>Vulnerability DB</h2>${pending(status) ?? html`<${DbFreshness} db=${status.data.db} />`}</div>
      <div class="card"><h2>Images</h2>
        <p class="big" data-testid="count-images"><a href=${href(["images"])}>${images.data ? `${imageList.length}${imageList.length >= PAGE ? "+" : ""}` : "…"}</a></p>
        <${SeverityCounts} summary=${totals} /></div>
      <div class="card"><h2>Hosts</h2>
        <p class="big" data-testid="count-hosts"><a href=${href(["hosts"])}>${hosts.data ? hostList.length : "…"}</a></p>
        <p class="muted">${containers} running container${containers === 1 ? "" : "s"}</p></div>
      <div class="card"><h2>Pending approvals</h2>
        <p class="big" data-testid="count-approvals"><a href=${href(["approvals"])}>${approvals.data ? pendingCount : "…"}</a></p></div>
    </section>
    <h2>CIS Docker Benchmark</h2>
    ${pending(bench) ?? html`<${BenchTable} records=${itemsOf(bench.data)} />`}
    ${status.data && html`<p class="muted small">Airbag ${status.data.version} · store ${status.data.store} · queue ${status.data.queue}</p>`}
  `;
}

/** @param {{ db: any }} p */
function DbFreshness({ db }) {
  if (!db || db.missing)
    return html`<p class="error">No database${db?.missing ? ` at ${db.missing}` : ""}: run <code>airbag db update</code>.</p>`;
  const sources = Object.keys(db.sources ?? {});
  return html`
    <p class=${db.stale ? "big stale" : "big fresh"} data-stale=${String(Boolean(db.stale))}>${db.stale ? "stale" : "fresh"}</p>
    <p>built <${Time} iso=${db.builtAt} />${db.checkedAt && html`, checked <${Time} iso=${db.checkedAt} />`}</p>
    <p class="muted small">${sources.length} source${sources.length === 1 ? "" : "s"}: ${sources.join(", ")}</p>
  `;
}

/** Latest record per host (the API lists newest first). @param {{ records: any[] }} p */
function BenchTable({ records }) {
  /** @type {Map<string, any>} */
  const latest = new Map();
  for (const r of records) {
    const seen = latest.get(r.host);
    if (!seen || Date.parse(r.at) > Date.parse(seen.at)) latest.set(r.host, r);
  }
  if (latest.size === 0) return html`<p class="muted">No benchmark results yet.</p>`;
  return html`
    <table class="bench" data-testid="bench-table">
      <thead><tr><th>Host</th><th>Score</th><th>Passed</th><th>Findings</th><th>When</th></tr></thead>
      <tbody>
        ${[...latest.values()].map(
          (r) => html`
            <tr key=${r.host} data-host=${r.host}>
              <td>${r.host}</td>
              <td>${r.score}</td>
              <td><meter min="0" max="100" value=${r.percent}></meter> ${Math.round(r.percent)} %</td>
              <td><${SeverityCounts} summary=${r.summary} /></td>
              <td><${Time} iso=${r.at} /></td>
            </tr>`,
        )}
      </tbody>
    </table>
  `;
}
