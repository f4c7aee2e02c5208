import { fileURLToPath } from "node:url";
import type { Advisory } from "../model/index.js";
import type { ImportContext } from "./importers/common.js";
import type { AdvisorySink, EpssEntry, KevEntry, UpsertMode } from "./types.js";

export const FIXTURES = fileURLToPath(new URL("../../test/fixtures/vulndb/", import.meta.url));
export const SHARED = "/work/shared/data";

export const NOW = new Date("2026-01-02T03:04:05Z");

/** An ImportContext that records warnings, with a fixed clock. */
export function recordingContext(): ImportContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m), now: () => NOW };
}

/** A sink that keeps everything in arrays. */
export function collectingSink() {
  const out = {
    advisories: [] as { advisory: Advisory; mode: UpsertMode }[],
    epss: [] as EpssEntry[],
    kev: [] as KevEntry[],
  };
  const sink: AdvisorySink = {
    advisory: (advisory, mode = "replace") => out.advisories.push({ advisory, mode }),
    epss: (e) => out.epss.push(e),
    kev: (k) => out.kev.push(k),
  };
  return { sink, ...out, byId: (id: string) => out.advisories.find((a) => a.advisory.id === id)?.advisory };
}

/** An Advisory with defaults, for store tests. */
export function advisory(over: Partial<Advisory> & { id: string }): Advisory {
  return { aliases: [], source: "osv", cvss: [], affected: [], references: [], ...over };
}
