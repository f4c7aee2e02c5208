import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { VulnDb } from "../store.js";
import { FIXTURES, NOW, recordingContext } from "../vulndb.testutil.js";
import { importIntoDatabase } from "./index.js";

const work = mkdtempSync(join(tmpdir(), "airbag-import-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("db import", () => {
  it("recognises every feed format in one import and answers from the database", async () => {
    const feeds = join(work, "feeds");
    mkdirSync(feeds);
    for (const d of ["osv", "pypa", "debian", "alpine", "nvd", "kev"])
      cpSync(join(FIXTURES, d), join(feeds, d), { recursive: true });
    writeFileSync(
      join(feeds, "epss.csv.gz"),
      gzipSync(readFileSync(join(FIXTURES, "epss/epss_scores-sample.csv"))),
    );
    const lines = ["GO-2022-0969.json", "MAL-2025-20690.json"].map((f) =>
      JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, "osv", f), "utf8"))),
    );
    writeFileSync(join(feeds, "more.jsonl"), `${lines.join("\n")}\n\nnot json\n`);
    writeFileSync(join(feeds, "notes.json"), '{"hello": "world"}');

    const ctx = recordingContext();
    const dbPath = join(work, "db.sqlite");
    const stats = await importIntoDatabase(dbPath, [feeds], ctx);
    const by = Object.fromEntries(stats.map((s) => [s.format, s]));
    expect(by.osv).toMatchObject({ files: 11, records: 10, withdrawn: 2 }); // two lines repeat files
    expect(by["debian-tracker"]).toMatchObject({ files: 2, records: 7 });
    expect(by["alpine-secdb"]).toMatchObject({ files: 8 });
    expect(by.nvd).toMatchObject({ files: 6, records: 43 });
    expect(by.kev).toMatchObject({ files: 1, records: 2, skipped: 0 });
    expect(by.epss).toMatchObject({ files: 1, records: 4, skipped: 2 });
    expect(ctx.warnings.map((w) => w.replace(feeds, "FEEDS"))).toEqual([
      expect.stringMatching(/^FEEDS\/alpine\/trivy-ansible-broken\.json: not valid JSON/),
      "FEEDS/epss.csv.gz:7: not an EPSS row (cve,epss,percentile); skipped",
      "FEEDS/epss.csv.gz:8: not an EPSS row (cve,epss,percentile); skipped",
      "FEEDS/kev/known_exploited_vulnerabilities.json: vulnerabilities[2].cveID missing or not a CVE id; skipped",
      expect.stringMatching(/^FEEDS\/more\.jsonl:4: not valid JSON/),
      "FEEDS/notes.json: not a recognised vulnerability feed (OSV, NVD, Debian tracker, Alpine secdb, KEV); skipped",
    ]);

    const db = VulnDb.open(dbPath, { readonly: true });
    const status = db.status();
    expect(Object.keys(status.sources).sort()).toEqual([
      "alpine-secdb",
      "debian-tracker",
      "epss",
      "kev",
      "nvd",
      "osv",
      "wolfi-secdb",
    ]);
    expect(status.sources.osv).toEqual({ updatedAt: NOW.toISOString(), records: 8 }); // upserted once each
    expect(db.advisoriesFor("Debian:12", "chromium").map((a) => a.id)).toEqual(["CVE-2022-0456"]);
    expect(db.advisoriesFor("PyPI", "URLLib3").map((a) => a.id)).toEqual(["PYSEC-2021-108"]);
    expect(db.advisoriesFor("Alpine:v3.19", "openssl").length).toBeGreaterThan(40);
    expect(db.advisoriesFor("cpe", "linuxfoundation:runc").map((a) => a.id)).toEqual(["CVE-2019-5736"]);
    const sudo = db.enrich(["UBUNTU-CVE-2021-3156", "CVE-2021-3156"]);
    expect(sudo).toMatchObject({ kev: true, epss: 0.93522 });
    expect(sudo.cvss[0]).toMatchObject({ source: "nvd", score: 7.8 });
    db.close();
  });

  it("imports into an existing database without losing what it held", async () => {
    const dbPath = join(work, "twice.sqlite");
    await importIntoDatabase(dbPath, [join(FIXTURES, "kev")], recordingContext());
    await importIntoDatabase(dbPath, [join(FIXTURES, "osv", "GO-2022-0969.json")], recordingContext());
    const db = VulnDb.open(dbPath, { readonly: true });
    expect(db.status().counts).toMatchObject({ kev: 2, advisories: 1 });
    db.close();
  });

  it("names a missing path as an INPUT error and leaves no database behind", async () => {
    const dbPath = join(work, "never.sqlite");
    const err = await importIntoDatabase(dbPath, [join(work, "nope")], recordingContext()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).message).toMatch(/nope: no such file or directory/);
    expect(() => readFileSync(dbPath)).toThrow();
  });
});
