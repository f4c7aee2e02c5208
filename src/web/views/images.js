import { useEffect, useRef, useState } from "preact/hooks";
import { html, itemsOf, pending, SeverityCounts, shortDigest, Time, useApi } from "../lib.js";
import { href, navigate } from "../router.js";

/**
 * Every stored scan, newest first, filtered on the server: `severity` keeps images with a finding at or
 * above it, `ref` matches the references an image was seen under. Filters live in the hash.
 * @param {{ query: URLSearchParams }} p
 */
export function ImagesView({ query }) {
  const severity = query.get("severity") ?? "";
  const ref = query.get("ref") ?? "";
  const [refInput, setRefInput] = useState(ref);
  // what this view last put into the hash: any other change of `ref` came from outside (a link, back)
  const sent = useRef(ref);
  if (ref !== sent.current) {
    sent.current = ref;
    if (refInput.trim() !== ref) setRefInput(ref);
  }

  // typing waits for a pause before it becomes a request
  useEffect(() => {
    const wanted = refInput.trim();
    if (wanted === ref) return;
    const t = setTimeout(() => {
      sent.current = wanted;
      navigate(["images"], { severity, ref: wanted });
    }, 250);
    return () => clearTimeout(t);
  }, [refInput, ref, severity]);

  const qs = new URLSearchParams();
  if (severity) qs.set("severity", severity);
  if (ref) qs.set("ref", ref);
  const path = `/images${qs.toString() ? `?${qs}` : ""}`;

  return html`
    <h1>Images</h1>
    <form class="filters" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()}>
      <label>Severity at least
        <select name="severity" value=${severity}
          onChange=${(/** @type {any} */ e) => navigate(["images"], { severity: e.currentTarget.value, ref })}>
          <option value="">any</option>
          <option value="critical">critical</option>
          <option value="high">high</option>
          <option value="medium">medium</option>
          <option value="low">low</option>
        </select>
      </label>
      <label>Reference
        <input type="search" name="ref" placeholder="e.g. nginx" value=${refInput}
          onInput=${(/** @type {any} */ e) => setRefInput(e.currentTarget.value)} />
      </label>
    </form>
    <${ImageTable} path=${path} />
  `;
}

/** @param {{ path: string }} p */
function ImageTable({ path }) {
  const r = useApi(path);
  const wait = pending(r);
  if (wait) return wait;
  const images = itemsOf(r.data);
  if (images.length === 0) return html`<p class="muted" data-testid="images-empty">No images match.</p>`;
  return html`
    <table class="images" data-testid="images-table">
      <thead><tr><th>Image</th><th>Digest</th><th>Findings</th><th>Kinds</th><th>Signed</th><th>Scanned</th></tr></thead>
      <tbody>
        ${images.map(
          (img) => html`
            <tr key=${img.digest} data-digest=${img.digest}>
              <td><a href=${href(["images", img.digest])}>${img.refs?.[0] ?? shortDigest(img.digest)}</a>
                ${img.refs?.length > 1 && html` <span class="muted">+${img.refs.length - 1}</span>`}</td>
              <td><code title=${img.digest}>${shortDigest(img.digest)}</code></td>
              <td><${SeverityCounts} summary=${img.summary} /></td>
              <td>${
                Object.entries(img.kinds ?? {})
                  .filter(([, n]) => n > 0)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(", ") || html`<span class="muted">—</span>`
              }</td>
              <td>${img.signed === undefined ? html`<span class="muted">?</span>` : img.signed ? "yes" : "no"}</td>
              <td><${Time} iso=${img.scannedAt} /></td>
            </tr>`,
        )}
      </tbody>
    </table>
  `;
}
