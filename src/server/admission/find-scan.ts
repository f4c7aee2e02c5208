import { formatReference, type ImageReference, parseReference } from "../../image/registry/reference.js";
import type { ServerStore, StoredScan } from "../store/types.js";

/**
 * The stored scan an admitted image refers to. Pods name images as `nginx:1.25`, `host/app@sha256:…`
 * or `host/app:1@sha256:…`; scans are stored by image digest with the references they were made
 * under — scan workers record their job target (`registry:docker.io/library/nginx:1.25`,
 * `registry:host/app:1@sha256:…` from scan-on-push). Both sides are compared fully qualified.
 */

/** substring matches read per query; an exact match beyond them counts as not scanned (the deny side) */
const REF_SCAN_LIMIT = 100;

const parse = (ref: string): ImageReference | undefined => {
  try {
    return parseReference(ref);
  } catch {
    return undefined;
  }
};

/** `nginx:1.25` → `docker.io/library/nginx:1.25`; undefined when it does not parse. */
export function canonicalImage(image: string): string | undefined {
  const r = parse(image);
  return r ? formatReference(r) : undefined;
}

/**
 * What a stored reference stands for, fully qualified: a `registry:` target loses its transport, and a
 * reference with both tag and digest also stands for each alone (pulled by digest, pushed as the tag).
 */
export function storedRefForms(ref: string): string[] {
  const bare = ref.startsWith("registry:") ? ref.slice("registry:".length) : ref;
  const r = parse(bare);
  if (!r) return [bare];
  const forms = [formatReference(r)];
  if (r.tag && r.digest) {
    const { digest: _d, ...tagged } = r;
    const { tag: _t, ...pinned } = r;
    forms.push(formatReference(tagged), formatReference(pinned));
  }
  return forms;
}

const newest = (a: StoredScan | undefined, b: StoredScan | undefined) =>
  !a || (b && b.scannedAt > a.scannedAt) ? b : a;

export async function findScan(store: ServerStore, image: string): Promise<StoredScan | undefined> {
  const ref = parse(image);
  if (ref?.digest) {
    const byDigest = await store.getScan(ref.digest);
    if (byDigest) return byDigest;
  }
  // a pinned image matches only references with its digest; a tag, the tag as written or qualified
  const wanted = new Set(ref?.digest ? storedRefForms(image).filter((f) => f.includes("@")) : [image]);
  if (ref && !ref.digest) wanted.add(formatReference(ref));
  const matches = (s: StoredScan) =>
    s.refs.some((r) => r === image || storedRefForms(r).some((f) => wanted.has(f)));
  // the store's ref filter matches substrings (for search boxes): keep exact matches only, so `app:1`
  // never borrows the verdict of `myapp:1` or `app:10`; rows come newest first
  const queries = ref?.digest
    ? // pinned by an index digest: the scan is stored under the platform manifest's digest, but its
      // job target names the digest the pod uses
      [ref.digest]
    : [...wanted];
  let found: StoredScan | undefined;
  for (const q of queries) {
    found = newest(found, (await store.listScans({ ref: q, limit: REF_SCAN_LIMIT })).find(matches));
  }
  return found;
}
