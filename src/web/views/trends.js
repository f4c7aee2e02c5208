import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { html, itemsOf, pending, SEVERITIES, useApi } from "../lib.js";

/**
 * Findings per day by severity over the last 30 days, as stacked lines: each band is one severity, the
 * top line is the total. uPlot does not stack by itself, so the series carry running sums while the
 * legend shows each day's own count.
 */

const DAYS = 30;
const COLORS = {
  critical: "#b3123a",
  high: "#e4572e",
  medium: "#e8a33d",
  low: "#4f86c6",
  unknown: "#8a8f98",
};

export function TrendsView() {
  const r = useApi(`/trends?days=${DAYS}`);
  const wait = pending(r);
  return html`
    <h1>Severity trends <span class="muted">(last ${DAYS} days)</span></h1>
    ${wait ?? html`<${TrendChart} points=${itemsOf(r.data)} />`}
  `;
}

/** Running sums, bottom band first: unknown, low, …, critical (the total). @param {any[]} points */
export function stack(points) {
  const x = points.map((p) => Date.parse(`${p.day}T00:00:00Z`) / 1000);
  const bottomUp = [...SEVERITIES].reverse();
  /** @type {Record<string, number[]>} */
  const raw = {};
  /** @type {Record<string, number[]>} */
  const summed = {};
  const running = points.map(() => 0);
  for (const s of bottomUp) {
    raw[s] = points.map((p) => p.counts?.[s] ?? 0);
    summed[s] = raw[s].map((v, i) => (running[i] = (running[i] ?? 0) + v));
  }
  return { x, raw, summed };
}

/** The box's inner width (uPlot sizes the canvas, the box keeps its padding). @param {HTMLElement} el */
const chartWidth = (el) => Math.max(320, el.clientWidth - 16);

/** @param {{ points: any[] }} p */
function TrendChart({ points }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    const { x, raw, summed } = stack(points);
    const topDown = SEVERITIES;
    const plot = new uPlot(
      {
        width: chartWidth(el),
        height: 320,
        scales: { x: { time: true } },
        axes: [{}, { label: "findings" }],
        // each severity fills only the band between its line and the one below it
        bands: topDown.slice(0, -1).map((_, i) => ({ series: [i + 1, i + 2] })),
        series: [
          {},
          ...topDown.map((s) => ({
            label: s,
            stroke: COLORS[/** @type {keyof COLORS} */ (s)],
            fill: `${COLORS[/** @type {keyof COLORS} */ (s)]}55`,
            width: 2,
            value: (
              /** @type {unknown} */ _u,
              /** @type {number | null} */ _v,
              /** @type {number} */ _si,
              /** @type {number | null} */ idx,
            ) => (idx == null ? "—" : String(raw[s]?.[idx] ?? 0)),
          })),
        ],
      },
      [x, ...topDown.map((s) => summed[s] ?? [])],
      el,
    );
    const onResize = () => plot.setSize({ width: chartWidth(el), height: 320 });
    window.addEventListener("resize", onResize);
    return () => {
      window.removeEventListener("resize", onResize);
      plot.destroy();
    };
  }, [points]);
  if (points.length === 0) return html`<p class="muted">No scans in this period.</p>`;
  return html`<div class="chart" ref=${box} data-testid="trend-chart"></div>`;
}
