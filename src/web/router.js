import { useEffect, useState } from "preact/hooks";

/**
 * Hash routing (#/images/sha256:…?severity=high): no server routes per view, reload-safe, and
 * filters live in the URL so a view can be linked to.
 * @typedef {{ parts: string[], query: URLSearchParams }} Route
 */

/** @param {string} hash @returns {Route} */
export function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

/** @param {string[]} parts @param {Record<string, string | undefined>} [query] */
export function href(parts, query = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) qs.set(k, v);
  const s = qs.toString();
  return `#/${parts.map(encodeURIComponent).join("/")}${s ? `?${s}` : ""}`;
}

/** @param {string[]} parts @param {Record<string, string | undefined>} [query] */
export function navigate(parts, query) {
  window.location.hash = href(parts, query);
}

/** The current route, re-rendering on hashchange. @returns {Route} */
export function useRoute() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return parseHash(hash);
}
