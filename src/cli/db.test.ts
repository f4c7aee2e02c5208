import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { importIntoDatabase } from "../vulndb/importers/index.js";
import { FIXTURES } from "../vulndb/vulndb.testutil.js";
import { humanAge, parseAge, registerDb } from "./db.js";
import { type GlobalFlags, reportError } from "./run.js";

const work = mkdtempSync(join(tmpdir(), "airbag-cli-db-"));
const kevBody = readFileSync(join(FIXTURES, "kev/known_exploited_vulnerabilities.json"));
const server = createServer((req, res) => {
  if (req.url !== "/kev.json") res.writeHead(404).end();
  else if (req.headers["if-none-match"] === '"1"') res.writeHead(304).end();
  else res.writeHead(200, { etag: '"1"' }).end(kevBody);
});
let base = "";
beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** `airbag db …` on a fresh commander program, as main() wires it: exit code, stdout, stderr. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const program = new Command("airbag")
    .option("--debug")
    .option("-v, --verbose")
    .exitOverride()
    .configureOutput({
      writeErr: (s) => {
        err += s;
      },
      writeOut: (s) => {
        out += s;
      },
    });
  const flags = () => program.opts<GlobalFlags>();
  registerDb(program, flags);
  const write = vi.spyOn(process.stdout, "write").mockImplementation((s: unknown, ...rest: unknown[]) => {
    out += String(s);
    const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    done?.(); // writeOutput waits for the flush callback
    return true;
  });
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => {
    err += `${a.join(" ")}\n`;
  });
  let code = 0;
  try {
    await program.parseAsync(["node", "airbag", ...args]);
  } catch (e) {
    code = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : reportError(e, flags());
  } finally {
    write.mockRestore();
    error.mockRestore();
  }
  return { code, out, err };
}

describe("airbag db", () => {
  it("status without a database: exit 2, telling how to get one", async () => {
    const r = await cli("db", "status", "--db", join(work, "none.sqlite"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /none\.sqlite: no vulnerability database; run "airbag db update" .*"airbag db import BUNDLE"/,
    );
  });

  it("import, status (table and json), export and import of the bundle", async () => {
    const db = join(work, "a.sqlite");
    const imp = await cli("db", "import", "--db", db, join(FIXTURES, "kev"), join(FIXTURES, "osv"));
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/^kev: 2 records from 1 file\(s\)$/m);
    expect(imp.out).toMatch(/^osv: \d+ records from 7 file\(s\)/m);

    const table = await cli("db", "status", "--db", db);
    expect(table.code).toBe(0);
    expect(table.out).toContain(`database  ${db}`);
    expect(table.out).toMatch(/^SOURCE\s+RECORDS\s+UPDATED\s+CHECKED$/m);
    expect(table.out).toMatch(/^kev\s+2\s+\d{4}-/m);
    expect(table.err).toBe(""); // fresh: no staleness warning

    const json = JSON.parse((await cli("db", "status", "--db", db, "--format", "json")).out);
    expect(json).toMatchObject({ path: db, schemaVersion: 2, stale: false, maxAgeSeconds: 604800 });
    expect(json.sources.kev.records).toBe(2);

    const bundle = join(work, "a.tar.gz");
    const exp = await cli("db", "export", "--db", db, bundle);
    expect(exp.code).toBe(0);
    expect(exp.out).toMatch(/a\.tar\.gz: [\d.]+ MB, sha256 [0-9a-f]{64}/);
    const copy = join(work, "b.sqlite");
    const inst = await cli("db", "import", "--db", copy, bundle, join(FIXTURES, "pypa"));
    expect(inst.code).toBe(0);
    expect(inst.out).toMatch(/a\.tar\.gz: installed database \(schema v2, built \S+, \d+ advisories\)/);
    const again = JSON.parse((await cli("db", "status", "--db", copy, "--format", "json")).out);
    expect(again.sources.kev).toEqual(json.sources.kev);
    expect(again.counts.advisories).toBe(json.counts.advisories + 2); // + the PyPA records

    const two = await cli("db", "import", "--db", copy, bundle, bundle);
    expect(two.code).toBe(2);
  });

  it("warns on stderr when the data is older than --max-age", async () => {
    const db = join(work, "old.sqlite");
    const old = new Date("2020-01-01T00:00:00Z");
    await importIntoDatabase(db, [join(FIXTURES, "kev")], { warn: () => {}, now: () => old });
    const r = await cli("db", "status", "--db", db, "--max-age", "30d");
    expect(r.code).toBe(0);
    expect(r.out).toContain("(stale)");
    expect(r.err).toMatch(
      /warning: the vulnerability database is \d+ days old \(more than 30d\); run "airbag db update"/,
    );
    expect((await cli("db", "status", "--db", db, "--max-age", "soon")).code).toBe(2);
  });

  it("update downloads the named sources; a failing one exits 2 naming it and its URL", async () => {
    const db = join(work, "u.sqlite");
    const sources = join(work, "sources.yaml");
    writeFileSync(sources, `kev: ${base}/kev.json\nepss: ${base}/missing.csv.gz\n`);
    const ok = await cli("db", "update", "--db", db, "--sources-file", sources, "--source", "kev");
    expect(ok).toMatchObject({ code: 0, out: "kev: updated (2 records)\n" });
    const again = await cli("db", "update", "--db", db, "--sources-file", sources, "--source", "kev");
    expect(again.out).toBe("kev: unchanged\n");
    const bad = await cli("db", "update", "--db", db, "--sources-file", sources, "--source", "kev", "epss");
    expect(bad.code).toBe(2);
    expect(bad.out).toBe("kev: unchanged\nepss: failed\n");
    expect(bad.err).toContain(`airbag: db update: epss: ${base}/missing.csv.gz: HTTP 404 Not Found`);
    const unknown = await cli("db", "update", "--db", db, "--sources-file", sources, "--source", "ghsa");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--source ghsa: unknown source/);
  });

  it("reads durations and prints ages", () => {
    expect(parseAge("7d")).toBe(7 * 86400_000);
    expect(parseAge("36h")).toBe(36 * 3600_000);
    expect(parseAge("2")).toBe(2 * 86400_000);
    expect(() => parseAge("1y")).toThrow(/--max-age 1y/);
    expect(humanAge(600)).toBe("10 min");
    expect(humanAge(5 * 3600)).toBe("5 h");
    expect(humanAge(9 * 86400)).toBe("9 days");
  });
});
