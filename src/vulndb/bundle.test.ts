import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirbagError } from "../model/index.js";
import { BUNDLE_MANIFEST, type BundleManifest, exportBundle, importBundle, isBundle } from "./bundle.js";
import { importIntoDatabase } from "./importers/index.js";
import { SCHEMA_VERSION } from "./schema.js";
import { VulnDb } from "./store.js";
import { FIXTURES, NOW, recordingContext } from "./vulndb.testutil.js";

const work = mkdtempSync(join(tmpdir(), "airbag-bundle-"));
const source = join(work, "source.sqlite");
const bundle = join(work, "out", "db.tar.gz");
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  await importIntoDatabase(
    source,
    ["osv", "kev", "debian/vunnel-debian.json", "epss/epss_scores-sample.csv"].map((p) => join(FIXTURES, p)),
    recordingContext(),
  );
});

const statusOf = (path: string) => {
  const db = VulnDb.open(path, { readonly: true });
  try {
    const { path: _p, ...rest } = db.status();
    return rest;
  } finally {
    db.close();
  }
};

/** the tar members of a bundle, in order */
async function members(file: string): Promise<{ name: string; body: Buffer }[]> {
  const out: { name: string; body: Buffer }[] = [];
  const extract = tar.extract();
  extract.end(gunzipSync(readFileSync(file)));
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ name: entry.header.name, body: Buffer.concat(chunks) });
  }
  return out;
}

async function repack(file: string, list: { name: string; body: Buffer }[]): Promise<void> {
  const pack = tar.pack();
  for (const m of list) pack.entry({ name: m.name }, m.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
}

describe("db export / import bundle", () => {
  it("round-trips: the imported database has the same status", async () => {
    const r = await exportBundle(source, bundle, { now: () => NOW });
    expect(r.size).toBe(statSync(bundle).size);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    const list = await members(bundle);
    expect(list.map((m) => m.name)).toEqual([BUNDLE_MANIFEST, "db.sqlite"]);
    const manifest = JSON.parse(list[0]!.body.toString()) as BundleManifest;
    expect(manifest).toMatchObject({
      format: "airbag-db-bundle",
      formatVersion: 1,
      schemaVersion: SCHEMA_VERSION,
      exportedAt: NOW.toISOString(),
      db: { name: "db.sqlite", size: list[1]!.body.length },
    });
    expect(manifest.counts.kev).toBe(2);
    expect(await isBundle(bundle)).toBe(true);

    const target = join(work, "installed", "db.sqlite");
    const { manifest: got } = await importBundle(bundle, target, { ctx: recordingContext() });
    expect(got).toEqual(manifest);
    expect(statusOf(target)).toEqual(statusOf(source));
  });

  it("imports feeds on top of the bundle in the same swap", async () => {
    const target = join(work, "plus.sqlite");
    const { stats } = await importBundle(bundle, target, {
      feeds: [join(FIXTURES, "pypa")],
      ctx: recordingContext(),
    });
    expect(stats.find((s) => s.format === "osv")).toMatchObject({ files: 3, records: 2 }); // one is withdrawn
    const db = VulnDb.open(target, { readonly: true });
    expect(db.get("osv", "PYSEC-2021-108")).toBeDefined();
    expect(db.get("osv", "GO-2022-0969")).toBeDefined();
    db.close();
  });

  it("refuses a bundle with one flipped byte and leaves the database untouched", async () => {
    const target = join(work, "kept.sqlite");
    await importIntoDatabase(target, [join(FIXTURES, "kev")], recordingContext());
    const before = readFileSync(target);
    const damaged = join(work, "flipped.tar.gz");
    const bytes = readFileSync(bundle);
    bytes[bytes.length >> 1]! ^= 0x01;
    writeFileSync(damaged, bytes);
    const err = await importBundle(damaged, target, { ctx: recordingContext() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("INPUT");
    expect((err as AirbagError).message).toMatch(
      /flipped\.tar\.gz: (damaged database bundle|checksum mismatch)/,
    );
    expect(readFileSync(target).equals(before)).toBe(true);
  });

  it("refuses a database whose sha256 does not match the manifest", async () => {
    const list = await members(bundle);
    const db = Buffer.from(list[1]!.body);
    db[db.length - 100]! ^= 0xff; // inside the database, past gzip's own check: only our checksum sees it
    const tampered = join(work, "tampered.tar.gz");
    await repack(tampered, [list[0]!, { name: "db.sqlite", body: db }]);
    const target = join(work, "never.sqlite");
    const err = await importBundle(tampered, target, { ctx: recordingContext() }).catch((e: unknown) => e);
    expect((err as AirbagError).code).toBe("INPUT");
    expect((err as AirbagError).message).toMatch(/tampered\.tar\.gz: checksum mismatch for db\.sqlite/);
    expect(() => statSync(target)).toThrow();
  });

  it("refuses a bundle from a newer schema", async () => {
    const list = await members(bundle);
    const manifest = JSON.parse(list[0]!.body.toString()) as BundleManifest;
    const newer = join(work, "newer.tar.gz");
    await repack(newer, [
      { name: BUNDLE_MANIFEST, body: Buffer.from(JSON.stringify({ ...manifest, schemaVersion: 99 })) },
      list[1]!,
    ]);
    const err = await importBundle(newer, join(work, "n.sqlite"), { ctx: recordingContext() }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/schema v99 is newer than this airbag understands/);
  });

  it("tells bundles from feeds", async () => {
    const feed = join(work, "feed.json.gz");
    writeFileSync(feed, gzipSync(readFileSync(join(FIXTURES, "kev/known_exploited_vulnerabilities.json"))));
    expect(await isBundle(feed)).toBe(false);
    expect(await isBundle(join(FIXTURES, "osv"))).toBe(false);
    expect(await isBundle(join(work, "missing"))).toBe(false);
  });

  it("exporting a missing database says how to get one", async () => {
    const err = await exportBundle(join(work, "none.sqlite"), join(work, "x.tar.gz")).catch(
      (e: unknown) => e,
    );
    expect((err as AirbagError).code).toBe("INPUT");
    expect((err as Error).message).toMatch(/no vulnerability database; run "airbag db update"/);
  });
});
