import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Advisory } from "../model/index.js";
import { buildDatabase, DbWriter } from "./build.js";
import { VulnDb } from "./store.js";
import { advisory } from "./vulndb.testutil.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "airbag-fresh-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const pkg = (name: string, fixed: string) => ({
  ecosystem: "npm",
  package: name,
  ranges: [{ type: "SEMVER" as const, events: [{ introduced: "0" }, { fixed }] }],
  versions: [],
});

/** Rewrites, merges and a source deleted half-way: what a fresh build must store like an indexed one. */
function feed(db: VulnDb): void {
  const w = new DbWriter(db, 2);
  w.advisory(
    advisory({ id: "GHSA-a", aliases: ["CVE-1", "X-1", "CVE-1"], affected: [pkg("left", "1.0.0")] }),
  );
  w.advisory(
    advisory({ id: "GHSA-b", source: "other", aliases: ["CVE-9"], affected: [pkg("gone", "1.0.0")] }),
  );
  w.advisory(advisory({ id: "GHSA-c", aliases: ["CVE-3"], affected: [pkg("mid", "2.0.0")] }), "merge");
  w.advisory(advisory({ id: "GHSA-a", aliases: ["CVE-2"], affected: [pkg("left", "1.1.0")] }));
  w.advisory(advisory({ id: "GHSA-c", aliases: ["CVE-4"], affected: [pkg("right", "3.0.0")] }), "merge");
  db.flush();
  db.deleteSource("other");
  w.advisory(
    advisory({ id: "GHSA-b", source: "other", aliases: ["CVE-8"], affected: [pkg("back", "1.0.0")] }),
  );
  w.finish("2026-01-01T00:00:00Z");
}

function contents(path: string) {
  const db = VulnDb.open(path, { readonly: true });
  const ids = (xs: Advisory[]) => xs.map((a) => `${a.source}/${a.id}`);
  const out = {
    counts: db.status().counts,
    cve1: ids(db.byAlias("CVE-1")),
    cve2: ids(db.byAlias("CVE-2")),
    cve3: ids(db.byAlias("CVE-3")),
    cve4: ids(db.byAlias("CVE-4")),
    cve8: ids(db.byAlias("CVE-8")),
    cve9: ids(db.byAlias("CVE-9")),
    a: { ...db.get("osv", "GHSA-a")! }, // spread: the lazy document fields read while open
    c: { ...db.get("osv", "GHSA-c")! },
    gone: ids(db.advisoriesFor("npm", "gone")),
    index: db.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'advisories_id_source'").pluck().get(),
  };
  db.close();
  return out;
}

describe("fresh bulk build", () => {
  it("stores rewrites, merges and deletions exactly as the indexed path does", async () => {
    const dir = tmp();
    const fresh = join(dir, "fresh.sqlite");
    await buildDatabase(fresh, async (db) => feed(db));

    // the indexed path: the same feed into a database that already holds an advisory
    const indexed = join(dir, "indexed.sqlite");
    await buildDatabase(indexed, async (db) => db.upsert(advisory({ id: "SEED", source: "seed" })));
    await buildDatabase(indexed, async (db) => feed(db), { fromExisting: true });

    const f = contents(fresh);
    const i = contents(indexed);
    expect(f.cve1).toEqual([]);
    expect(f.cve2).toEqual(["osv/GHSA-a"]);
    expect([f.cve3, f.cve4]).toEqual([["osv/GHSA-c"], ["osv/GHSA-c"]]);
    expect([f.cve8, f.cve9, f.gone]).toEqual([["other/GHSA-b"], [], []]);
    expect(f.a.aliases).toEqual(["CVE-2"]);
    expect(f.a.affected[0]?.ranges[0]?.events[1]).toEqual({ fixed: "1.1.0" });
    expect(f.c.affected.map((x) => x.package)).toEqual(["mid", "right"]);
    expect(f.counts).toEqual({ advisories: 3, affected: 4, aliases: 4, epss: 0, kev: 0 });
    expect(f.index).toMatch(/UNIQUE INDEX advisories_id_source/);
    const { counts: _fc, ...fRest } = f;
    const { counts: ic, ...iRest } = i;
    expect(fRest).toEqual(iRest);
    expect(ic.advisories).toBe(4); // the seed as well
  });
});
