import { execFileSync, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirbagError } from "../../src/model/index.js";
import { databaseStatus } from "../../src/vulndb/db-status.js";
import { loadSources, selectSources } from "../../src/vulndb/sources.js";
import { VulnDb } from "../../src/vulndb/store.js";
import { type UpdateOptions, updateDatabase } from "../../src/vulndb/updater.js";

/**
 * `airbag db update` against a real HTTP server on 127.0.0.1 serving the real fixture feeds
 * (test/fixtures/vulndb): conditional requests, replacement of a changed feed, retries, failures,
 * NVD paging and a SIGKILL'd update in a child process.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const FX = join(ROOT, "test/fixtures/vulndb");
const NOW = new Date("2026-01-02T03:04:05Z");
const DAY = 24 * 3600 * 1000;
const work = mkdtempSync(join(tmpdir(), "airbag-db-update-"));

interface Feed {
  body: Buffer;
  etag: string;
  lastModified: string;
  /** statuses answered before the body, one per request (503, 500, …) */
  failures: number[];
  retryAfter?: string;
  /** send headers and half the body, then hang */
  stall?: boolean;
}

/** A feed server that logs every request and answers conditional ones like a CDN. */
class FeedServer {
  readonly feeds = new Map<string, Feed>();
  readonly handlers = new Map<string, (q: URLSearchParams) => { status: number; body: string }>();
  readonly log: { path: string; query: URLSearchParams; headers: IncomingHttpHeaders; at: number }[] = [];
  readonly events = new EventEmitter();
  private version = 0;
  private readonly server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    this.log.push({ path: u.pathname, query: u.searchParams, headers: req.headers, at: Date.now() });
    const handler = this.handlers.get(u.pathname);
    if (handler) {
      const { status, body } = handler(u.searchParams);
      res.writeHead(status, { "content-type": "application/json" }).end(body);
      return;
    }
    const feed = this.feeds.get(u.pathname);
    if (!feed) return void res.writeHead(404).end("not found");
    const failure = feed.failures.shift();
    if (failure) {
      res.writeHead(failure, feed.retryAfter ? { "retry-after": feed.retryAfter } : {}).end("busy");
      return;
    }
    if (req.headers["if-none-match"] === feed.etag) return void res.writeHead(304).end();
    res.writeHead(200, {
      etag: feed.etag,
      "last-modified": feed.lastModified,
      "content-length": feed.body.length,
    });
    if (feed.stall) {
      res.write(feed.body.subarray(0, feed.body.length >> 1));
      this.events.emit("stalled", u.pathname);
      return;
    }
    res.end(feed.body);
  });
  base = "";

  async start(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
  set(path: string, body: Buffer | string, extra: Partial<Feed> = {}): void {
    const n = ++this.version;
    const lastModified = new Date(Date.UTC(2025, 0, 1) + n * DAY).toUTCString();
    this.feeds.set(path, { body: Buffer.from(body), etag: `"v${n}"`, lastModified, failures: [], ...extra });
  }
  requests(path: string) {
    return this.log.filter((r) => r.path === path);
  }
}

const srv = new FeedServer();
beforeAll(() => srv.start());
afterAll(() => {
  srv.stop();
  rmSync(work, { recursive: true, force: true });
});

const fixture = (p: string) => readFileSync(join(FX, p));

/** A zip of OSV fixture records, made with the system's zip (as osv.dev's exports are plain zips). */
function osvZip(name: string, records: string[]): Buffer {
  const dir = join(work, `zip-${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const files = records.map((r) => join(FX, "osv", `${r}.json`));
  execFileSync("zip", ["-q", "-j", join(dir, "all.zip"), ...files]);
  return readFileSync(join(dir, "all.zip"));
}

function kevWithout(cve: string): Buffer {
  const doc = JSON.parse(fixture("kev/known_exploited_vulnerabilities.json").toString()) as {
    vulnerabilities: { cveID: string }[];
  };
  doc.vulnerabilities = doc.vulnerabilities.filter((v) => v.cveID !== cve);
  return Buffer.from(JSON.stringify(doc));
}

/** Every feed but NVD under `/<prefix>/…`. */
function publish(prefix: string): void {
  srv.set(`/${prefix}/osv/Go/all.zip`, osvZip("go", ["GO-2022-0969", "GHSA-f5pg-7wfw-84q9"]));
  srv.set(`/${prefix}/osv/npm/all.zip`, osvZip("npm", ["MAL-2025-20690"]));
  srv.set(`/${prefix}/osv/Maven/all.zip`, osvZip("maven", ["GHSA-jfh8-c2jp-5v3q"]));
  srv.set(`/${prefix}/debian/json`, fixture("debian/vunnel-debian.json"));
  srv.set(`/${prefix}/alpine/v3.15/main.yaml`, fixture("alpine/v3.15/main.yaml"));
  srv.set(`/${prefix}/alpine/v3.15/community.yaml`, fixture("alpine/v3.15/community.yaml"));
  srv.set(`/${prefix}/kev.json`, fixture("kev/known_exploited_vulnerabilities.json"));
  srv.set(`/${prefix}/epss.csv.gz`, gzipSync(fixture("epss/epss_scores-sample.csv")));
}

/** The sources through a real sources file (as `--sources-file`), pointed at the test server. */
async function sources(prefix: string, names?: string[], env: NodeJS.ProcessEnv = {}) {
  const b = `${srv.base}/${prefix}`;
  const file = join(work, `${prefix}-sources.yaml`);
  writeFileSync(
    file,
    [
      `osv: { baseUrl: "${b}/osv", ecosystems: [Go, npm, Maven] }`,
      `debian: ${b}/debian/json`,
      `alpine: [${b}/alpine/v3.15/main.yaml, ${b}/alpine/v3.15/community.yaml]`,
      `nvd: { url: "${b}/nvd/cves/2.0", resultsPerPage: 10, delayMs: 0 }`,
      `kev: ${b}/kev.json`,
      `epss: ${b}/epss.csv.gz`,
    ].join("\n"),
  );
  return selectSources(await loadSources({ sourcesFile: file, env: { HOME: work, ...env } }), names);
}

const fast = { attempts: 3, retryDelayMs: 10, timeoutMs: 10_000 };
const run = async (dbPath: string, opts: Partial<UpdateOptions> & Pick<UpdateOptions, "sources">) =>
  updateDatabase(dbPath, { http: fast, now: () => NOW, warn: () => {}, ...opts });
const statusOf = (dbPath: string) => databaseStatus(dbPath, { now: () => NOW });
const withDb = <T>(dbPath: string, f: (db: VulnDb) => T): T => {
  const db = VulnDb.open(dbPath, { readonly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
};

describe("db update", () => {
  it("imports every feed, then answers 304s without rebuilding", async () => {
    publish("a");
    const dbPath = join(work, "a", "db.sqlite");
    const warnings: string[] = [];
    const first = await run(dbPath, { sources: await sources("a"), warn: (m) => warnings.push(m) });
    // problems in a feed are named by its URL, not by the temp file it was downloaded to
    expect(warnings).toContain(
      `${srv.base}/a/kev.json: vulnerabilities[2].cveID missing or not a CVE id; skipped`,
    );
    expect(warnings.filter((w) => w.includes(".download-"))).toEqual([]);
    expect(first.rebuilt).toBe(true);
    expect(first.sources.map((s) => [s.name, s.status])).toEqual([
      ["osv", "updated"],
      ["debian", "updated"],
      ["alpine", "updated"],
      ["kev", "updated"],
      ["epss", "updated"],
    ]);
    withDb(dbPath, (db) => {
      expect(db.get("osv", "GO-2022-0969")?.affected[0]?.ecosystem).toBe("Go");
      expect(db.get("osv", "MAL-2025-20690")).toBeDefined();
      expect(db.get("debian-tracker", "CVE-2022-0456")).toBeDefined();
      expect(db.advisoriesFor("Alpine:v3.15", "xz").map((a) => a.id)).toContain("CVE-2022-1271");
      expect(db.kev("CVE-2021-44228")).toBeDefined();
      expect(db.epss("CVE-2014-0160")?.score).toBeCloseTo(0.94467);
    });
    const before = statusOf(dbPath);
    expect(before.sources.osv).toMatchObject({ records: 4, updatedAt: NOW.toISOString() });
    expect(before.sources.kev?.records).toBe(2);
    const inode = statSync(dbPath).ino;

    const sent = srv.log.length;
    const later = new Date(NOW.getTime() + DAY);
    const second = await run(dbPath, { sources: await sources("a"), now: () => later });
    expect(second.rebuilt).toBe(false);
    expect(second.sources.every((s) => s.status === "unchanged")).toBe(true);
    expect(statSync(dbPath).ino).toBe(inode); // not replaced
    const again = srv.log.slice(sent);
    expect(again).toHaveLength(8);
    for (const r of again) {
      const feed = srv.feeds.get(r.path)!;
      expect(r.headers["if-none-match"]).toBe(feed.etag);
      expect(r.headers["if-modified-since"]).toBe(feed.lastModified);
    }
    const after = statusOf(dbPath);
    expect(after.counts).toEqual(before.counts);
    expect(after.sources.osv).toMatchObject({ records: 4, checkedAt: later.toISOString() });
    expect(after.checkedAt).toBe(later.toISOString());
  });

  it("replaces a changed feed's records: a removed advisory disappears, other feeds stay", async () => {
    publish("b");
    const dbPath = join(work, "b.sqlite");
    await run(dbPath, { sources: await sources("b") });
    srv.set("/b/osv/Go/all.zip", osvZip("go2", ["GO-2022-0969"])); // GHSA-f5pg withdrawn from the feed
    srv.set("/b/kev.json", kevWithout("CVE-2021-3156"));
    srv.set(
      "/b/alpine/v3.15/main.yaml",
      fixture("alpine/v3.15/main.yaml").toString().replace("CVE-2022-1271", "CVE-2099-0001"),
    );
    const sent = srv.log.length;
    const r = await run(dbPath, { sources: await sources("b") });
    expect(r.sources.find((s) => s.name === "osv")?.status).toBe("updated");
    expect(r.sources.find((s) => s.name === "debian")?.status).toBe("unchanged");
    withDb(dbPath, (db) => {
      expect(db.get("osv", "GHSA-f5pg-7wfw-84q9")).toBeUndefined();
      expect(db.get("osv", "GO-2022-0969")).toBeDefined();
      expect(db.get("osv", "MAL-2025-20690")).toBeDefined(); // npm zip answered 304: kept
      expect(db.get("osv", "GHSA-jfh8-c2jp-5v3q")).toBeDefined();
      expect(db.kev("CVE-2021-3156")).toBeUndefined();
      expect(db.kev("CVE-2021-44228")).toBeDefined();
      expect(db.advisoriesFor("Alpine:v3.15", "xz").map((a) => a.id)).not.toContain("CVE-2022-1271");
      expect(db.get("debian-tracker", "CVE-2022-0456")).toBeDefined();
    });
    expect(statusOf(dbPath).sources.kev?.records).toBe(1);
    const log = srv.log.slice(sent);
    // only the changed osv ecosystem was downloaded; Alpine's unchanged half was fetched again in full
    expect(
      log.filter((q) => q.path === "/b/osv/npm/all.zip").map((q) => !!q.headers["if-none-match"]),
    ).toEqual([true]);
    expect(
      log.filter((q) => q.path === "/b/alpine/v3.15/community.yaml").map((q) => !!q.headers["if-none-match"]),
    ).toEqual([true, false]);
  });

  it("retries a 503, waiting as long as Retry-After asks", async () => {
    publish("c");
    srv.feeds.get("/c/kev.json")!.failures.push(503);
    srv.feeds.get("/c/kev.json")!.retryAfter = "1";
    const dbPath = join(work, "c.sqlite");
    const r = await run(dbPath, { sources: await sources("c", ["kev"]) });
    expect(r.sources[0]).toMatchObject({ name: "kev", status: "updated", records: 2 });
    const [a, b] = srv.requests("/c/kev.json");
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
  });

  it("a failing source is NETWORK naming it; the others are committed and its old data kept", async () => {
    publish("d");
    const dbPath = join(work, "d.sqlite");
    await run(dbPath, { sources: await sources("d", ["kev", "epss"]) });
    srv.set("/d/kev.json", kevWithout("CVE-2021-3156"));
    srv.feeds.get("/d/epss.csv.gz")!.failures.push(500, 500, 500);
    const done: string[] = [];
    const err = await run(dbPath, {
      sources: await sources("d", ["kev", "epss"]),
      onProgress: (e) => {
        if (e.phase === "done") done.push(`${e.source}:${e.status}`);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as AirbagError).code).toBe("NETWORK");
    expect((err as AirbagError).message).toContain(`epss: ${srv.base}/d/epss.csv.gz: HTTP 500`);
    expect((err as AirbagError).message).toMatch(/gave up after 3 attempts.*the other sources were updated/);
    expect(done).toEqual(["kev:updated", "epss:failed"]);
    withDb(dbPath, (db) => {
      expect(db.kev("CVE-2021-3156")).toBeUndefined();
      expect(db.epss("CVE-2014-0160")).toBeDefined();
    });
    // a 404 is not retried
    srv.feeds.delete("/d/epss.csv.gz");
    const sent = srv.log.length;
    const e404 = await run(dbPath, { sources: await sources("d", ["epss"]) }).catch((e: unknown) => e);
    expect((e404 as Error).message).toMatch(/epss: .*epss\.csv\.gz: HTTP 404/);
    expect(srv.log.length - sent).toBe(1);
  });

  it("gives up on a server that stops sending, after the configured timeout", async () => {
    publish("t");
    srv.set("/t/kev.json", fixture("kev/known_exploited_vulnerabilities.json"), { stall: true });
    const dbPath = join(work, "t.sqlite");
    const progress: number[] = [];
    const started = Date.now();
    const err = await run(dbPath, {
      sources: await sources("t", ["kev"]),
      http: { attempts: 2, retryDelayMs: 10, timeoutMs: 300 },
      onProgress: (e) => {
        if (e.phase === "download") progress.push(e.bytes);
      },
    }).catch((e: unknown) => e);
    expect((err as AirbagError).code).toBe("NETWORK");
    expect((err as Error).message).toMatch(
      /kev: .*kev\.json: no data for 0\.3 s after \d+ bytes \(gave up after 2 attempts\)/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(srv.requests("/t/kev.json")).toHaveLength(2);
    expect(progress.length).toBeGreaterThan(0); // the half body was reported while it arrived
    expect(existsSync(dbPath)).toBe(false); // nothing succeeded: no database made up
  });

  it("pages through the NVD API with the API key, then asks only for what changed", async () => {
    const page = JSON.parse(fixture("nvd/vunnel-full-page.json").toString()) as {
      vulnerabilities: unknown[];
    };
    const all = page.vulnerabilities;
    let changed: unknown[] = [];
    srv.handlers.set("/e/nvd/cves/2.0", (q) => {
      const list = q.has("lastModStartDate") ? changed : all;
      const start = Number(q.get("startIndex"));
      const size = Number(q.get("resultsPerPage"));
      const vulnerabilities = list.slice(start, start + size);
      return {
        status: 200,
        body: JSON.stringify({
          resultsPerPage: vulnerabilities.length,
          startIndex: start,
          totalResults: list.length,
          format: "NVD_CVE",
          version: "2.0",
          timestamp: "2026-01-02T03:04:05.000",
          vulnerabilities,
        }),
      };
    });
    const dbPath = join(work, "e.sqlite");
    const nvd = await sources("e", undefined, { NVD_API_KEY: "k-123" });
    expect(nvd.map((s) => s.name)).toContain("nvd"); // a key puts nvd in the default set
    const first = await run(dbPath, { sources: nvd.filter((s) => s.name === "nvd") });
    expect(first.sources[0]).toMatchObject({ status: "updated", records: 38 });
    const reqs = srv.requests("/e/nvd/cves/2.0");
    expect(reqs.map((r) => r.query.get("startIndex"))).toEqual(["0", "10", "20", "30"]);
    expect(reqs.every((r) => r.headers.apikey === "k-123" && r.query.get("resultsPerPage") === "10")).toBe(
      true,
    );
    expect(statusOf(dbPath).sources.nvd?.records).toBe(38);

    // 200 days later: two windows (NVD allows 120 days at most), nothing changed → no rebuild
    const inode = statSync(dbPath).ino;
    const later = new Date(NOW.getTime() + 200 * DAY);
    const sent = srv.log.length;
    const second = await run(dbPath, { sources: nvd.filter((s) => s.name === "nvd"), now: () => later });
    expect(second.sources[0]?.status).toBe("unchanged");
    expect(statSync(dbPath).ino).toBe(inode);
    const windows = srv.log
      .slice(sent)
      .map((r) => [r.query.get("lastModStartDate"), r.query.get("lastModEndDate")]);
    const iso = (t: number) => new Date(t).toISOString().replace("Z", "+00:00");
    expect(windows).toEqual([
      [iso(NOW.getTime()), iso(NOW.getTime() + 120 * DAY)],
      [iso(NOW.getTime() + 120 * DAY), iso(later.getTime())],
    ]);

    // a changed record is upserted; the rest stay; the window starts where the last check ended
    changed = [all[0]];
    const sent3 = srv.log.length;
    const third = await run(dbPath, {
      sources: nvd.filter((s) => s.name === "nvd"),
      now: () => new Date(later.getTime() + DAY),
    });
    expect(srv.log[sent3]?.query.get("lastModStartDate")).toBe(iso(later.getTime()));
    expect(third.sources[0]).toMatchObject({ status: "updated", records: 1 });
    expect(statusOf(dbPath).sources.nvd?.records).toBe(38);
  });
});

describe("a killed update", () => {
  /** Run src/ TypeScript in a child node: a loader hook that strips types with the typescript package. */
  function childRunner(): { register: string; script: string } {
    const dir = join(work, "child");
    mkdirSync(dir, { recursive: true });
    const ts = pathToFileURL(join(ROOT, "node_modules/typescript/lib/typescript.js")).href;
    writeFileSync(
      join(dir, "loader.mjs"),
      `import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from ${JSON.stringify(ts)};
export async function resolve(specifier, context, next) {
  if (/^\\.\\.?\\//.test(specifier) && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
    const js = new URL(specifier, context.parentURL);
    const tsUrl = new URL(js.href.slice(0, -3) + ".ts");
    if (!existsSync(js) && existsSync(tsUrl)) return { url: tsUrl.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const out = ts.transpileModule(readFileSync(new URL(url), "utf8"), {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: "module", source: out.outputText, shortCircuit: true };
}
`,
    );
    writeFileSync(
      join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "loader.mjs")).href)});\n`,
    );
    const updater = pathToFileURL(join(ROOT, "src/vulndb/updater.ts")).href;
    writeFileSync(
      join(dir, "update.mjs"),
      `const { updateDatabase } = await import(${JSON.stringify(updater)});
const [dbPath, url] = process.argv.slice(2);
await updateDatabase(dbPath, { sources: [{ name: "kev", urls: [{ url }], writes: ["kev"] }], http: { timeoutMs: 600000 } });
`,
    );
    return { register: join(dir, "register.mjs"), script: join(dir, "update.mjs") };
  }

  it("SIGKILL mid-download leaves the previous database as it was; the next run cleans up", async () => {
    publish("k");
    const dbPath = join(work, "k", "db.sqlite");
    await run(dbPath, { sources: await sources("k", ["kev", "epss"]) });
    const before = statusOf(dbPath);

    srv.set("/k/kev.json", kevWithout("CVE-2021-3156"), { stall: true });
    const { register, script } = childRunner();
    const child = spawn(process.execPath, ["--import", register, script, dbPath, `${srv.base}/k/kev.json`], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = once(child, "exit");
    await Promise.race([
      once(srv.events, "stalled"),
      exited.then(() => {
        throw new Error(`child exited before the download: ${stderr}`);
      }),
    ]);
    const downloads = join(work, "k", `db.sqlite.download-${child.pid}`);
    for (let i = 0; i < 200; i++) {
      const files = existsSync(downloads) ? readdirSync(downloads) : [];
      if (files.some((f) => statSync(join(downloads, f)).size > 0)) break;
      await sleep(25);
    }
    const partial = readdirSync(downloads).map((f) => statSync(join(downloads, f)).size);
    expect(partial.some((size) => size > 0)).toBe(true); // really mid-download
    child.kill("SIGKILL");
    await exited;

    expect(existsSync(downloads)).toBe(true); // what the killed run left behind
    expect(statusOf(dbPath)).toEqual(before); // still openable, same content
    withDb(dbPath, (db) => expect(db.kev("CVE-2021-3156")).toBeDefined());

    // a copy a killed build left (dead pid) goes too; the next update succeeds
    const dead = spawn(process.execPath, ["-e", ""]);
    await once(dead, "exit");
    const staleCopy = `${dbPath}.tmp-${dead.pid}-1`;
    writeFileSync(staleCopy, "half a database");
    srv.set("/k/kev.json", kevWithout("CVE-2021-3156"));
    const r = await run(dbPath, { sources: await sources("k", ["kev"]) });
    expect(r.sources[0]?.status).toBe("updated");
    expect(existsSync(downloads)).toBe(false);
    expect(existsSync(staleCopy)).toBe(false);
    withDb(dbPath, (db) => expect(db.kev("CVE-2021-3156")).toBeUndefined());
  });
});
