import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Advisory, Inventory, Package } from "../../model/index.js";
import { VulnDb } from "../../vulndb/store.js";
import { advisory } from "../../vulndb/vulndb.testutil.js";
import type { ContainerState } from "../types.js";
import { container, fakeClock } from "./detectors.testutil.js";
import { createNewCveDetector, type NewCveOptions } from "./new-cve.js";

/** a real SQLite vulnerability DB, advisories added between "database changes" */

function pkg(name: string, version: string, ecosystem = "npm"): Package {
  return {
    id: `pkg-${name}`,
    ecosystem,
    name,
    version,
    purl: `pkg:npm/${name}@${version}`,
    type: "npm",
    locations: [{ path: `node_modules/${name}/package.json` }],
    licenses: [],
  };
}
const INVENTORY: Inventory = {
  schemaVersion: 1,
  target: { name: "localhost/app:1", kind: "engine" },
  packages: [pkg("lodash", "4.17.20"), pkg("minimist", "1.2.5")],
};
const vuln = (id: string, name: string, fixed: string, extra: Partial<Advisory> = {}) =>
  advisory({
    id,
    severity: "high",
    affected: [
      {
        ecosystem: "npm",
        package: name,
        ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed }] }],
        versions: [],
      },
    ],
    ...extra,
  });

let dir: string;
let db: VulnDb;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "airbag-newcve-"));
  db = VulnDb.open(join(dir, "db.sqlite"));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function detector(over: Partial<NewCveOptions> = {}) {
  const asked: string[] = [];
  const d = createNewCveDetector({
    async inventory(imageId) {
      asked.push(imageId);
      return INVENTORY;
    },
    lookup: () => db,
    ...over,
  });
  return { d, asked };
}

describe("new-cve", () => {
  it("a container's start records the baseline; a later database change raises only what is new", async () => {
    const { ctx } = fakeClock();
    db.upsert(vuln("CVE-2021-23337", "lodash", "4.17.21"));
    const { d, asked } = detector();
    const c = container("web");
    expect(await d.onContainer!(c, ctx)).toEqual([]);
    // the same DB again: nothing new
    expect(await d.onDatabaseChange!([c], ctx)).toEqual([]);
    db.upsert(vuln("CVE-2021-44906", "minimist", "1.2.6", { severity: "critical" }));
    const ds = await d.onDatabaseChange!([c], ctx);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({
      detector: "new-cve",
      id: "cve.new",
      kind: "vulnerability",
      severity: "critical",
      title: "1 new vulnerability in the image of a running container",
      evidence: "CVE-2021-44906 (critical, minimist 1.2.5 → 1.2.6)",
      details: {
        count: 1,
        vulnerabilities: [{ id: "CVE-2021-44906", package: "minimist", fixedVersion: "1.2.6" }],
      },
    });
    expect(await d.onDatabaseChange!([c], ctx)).toEqual([]);
    // the inventory was asked for once: cached by image id
    expect(asked).toEqual([`sha256:${"1".repeat(64)}`]);
  });

  it("without a start, the first database change is the baseline; reportExisting reports it instead", async () => {
    const { ctx } = fakeClock();
    db.upsert(vuln("CVE-2021-23337", "lodash", "4.17.21"));
    const c = container("web");
    expect(await detector().d.onDatabaseChange!([c], ctx)).toEqual([]);
    const ds = await detector({ reportExisting: true }).d.onDatabaseChange!([c], ctx);
    expect(ds.map((x) => x.details?.count)).toEqual([1]);
  });

  it("a new alias of a known finding is not news; the floor filters; every container of the image is told", async () => {
    const { ctx } = fakeClock();
    db.upsert(vuln("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.21"));
    const { d } = detector({ floor: "high" });
    const a = container("a");
    const b = container("b");
    await d.onContainer!(a, ctx);
    db.upsert(vuln("CVE-2021-23337", "lodash", "4.17.21", { aliases: ["GHSA-35jh-r3h4-6jhm"] }));
    db.upsert(vuln("CVE-2020-1", "minimist", "1.2.6", { severity: "low" }));
    expect(await d.onDatabaseChange!([a, b], ctx)).toEqual([]);
    db.upsert(vuln("CVE-2020-2", "minimist", "1.2.6", { severity: "high" }));
    const ds = await d.onDatabaseChange!([a, b], ctx);
    expect(ds.map((x) => [x.container.name, x.details?.count])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
  });

  it("forget() of the last container of an image drops its baseline and cached inventory", async () => {
    const { ctx } = fakeClock();
    db.upsert(vuln("CVE-2021-23337", "lodash", "4.17.21"));
    const { d, asked } = detector();
    const a: ContainerState = container("a");
    const b: ContainerState = container("b");
    await d.onContainer!(a, ctx);
    await d.onContainer!(b, ctx);
    d.forget!(a.ref.id);
    db.upsert(vuln("CVE-2020-2", "minimist", "1.2.6"));
    expect((await d.onDatabaseChange!([b], ctx)).length).toBe(1);
    d.forget!(b.ref.id);
    expect(asked).toHaveLength(1);
    await d.onContainer!(a, ctx);
    expect(asked).toHaveLength(2);
  });

  it("an image whose inventory is unknown is skipped and asked again next time", async () => {
    const { ctx } = fakeClock();
    let calls = 0;
    const d = createNewCveDetector({
      async inventory() {
        calls++;
        return undefined;
      },
      lookup: () => db,
      reportExisting: true,
    });
    const c = container("web");
    expect(await d.onContainer!(c, ctx)).toEqual([]);
    expect(await d.onDatabaseChange!([c], ctx)).toEqual([]);
    expect(calls).toBe(2);
  });
});
