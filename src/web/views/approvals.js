import { useState } from "preact/hooks";
import { api } from "../api.js";
import { DECIDING_ROLES, html, itemsOf, pending, SeverityBadge, Time, useApi } from "../lib.js";
import { navigate } from "../router.js";

/**
 * Actions waiting for a human. Operators and admins approve or deny (the agent that asked carries the
 * decision out); viewers see the queue without the buttons. The server enforces the same rule.
 * @param {{ session: import("../api.js").Session, query: URLSearchParams }} p
 */
export function ApprovalsView({ session, query }) {
  const state = query.get("state") ?? "pending";
  const r = useApi(`/approvals${state === "all" ? "" : `?state=${encodeURIComponent(state)}`}`);
  const canDecide = DECIDING_ROLES.includes(session.role);
  const wait = pending(r);
  const rows = itemsOf(r.data);
  return html`
    <h1>Approvals</h1>
    <form class="filters" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()}>
      <label>State
        <select name="state" value=${state} onChange=${(/** @type {any} */ e) => navigate(["approvals"], { state: e.currentTarget.value })}>
          ${["pending", "approved", "denied", "expired", "all"].map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
    </form>
    ${!canDecide && html`<p class="muted" data-testid="read-only">Your role (${session.role}) can view approvals but not decide them.</p>`}
    ${
      wait ??
      (rows.length === 0
        ? html`<p class="muted">No ${state === "all" ? "" : state} approvals.</p>`
        : html`<ul class="approvals">${rows.map(
            (a) =>
              html`<${ApprovalCard} key=${a.id} approval=${a} canDecide=${canDecide} onDecided=${r.reload} />`,
          )}</ul>`)
    }
  `;
}

/** @param {{ approval: any, canDecide: boolean, onDecided: () => void }} p */
function ApprovalCard({ approval: a, canDecide, onDecided }) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const d = a.detection ?? {};

  /** @param {"approve" | "deny"} verdict */
  const decide = async (verdict) => {
    setBusy(true);
    setError("");
    try {
      await api(
        "POST",
        `/approvals/${encodeURIComponent(a.id)}/${verdict}`,
        reason.trim() ? { reason: reason.trim() } : {},
      );
      onDecided();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };

  return html`
    <li class="approval" data-approval=${a.id} data-state=${a.state}>
      <header>
        <${SeverityBadge} severity=${d.severity} />
        <strong>${d.title ?? d.id}</strong>
        <span class="muted"> on ${a.host} · rule ${a.rule} · ${a.state}</span>
      </header>
      <p>Container <code>${d.container?.name}</code> (${d.container?.image}): ${d.evidence}</p>
      <p>Wants: ${(a.actions ?? []).map((/** @type {any} */ x) => html`<span class="tag">${x.type}</span> `)}
        <span class="muted">requested <${Time} iso=${a.requestedAt} />; expires <${Time} iso=${a.expiresAt} /> (then ${a.onTimeout})</span></p>
      ${a.decision && html`<p>${a.decision.verdict === "approve" ? "Approved" : "Denied"} by ${a.decision.by}${a.decision.reason ? `: ${a.decision.reason}` : ""}</p>`}
      ${
        canDecide &&
        a.state === "pending" &&
        html`
        <div class="decide">
          <input type="text" placeholder="reason (optional)" aria-label="Reason" value=${reason}
            onInput=${(/** @type {any} */ e) => setReason(e.currentTarget.value)} />
          <button type="button" class="approve" disabled=${busy} onClick=${() => decide("approve")}>Approve</button>
          <button type="button" class="deny" disabled=${busy} onClick=${() => decide("deny")}>Deny</button>
        </div>`
      }
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </li>
  `;
}
