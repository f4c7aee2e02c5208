import { type AdvisoryLookup, matchInventory } from "../../match/matcher.js";
import { atLeast, severityRank } from "../../match/severity.js";
import type { Detection, Inventory, Severity, VulnerabilityFinding } from "../../model/index.js";
import { type ContainerState, type DetectorContext, detection, type RuntimeDetector } from "../types.js";

/**
 * New CVEs on running images: when the vulnerability database changes, each running image's inventory
 * (from an injected provider, cached here by image id) is matched again and what was never seen on
 * that image before is raised — one `cve.new` detection per container, listing the new ones. The first
 * look at an image (when its container appears, or at the first database change) only records the
 * baseline, unless `reportExisting`. A finding counts as seen by any of its ids (CVE, DSA, GHSA…) on
 * the same package, so a new alias on an old finding is not news.
 */

export interface NewCveOptions {
  /** the inventory of a container's image; undefined = unknown (asked again next time) */
  inventory(imageId: string, c: ContainerState): Promise<Inventory | undefined>;
  /** the current database (reopened after an update renamed a new file over the old one) */
  lookup(): AdvisoryLookup | Promise<AdvisoryLookup>;
  /** report what the first look at an image finds too (default false: that is the baseline) */
  reportExisting?: boolean;
  /** record the baseline when a container appears, so the next database change can alert (default true) */
  baselineOnStart?: boolean;
  /** only vulnerabilities at or above this severity are reported (default: all) */
  floor?: Severity;
}

const MAX_LISTED = 100;
const MAX_IN_EVIDENCE = 5;

const keysOf = (f: VulnerabilityFinding) => [f.id, ...f.aliases].map((id) => `${f.package}|${id}`);
const imageOf = (c: ContainerState) => c.ref.imageId ?? c.inspect.Image ?? c.ref.image;

export function createNewCveDetector(opts: NewCveOptions): RuntimeDetector {
  const inventories = new Map<string, Promise<Inventory | undefined>>();
  const seen = new Map<string, Set<string>>();
  const imageOfContainer = new Map<string, string>();

  function inventoryOf(imageId: string, c: ContainerState): Promise<Inventory | undefined> {
    let p = inventories.get(imageId);
    if (!p) {
      p = opts.inventory(imageId, c).then(
        (inv) => {
          if (!inv) inventories.delete(imageId);
          return inv;
        },
        (err: unknown) => {
          inventories.delete(imageId);
          throw err;
        },
      );
      inventories.set(imageId, p);
    }
    return p;
  }

  /** the findings on this image not seen before (all of them on a first look when reportExisting) */
  async function look(imageId: string, c: ContainerState, lookup: AdvisoryLookup) {
    const inv = await inventoryOf(imageId, c);
    if (!inv) return undefined;
    const findings = matchInventory(inv, lookup);
    const first = !seen.has(imageId);
    const known = seen.get(imageId) ?? new Set<string>();
    seen.set(imageId, known);
    const fresh = findings.filter((f) => !keysOf(f).some((k) => known.has(k)));
    for (const f of findings) for (const k of keysOf(f)) known.add(k);
    if (first && !opts.reportExisting) return { inv, fresh: [] };
    return { inv, fresh: opts.floor ? fresh.filter((f) => atLeast(f.severity, opts.floor!)) : fresh };
  }

  function raise(
    c: ContainerState,
    inv: Inventory,
    fresh: VulnerabilityFinding[],
    ctx: DetectorContext,
  ): Detection {
    const byId = new Map(inv.packages.map((p) => [p.id, p]));
    const sorted = [...fresh].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    const list = sorted.slice(0, MAX_LISTED).map((f) => ({
      id: f.id,
      aliases: f.aliases,
      severity: f.severity,
      package: byId.get(f.package)?.name ?? f.package,
      installedVersion: f.installedVersion,
      ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}),
      kev: f.kev,
      ...(f.epss !== undefined ? { epss: f.epss } : {}),
    }));
    const shown = list
      .slice(0, MAX_IN_EVIDENCE)
      .map(
        (v) =>
          `${v.id} (${v.severity}, ${v.package} ${v.installedVersion}${v.fixedVersion ? ` → ${v.fixedVersion}` : ""})`,
      );
    const more = fresh.length > MAX_IN_EVIDENCE ? ` and ${fresh.length - MAX_IN_EVIDENCE} more` : "";
    const n = fresh.length;
    return {
      ...detection(
        "new-cve",
        "cve.new",
        sorted[0]!.severity,
        `${n} new vulnerabilit${n === 1 ? "y" : "ies"} in the image of a running container`,
        c,
        `${shown.join(", ")}${more}`,
        ctx,
        { imageId: imageOf(c), count: n, vulnerabilities: list },
      ),
      kind: "vulnerability",
    };
  }

  return {
    name: "new-cve",
    async onContainer(c) {
      const imageId = imageOf(c);
      imageOfContainer.set(c.ref.id, imageId);
      if (opts.baselineOnStart === false || seen.has(imageId)) return [];
      // the baseline is all that is recorded here: a container's start is not a database change
      await look(imageId, c, await opts.lookup());
      return [];
    },
    async onDatabaseChange(containers, ctx) {
      const lookup = await opts.lookup();
      const byImage = new Map<string, ContainerState[]>();
      for (const c of containers) {
        const imageId = imageOf(c);
        imageOfContainer.set(c.ref.id, imageId);
        byImage.set(imageId, [...(byImage.get(imageId) ?? []), c]);
      }
      const out: Detection[] = [];
      for (const [imageId, list] of byImage) {
        const r = await look(imageId, list[0]!, lookup);
        if (!r || r.fresh.length === 0) continue;
        for (const c of list) out.push(raise(c, r.inv, r.fresh, ctx));
      }
      return out;
    },
    forget(containerId) {
      const imageId = imageOfContainer.get(containerId);
      imageOfContainer.delete(containerId);
      if (imageId === undefined || [...imageOfContainer.values()].includes(imageId)) return;
      inventories.delete(imageId);
      seen.delete(imageId);
    },
  };
}
