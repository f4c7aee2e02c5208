import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { AirbagError } from "../model/index.js";
import { buildDatabase, DbWriter } from "./build.js";
import { SCHEMA_VERSION } from "./schema.js";
import { VulnDb } from "./store.js";
import { packageKey } from "./types.js";
import { advisory, NOW } from "./vulndb.testutil.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "airbag-vulndb-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const openssl = advisory({
  id: "CVE-2023-5678",
  source: "debian-tracker",
  aliases: ["DSA-5532-1"],
  details: "Generating excessively long X9.42 DH keys …",
  severity: "medium",
  cvss: [
    { source: "nvd", version: "3.1", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", score: 5.3 },
  ],
  affected: [
    {
      ecosystem: "Debian:12",
      package: "openssl",
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "3.0.13-1~deb12u1" }] }],
      versions: [],
      status: "fixed",
    },
    {
      ecosystem: "Debian:11",
      package: "openssl",
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      versions: [],
      status: "fix_deferred",
      severity: "low",
    },
  ],
  references: ["https://security-tracker.debian.org/tracker/CVE-2023-5678"],
});

describe("VulnDb", () => {
  it("creates the schema in a new file and records its version and build time", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"), { now: () => NOW });
    const s = db.status();
    expect(s.schemaVersion).toBe(SCHEMA_VERSION);
    expect(s.builtAt).toBe(NOW.toISOString());
    expect(s.counts).toEqual({ advisories: 0, affected: 0, aliases: 0, epss: 0, kev: 0 });
    db.close();
  });

  it("finds an advisory by ecosystem + package, with only that package's affected entries", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    db.upsert(openssl);
    const [hit, ...rest] = db.advisoriesFor("Debian:12", "openssl");
    expect(rest).toEqual([]);
    expect(hit).toEqual({ ...openssl, affected: [openssl.affected[0]] });
    expect(db.advisoriesFor("Debian:13", "openssl")).toEqual([]);
    expect(db.get("debian-tracker", "CVE-2023-5678")).toEqual(openssl);
    db.close();
  });

  it("looks advisories up by id and by alias across sources", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    db.upsert(openssl);
    db.upsert(advisory({ id: "GHSA-xxxx-yyyy-zzzz", aliases: ["CVE-2023-5678"] }));
    db.upsert(advisory({ id: "GO-2024-0001", aliases: ["CVE-2024-0001"] }));
    expect(db.byAlias("CVE-2023-5678").map((a) => a.id)).toEqual(["CVE-2023-5678", "GHSA-xxxx-yyyy-zzzz"]);
    expect(db.byAlias("DSA-5532-1").map((a) => a.id)).toEqual(["CVE-2023-5678"]);
    expect(db.byAlias("CVE-1999-0001")).toEqual([]);
    db.close();
  });

  it("replaces a record on upsert of the same (source, id) and keeps other sources' records", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    db.upsert(openssl);
    db.upsert({ ...openssl, source: "nvd", affected: [] });
    db.upsert({ ...openssl, details: "updated", affected: [openssl.affected[1]!], references: [] });
    expect(db.get("debian-tracker", "CVE-2023-5678")).toMatchObject({ details: "updated", references: [] });
    expect(db.advisoriesFor("Debian:12", "openssl")).toEqual([]);
    expect(db.advisoriesFor("Debian:11", "openssl")).toHaveLength(1);
    expect(db.get("nvd", "CVE-2023-5678")?.details).toBe(openssl.details);
    expect(db.status().counts.advisories).toBe(2);
    db.close();
  });

  it("merges slices of a record (Alpine releases) instead of replacing them", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    const slice = (eco: string, fixed: string, aliases: string[] = []) =>
      advisory({
        id: "CVE-2024-0727",
        source: "alpine-secdb",
        aliases,
        affected: [
          {
            ecosystem: eco,
            package: "openssl",
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }],
            versions: [],
            status: "fixed",
          },
        ],
      });
    db.upsert(slice("Alpine:v3.19", "3.1.4-r5"), "merge");
    db.upsert(slice("Alpine:v3.18", "3.1.4-r5", ["XSA-1"]), "merge");
    db.upsert(slice("Alpine:v3.19", "3.1.4-r6"), "merge");
    const all = db.get("alpine-secdb", "CVE-2024-0727")!;
    expect(all.aliases).toEqual(["XSA-1"]);
    expect(all.affected.map((a) => [a.ecosystem, a.ranges[0]!.events[1]])).toEqual([
      ["Alpine:v3.18", { fixed: "3.1.4-r5" }],
      ["Alpine:v3.19", { fixed: "3.1.4-r6" }],
    ]);
    db.close();
  });

  it("matches PyPI names after PEP 503 normalisation and keeps the spelling in the record", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    const affected = { ecosystem: "PyPI", package: "Zope.Interface", ranges: [], versions: ["1.0"] };
    db.upsert(advisory({ id: "PYSEC-2000-1", affected: [affected] }));
    expect(db.advisoriesFor("PyPI", "zope-interface")[0]?.affected).toEqual([affected]);
    expect(db.advisoriesFor("PyPI", "ZOPE_INTERFACE")).toHaveLength(1);
    expect(packageKey("npm", "Foo")).toBe("Foo");
    db.close();
  });

  it("stores uncomputable CVSS scores as NULL and gives them back as NaN", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    const v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    db.upsert(
      advisory({
        id: "GHSA-aaaa-bbbb-cccc",
        cvss: [{ source: "ghsa", version: "4.0", vector: v4, score: NaN }],
      }),
    );
    expect(db.get("osv", "GHSA-aaaa-bbbb-cccc")?.cvss[0]?.score).toBeNaN();
    expect(db.get("osv", "GHSA-aaaa-bbbb-cccc")?.cvss[0]?.vector).toBe(v4);
    db.close();
  });

  it("answers EPSS, KEV and NVD enrichment for a group of ids", () => {
    const db = VulnDb.open(join(tmp(), "db.sqlite"));
    const w = new DbWriter(db, 2);
    w.advisory({ ...openssl, source: "nvd", affected: [], references: ["https://nvd.example/1"] });
    w.epss({ cve: "CVE-2023-5678", score: 0.0012, percentile: 0.45 });
    w.kev({ cve: "CVE-2023-5678", ransomware: true, dateAdded: "2024-01-01" });
    w.finish(NOW.toISOString());
    expect(db.epss("CVE-2023-5678")).toEqual({ score: 0.0012, percentile: 0.45 });
    expect(db.kev("CVE-2023-5678")).toEqual({
      cve: "CVE-2023-5678",
      ransomware: true,
      dateAdded: "2024-01-01",
    });
    expect(db.kev("CVE-2000-0001")).toBeUndefined();
    expect(db.enrich(["DSA-5532-1", "CVE-2023-5678"])).toEqual({
      cvss: openssl.cvss,
      epss: 0.0012,
      kev: true,
      references: ["https://nvd.example/1"],
    });
    expect(db.status().sources).toEqual({
      nvd: { updatedAt: NOW.toISOString(), records: 1 },
      epss: { updatedAt: NOW.toISOString(), records: 1 },
      kev: { updatedAt: NOW.toISOString(), records: 1 },
    });
    db.close();
  });

  it("refuses a database written by a newer schema, naming the file and what to do", () => {
    const path = join(tmp(), "db.sqlite");
    VulnDb.open(path).close();
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => VulnDb.open(path)).toThrow(/db\.sqlite: database schema v99 is newer/);
  });

  it("refuses to open a missing database read-only with an INPUT error", () => {
    const path = join(tmp(), "missing.sqlite");
    try {
      VulnDb.open(path, { readonly: true });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AirbagError);
      expect((err as AirbagError).code).toBe("INPUT");
      expect((err as Error).message).toMatch(/missing\.sqlite.*airbag db update/);
    }
  });

  it("refuses a file that is not SQLite", () => {
    const path = join(tmp(), "junk.sqlite");
    writeFileSync(path, "not a database at all, just text ".repeat(100));
    expect(() => VulnDb.open(path)).toThrow(AirbagError);
  });

  it("builds into a temp file and swaps it in only when the work succeeds", async () => {
    const dir = tmp();
    const path = join(dir, "sub", "db.sqlite");
    await buildDatabase(path, async (db) => db.upsert(openssl));
    await expect(
      buildDatabase(
        path,
        async (db) => {
          db.upsert(advisory({ id: "CVE-2000-0002" }));
          throw new Error("feed broke half-way");
        },
        { fromExisting: true },
      ),
    ).rejects.toThrow("feed broke");
    expect(readdirSync(join(dir, "sub"))).toEqual(["db.sqlite"]);
    const db = VulnDb.open(path, { readonly: true });
    expect(db.status().counts.advisories).toBe(1);
    db.close();
  });
});
