import { html, itemsOf, pending, SeverityBadge, Time, useApi } from "../lib.js";

/** Alerts the agents' policies raised, newest first. */
export function AlertsView() {
  const r = useApi("/alerts");
  const wait = pending(r);
  if (wait) return html`<h1>Alerts</h1>${wait}`;
  const alerts = itemsOf(r.data);
  return html`
    <h1>Alerts</h1>
    ${
      alerts.length === 0
        ? html`<p class="muted">No alerts.</p>`
        : html`
      <table class="alerts" data-testid="alerts-table">
        <thead><tr><th>When</th><th>Host</th><th>Severity</th><th>Rule</th><th>Summary</th><th>Actions</th></tr></thead>
        <tbody>
          ${alerts.map(
            (a) => html`
              <tr key=${a.id}>
                <td><${Time} iso=${a.at ?? a.alert?.time} /></td>
                <td>${a.host}</td>
                <td><${SeverityBadge} severity=${a.alert?.severity} /></td>
                <td>${a.alert?.rule} <span class="muted">(${a.alert?.mode})</span></td>
                <td>${a.alert?.summary}${a.alert?.count > 1 ? html` <span class="tag">×${a.alert.count}</span>` : ""}</td>
                <td>${(a.alert?.actions ?? []).map(
                  (/** @type {any} */ o) =>
                    html`<span class=${`tag status-${o.status}`} title=${o.detail}>${o.type}: ${o.status}</span> `,
                )}
                  ${a.alert?.approval && html`<span class="tag">approval ${a.alert.approval.state}</span>`}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  `;
}
