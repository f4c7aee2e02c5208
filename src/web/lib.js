import htm from "htm";
import { h } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { api } from "./api.js";

/**
 * What every view shares: the `html` template tag (preact escapes every interpolated value, so server
 * data can never become markup), a data-loading hook, severity badges and time formatting.
 */

export const html = htm.bind(h);

export const SEVERITIES = ["critical", "high", "medium", "low", "unknown"];

/** Roles allowed to approve or deny (BRIEF: operator approves actions, admin may too). */
export const DECIDING_ROLES = ["operator", "admin"];

/**
 * GET `path` from the API whenever it changes; `reload()` fetches again.
 * @param {string | undefined} path undefined = do not fetch (yet)
 */
export function useApi(path) {
  const [state, setState] = useState(
    /** @type {{ data?: any, error?: string, loading: boolean }} */ ({ loading: true }),
  );
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api("GET", path).then(
      (data) => live && setState({ data, loading: false }),
      (e) => live && setState({ error: String(e.message ?? e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** `{ items: [...] }` lists, tolerating a bare array. @param {any} data @returns {any[]} */
export const itemsOf = (data) => (Array.isArray(data) ? data : Array.isArray(data?.items) ? data.items : []);

/** @param {{ severity: string, count?: number }} p */
export function SeverityBadge({ severity, count }) {
  const s = SEVERITIES.includes(severity) ? severity : "unknown";
  return html`<span class=${`sev sev-${s}`} data-severity=${s}>${count === undefined ? s : `${s} ${count}`}</span>`;
}

/** Non-zero counts as badges, worst first; "none" when clean. @param {{ summary?: Record<string, number> }} p */
export function SeverityCounts({ summary }) {
  const present = SEVERITIES.filter((s) => (summary?.[s] ?? 0) > 0);
  if (present.length === 0) return html`<span class="muted">none</span>`;
  return html`<span class="sev-counts">${present.map((s) => html`<${SeverityBadge} severity=${s} count=${summary?.[s]} />`)}</span>`;
}

/** Worst severity with a non-zero count, or undefined. @param {Record<string, number> | undefined} summary */
export const worstSeverity = (summary) => SEVERITIES.find((s) => (summary?.[s] ?? 0) > 0);

/** "3 h ago" / "in 15 min" style distance of an ISO time from now. @param {string | undefined} iso */
export function age(iso) {
  if (!iso) return "never";
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const min = Math.round(Math.abs(ms) / 60000);
  if (min < 1) return "just now";
  const hours = Math.round(min / 60);
  const span = min < 60 ? `${min} min` : hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
  return ms >= 0 ? `${span} ago` : `in ${span}`;
}

/** @param {{ iso?: string }} p */
export const Time = ({ iso }) => html`<time datetime=${iso} title=${iso}>${age(iso)}</time>`;

/** `sha256:abcdef…` shortened for tables (full value in the title). @param {string | undefined} digest */
export const shortDigest = (digest) =>
  digest ? digest.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/, "$1$2") : "";

/** Loading / error placeholder for a `useApi` result; undefined when the data is there. @param {{ loading: boolean, error?: string, data?: any }} r */
export function pending(r) {
  if (r.error) return html`<p class="error" role="alert">${r.error}</p>`;
  if (r.data === undefined) return html`<p class="muted">Loading…</p>`;
  return undefined;
}
