/**
 * Alpine secdb (https://secdb.alpinelinux.org/<release>/<repo>.json, also the archived YAML and
 * aquasecurity/vuln-list's one-file-per-package JSON): `packages[].pkg.{name, secfixes}` where
 * `secfixes` maps the first fixed version to the ids it fixes, for one `distroversion` (`v3.19`).
 *
 * → one advisory per id (source `alpine-secdb`) with Affected `Alpine:v3.19` / origin package name and a
 * range introduced 0, fixed <version>: secdb states fixes only, never an introduced version. The key
 * `"0"` means "not affected" and yields nothing. Wolfi and Chainguard publish the same format (no
 * `distroversion`; told apart by `urlprefix`) → ecosystems `Wolfi` / `Chainguard`.
 *
 * Each file is one slice (a release × repository) of a source's truth, so records are upserted in
 * `merge` mode: importing v3.18 does not erase what v3.19 said about the same CVE.
 */
import type { Advisory, Affected } from "../../model/index.js";
import type { AdvisorySink } from "../types.js";
import { arr, type ImportContext, idsIn, isObject, prop, str } from "./common.js";

interface Flavour {
  ecosystem: string;
  source: string;
}

function flavourOf(doc: Record<string, unknown>): Flavour | undefined {
  const prefix = str(doc.urlprefix) ?? "";
  if (/wolfi\.dev/.test(prefix)) return { ecosystem: "Wolfi", source: "wolfi-secdb" };
  if (/cgr\.dev|chainguard/.test(prefix)) return { ecosystem: "Chainguard", source: "chainguard-secdb" };
  const release = str(doc.distroversion);
  if (!release || (prefix && !/alpinelinux\.org/.test(prefix))) return undefined;
  const v = /^\d/.test(release) ? `v${release}` : release;
  return { ecosystem: `Alpine:${v}`, source: "alpine-secdb" };
}

/** A secdb document (repository file or single-package file) → advisories. Never throws. */
export function secdbAdvisories(doc: unknown, file: string, ctx: ImportContext): Advisory[] {
  if (!isObject(doc)) {
    ctx.warn(`${file}: not an Alpine secdb document (expected an object)`);
    return [];
  }
  const flavour = flavourOf(doc);
  if (!flavour) {
    ctx.warn(`${file}: no "distroversion" naming an Alpine release (or unknown urlprefix); skipped`);
    return [];
  }
  const packages = Array.isArray(doc.packages) ? doc.packages.map((p) => prop(p, "pkg")) : [doc];
  const byId = new Map<string, Advisory>();
  for (const [i, pkg] of packages.entries()) {
    const name = str(prop(pkg, "name"));
    const secfixes = prop(pkg, "secfixes");
    if (!name || !(isObject(secfixes) || secfixes === null || secfixes === undefined)) {
      ctx.warn(`${file}: packages[${i}]: missing pkg.name or malformed secfixes; skipped`);
      continue;
    }
    if (!isObject(secfixes)) continue;
    for (const [fixed, entries] of Object.entries(secfixes)) {
      if (fixed === "0" || fixed === "") continue; // not affected
      for (const entry of arr(entries)) {
        if (typeof entry !== "string") continue;
        const [id, ...aliases] = idsIn(entry);
        if (!id) {
          ctx.warn(`${file}: ${name} ${fixed}: no advisory id in "${entry}"; skipped`);
          continue;
        }
        let adv = byId.get(id);
        if (!adv) {
          adv = { id, aliases: [], source: flavour.source, cvss: [], affected: [], references: [] };
          byId.set(id, adv);
        }
        for (const a of aliases) if (!adv.aliases.includes(a)) adv.aliases.push(a);
        let aff: Affected | undefined = adv.affected.find((a) => a.package === name);
        if (!aff) {
          aff = { ecosystem: flavour.ecosystem, package: name, ranges: [], versions: [], status: "fixed" };
          adv.affected.push(aff);
        }
        // listed under two versions (a regression fixed again): both ranges, the matcher takes the union
        if (!aff.ranges.some((r) => r.events.some((e) => "fixed" in e && e.fixed === fixed)))
          aff.ranges.push({ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] });
      }
    }
  }
  return [...byId.values()];
}

export const looksLikeSecdb = (doc: unknown): boolean =>
  isObject(doc) &&
  ((Array.isArray(doc.packages) &&
    (doc.packages.length === 0 ? "distroversion" in doc : isObject(prop(doc.packages[0], "pkg")))) ||
    (typeof doc.name === "string" && "secfixes" in doc));

export function importSecdb(doc: unknown, file: string, sink: AdvisorySink, ctx: ImportContext): number {
  const list = secdbAdvisories(doc, file, ctx);
  for (const a of list) sink.advisory(a, "merge");
  return list.length;
}
