import {
  html,
  itemsOf,
  pending,
  SeverityBadge,
  SeverityCounts,
  shortDigest,
  Time,
  useApi,
  worstSeverity,
} from "../lib.js";
import { href } from "../router.js";

/**
 * Running containers per host, as the hosts' agents last reported them, each with the risk of its image:
 * the stored scan with the same digest (or, failing that, one seen under the same reference).
 */

/** @param {any[]} scans */
export function scanIndex(scans) {
  /** @type {Map<string, any>} */
  const byDigest = new Map();
  /** @type {Map<string, any>} */
  const byRef = new Map();
  for (const s of scans) {
    byDigest.set(s.digest, s);
    // newest first from the API: the first scan seen under a reference is the current one
    for (const ref of s.refs ?? []) if (!byRef.has(ref)) byRef.set(ref, s);
  }
  /** @param {any} c a FleetContainer */
  return (c) => (c.imageDigest && byDigest.get(c.imageDigest)) || byRef.get(c.image);
}

export function HostsView() {
  const hosts = useApi("/hosts");
  const images = useApi("/images?limit=500");
  const wait = pending(hosts) ?? pending(images);
  if (wait) return html`<h1>Hosts</h1>${wait}`;
  const list = itemsOf(hosts.data);
  const scanOf = scanIndex(itemsOf(images.data));
  return html`
    <h1>Hosts</h1>
    ${list.length === 0 && html`<p class="muted">No agent has reported yet.</p>`}
    ${list.map((h) => html`<${HostCard} key=${h.host} host=${h} scanOf=${scanOf} />`)}
  `;
}

/** @param {{ host: any, scanOf: (c: any) => any }} p */
function HostCard({ host, scanOf }) {
  const containers = host.containers ?? [];
  return html`
    <section class="host" data-host=${host.host}>
      <h2>${host.host}</h2>
      <p class="muted">
        ${containers.length} container${containers.length === 1 ? "" : "s"} · last seen <${Time} iso=${host.lastSeen} />
        ${host.agentVersion && ` · agent ${host.agentVersion}`}
      </p>
      ${
        containers.length > 0 &&
        html`
        <table class="containers">
          <thead><tr><th>Container</th><th>Image</th><th>State</th><th>Risk</th><th>Findings</th></tr></thead>
          <tbody>
            ${containers.map((c) => {
              const scan = scanOf(c);
              const worst = worstSeverity(scan?.summary);
              return html`
                <tr key=${c.id} data-container=${c.name}>
                  <td>${c.name}${c.privileged ? html` <span class="tag danger">privileged</span>` : ""}</td>
                  <td>${scan ? html`<a href=${href(["images", scan.digest])}>${c.image}</a>` : c.image}
                    ${c.imageDigest && html` <code class="muted" title=${c.imageDigest}>${shortDigest(c.imageDigest)}</code>`}</td>
                  <td>${c.state}</td>
                  <td>${!scan ? html`<span class="muted">not scanned</span>` : worst ? html`<${SeverityBadge} severity=${worst} />` : "clean"}</td>
                  <td>${scan && html`<${SeverityCounts} summary=${scan.summary} />`}</td>
                </tr>`;
            })}
          </tbody>
        </table>`
      }
    </section>
  `;
}
