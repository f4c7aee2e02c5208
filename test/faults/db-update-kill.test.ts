import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scan } from "../../src/scan.js";
import { loadSources, selectSources } from "../../src/vulndb/sources.js";
import { updateDatabase } from "../../src/vulndb/updater.js";
import { buildImage, writeOciLayout } from "../support/image-builder.js";
import { startFeedServer, type ThrottledFeedServer } from "./feed-server.js";

/**
 * `airbag db update` (the built CLI, a child process) SIGKILLed at seeded points: inside a feed's body
 * (a throttled loopback feed server counts the chunks it sent) or while it builds its copy of the
 * database. Every time, the database beside it still opens and a scan (scan(), what `airbag scan`
 * runs) of a small Alpine + npm image finds exactly what it found before the update (or, when the kill
 * came after the atomic rename, exactly what the finished update finds — never anything in between);
 * the next update succeeds and leaves nothing but the database in its directory.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const FX = join(ROOT, "test/fixtures/vulndb");
const skip = !existsSync(CLI)
  ? "dist/cli/main.js missing (npm run build)"
  : zipMissing()
    ? "zip is not installed (apt-get install zip)"
    : undefined;
if (skip) console.warn(`[faults/db-update-kill] skipped: ${skip}`);
const work = mkdtempSync(join(tmpdir(), "airbag-fault-db-"));
const fixture = (p: string) => readFileSync(join(FX, p));

/** Deterministic delays: mulberry32 with a fixed seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An EPSS feed padded with many rows, so that building the database copy takes a while. */
function epss(rows: number, score: string): Buffer {
  const lines = [fixture("epss/epss_scores-sample.csv").toString().trimEnd()];
  for (let i = 1; i <= rows; i++) lines.push(`CVE-2099-${String(i).padStart(6, "0")},${score},0.5`);
  return gzipSync(`${lines.join("\n")}\n`);
}

function zipMissing(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v zip"], { stdio: "ignore" });
    return false;
  } catch {
    return true;
  }
}

/** A zip of OSV fixture records, made with the system's zip (osv.dev's exports are plain zips). */
function osvZip(name: string, records: string[]): Buffer {
  const dir = join(work, `zip-${name}`);
  mkdirSync(dir, { recursive: true });
  execFileSync("zip", [
    "-q",
    "-j",
    join(dir, "all.zip"),
    ...records.map((r) => join(FX, "osv", `${r}.json`)),
  ]);
  return readFileSync(join(dir, "all.zip"));
}

/** Publication "a" (the database before) and "b" (what the killed updates were fetching). */
function publish(feeds: ThrottledFeedServer, which: "a" | "b"): void {
  const alpine = fixture("alpine/v3.15/main.yaml").toString();
  feeds.set("/osv/npm/all.zip", osvZip("npm", ["MAL-2025-20690"]));
  feeds.set("/debian/json", fixture("debian/vunnel-debian.json"));
  // b: xz gets a second advisory — a finding a scan can tell apart
  feeds.set(
    "/alpine/main.yaml",
    which === "a"
      ? alpine
      : alpine.replace("      - CVE-2022-1271", "      - CVE-2022-1271\n      - CVE-2099-0001"),
  );
  feeds.set("/alpine/community.yaml", fixture("alpine/v3.15/community.yaml"));
  feeds.set("/kev.json", fixture("kev/known_exploited_vulnerabilities.json"));
  feeds.set("/epss.csv.gz", epss(60_000, which === "a" ? "0.001" : "0.002"), 16_384);
}

const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: work,
  XDG_CACHE_HOME: join(work, "cache"),
  XDG_CONFIG_HOME: join(work, "config"),
});

describe.skipIf(skip)("airbag db update killed at random points", () => {
  let feeds: ThrottledFeedServer;
  let sourcesFile: string;
  let layout: string;
  const baseline = join(work, "baseline", "db.sqlite");

  // the uninterrupted updates and the scans run in-process (a CLI start costs seconds on a busy CI
  // box); only the update that gets killed is the real CLI in a child process
  const update = async (db: string) =>
    updateDatabase(db, {
      sources: selectSources(await loadSources({ sourcesFile, env: env() })), // all but nvd, as the CLI
      http: { attempts: 2, retryDelayMs: 10, timeoutMs: 10_000 },
      warn: () => {},
    });
  const findings = async (db: string) => {
    const report = await scan(`oci:${layout}:1`, { db, scanners: ["vuln"], cache: false });
    return JSON.stringify(report.findings);
  };

  beforeAll(async () => {
    feeds = await startFeedServer({ chunkBytes: 512, chunkDelayMs: 15 });
    sourcesFile = join(work, "sources.yaml");
    writeFileSync(
      sourcesFile,
      [
        `osv: { baseUrl: "${feeds.base}/osv", ecosystems: [npm] }`,
        `debian: ${feeds.base}/debian/json`,
        `alpine: [${feeds.base}/alpine/main.yaml, ${feeds.base}/alpine/community.yaml]`,
        `kev: ${feeds.base}/kev.json`,
        `epss: ${feeds.base}/epss.csv.gz`,
      ].join("\n"),
    );
    layout = join(work, "image");
    const img = await buildImage({
      layers: [
        {
          "etc/os-release": 'ID=alpine\nVERSION_ID=3.15.4\nPRETTY_NAME="Alpine Linux v3.15"\n',
          "lib/apk/db/installed":
            "P:xz\nV:5.2.5-r0\nA:x86_64\no:xz\n\nP:zeromq\nV:4.3.0-r0\nA:x86_64\no:zeromq\n\n",
          "app/node_modules/flatmap-stream/package.json": '{"name":"flatmap-stream","version":"0.1.1"}',
        },
      ],
    });
    await writeOciLayout(layout, img, "1");
    publish(feeds, "a");
    mkdirSync(join(work, "baseline"));
    await update(baseline);
    publish(feeds, "b");
  }, 30_000);

  afterAll(async () => {
    await feeds?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("leaves the previous database usable after every kill; the next update succeeds and cleans up", async () => {
    const before = await findings(baseline);
    expect(before).toContain("CVE-2022-1271");
    expect(before).toContain("MAL-2025-20690");
    expect(before).not.toContain("CVE-2099-0001");

    // one uninterrupted update from the same starting point: what it ends with
    const full = join(work, "full", "db.sqlite");
    mkdirSync(join(work, "full"));
    copyFileSync(baseline, full);
    await update(full);
    const after = await findings(full);
    expect(after).toContain("CVE-2099-0001");

    // kill points: inside a feed's body (the server's own byte count says where), or once the
    // copy is being built (its temp file exists) plus a few ms; which feed, which chunk, how many
    // ms come from a fixed seed
    const random = seeded(10);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)] as T;
    const bodies = ["/debian/json", "/kev.json", "/epss.csv.gz", "/osv/npm/all.zip"];
    const plan = [
      ...[0, 1, 2].map(() => ({
        phase: "download" as const,
        path: pick(bodies),
        chunk: 1 + Math.floor(random() * 3),
      })),
      ...[0, 1].map(() => ({ phase: "build" as const, ms: Math.floor(random() * 20) })),
    ];
    const landed: string[] = [];
    for (const [round, kill] of plan.entries()) {
      const dir = join(work, `kill-${round}`);
      mkdirSync(dir);
      const db = join(dir, "db.sqlite");
      copyFileSync(baseline, db);
      const child = spawn(
        process.execPath,
        [CLI, "db", "update", "--db", db, "--sources-file", sourcesFile],
        {
          env: env(),
          stdio: "ignore",
        },
      );
      const exit = once(child, "exit");
      if (kill.phase === "download") {
        let chunks = 0;
        const cut = new Promise<void>((done) => {
          feeds.onSent = (path) => {
            if (path === kill.path && ++chunks === kill.chunk) done();
          };
        });
        await Promise.race([cut, exit]);
        feeds.onSent = undefined;
      } else {
        const building = () => readdirSync(dir).some((f) => f.includes(".tmp-"));
        for (let i = 0; i < 3000 && !building() && child.exitCode === null; i++)
          await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, kill.ms));
      }
      child.kill("SIGKILL");
      const [code, signal] = (await exit) as [number | null, string | null];
      if (signal !== "SIGKILL") expect(code).toBe(0);
      const left = readdirSync(dir).filter((f) => f !== "db.sqlite");
      const phase =
        signal !== "SIGKILL"
          ? "finished"
          : left.some((f) => f.includes(".tmp-"))
            ? "build"
            : left.length
              ? "download"
              : "other";

      // the database opens and answers exactly one of the two states, never a mixture
      const now = await findings(db);
      expect([before, after]).toContain(now);
      // a body still arriving or a half-built copy: nothing was renamed yet
      if (kill.phase === "download") expect(`${phase} ${now === before}`).toBe("download true");
      if (phase === "build") expect(now).toBe(before);
      landed.push(
        `${kill.phase === "download" ? `${kill.path}#${kill.chunk}` : `build+${kill.ms}ms`}→${phase}${now === after ? "+renamed" : ""}`,
      );

      const next = await update(db);
      expect(next.sources.every((x) => x.status !== "failed")).toBe(true);
      expect(await findings(db)).toBe(after);
      expect(readdirSync(dir)).toEqual(["db.sqlite"]); // no download dir, no half-built copy or its journal
    }
    // at least one kill hit the build itself (the download ones are certain by construction)
    expect(landed.filter((l) => l.endsWith("→build")).length, landed.join(" ")).toBeGreaterThanOrEqual(1);
    console.log(`kills: ${landed.join(" ")}`);
  }, 40_000);
});
