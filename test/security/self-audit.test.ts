import { execFileSync, spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/model/index.js";
import { CLI } from "./serve-child.js";

/**
 * Airbag audits its own dependencies with its own scanner: a vulnerability DB built from real npm
 * advisories bundled in test/fixtures/self-audit/ (GHSA records from github/advisory-database and
 * ossf/malicious-packages, see NOTICE.md) and `airbag scan dir:… --scanners vuln` over a copy of the
 * repository's package-lock.json. Every package npm itself lists is inventoried, the current lockfile
 * has no finding — and the same lockfile with `semver` downgraded into GHSA-c2qf-rxjj-qqgw IS flagged,
 * so a broken matcher or an empty DB cannot pass as "clean".
 */

const ROOT = join(import.meta.dirname, "../..");
const FIXTURES = join(ROOT, "test/fixtures/self-audit");
let tmp: string;
let db: string;

const airbag = (...args: string[]) =>
  execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

async function scanLockfile(lock: unknown, name: string): Promise<Report> {
  const dir = join(tmp, name);
  await mkdir(dir);
  await writeFile(join(dir, "package-lock.json"), JSON.stringify(lock, null, 2));
  await copyFile(join(ROOT, "package.json"), join(dir, "package.json"));
  const out = join(tmp, `${name}.json`);
  airbag("scan", `dir:${dir}`, "--db", db, "--scanners", "vuln", "--format", "json", "-o", out);
  return JSON.parse(await readFile(out, "utf8")) as Report;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-self-audit-"));
  db = join(tmp, "db.sqlite");
  expect(airbag("db", "import", "--db", db, FIXTURES)).toMatch(/5 records/);
}, 30_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("self-audit: Airbag's own package-lock.json through its own scanner", () => {
  let lock: { packages: Record<string, { version?: string }> };

  beforeAll(async () => {
    lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8"));
  });

  it("inventories every package npm has installed and finds nothing in the current lockfile", async () => {
    const report = await scanLockfile(lock, "current");
    const have = new Set(
      report.packages.filter((p) => p.ecosystem === "npm").map((p) => `${p.name}@${p.version}`),
    );
    // npm's own view of the installed tree: "PATH:NAME@VERSION[:…]" per package, the root first
    // (npm ls exits 1 on an extraneous or missing optional package but still prints the tree)
    const listed = spawnSync("npm", ["ls", "--all", "--parseable", "--long"], { cwd: ROOT, encoding: "utf8" })
      .stdout.trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(":")[1] as string);
    expect(listed.length).toBeGreaterThan(100);
    expect(listed.filter((p) => !have.has(p))).toEqual([]);
    // the lockfile also pins optional/platform packages npm did not install here: never fewer
    expect(have.size).toBeGreaterThanOrEqual(new Set(listed).size);
    expect(report.findings).toEqual([]);
  }, 30_000);

  it("flags the same lockfile with semver downgraded into GHSA-c2qf-rxjj-qqgw (negative control)", async () => {
    const copy = structuredClone(lock);
    const entry = copy.packages["node_modules/semver"];
    expect(entry?.version).toMatch(/^7\./);
    (entry as { version: string }).version = "7.5.1";
    const report = await scanLockfile(copy, "downgraded");
    // findings are named by CVE when the advisory has one; the GHSA id is among the aliases
    const ids = (f: { id: string; aliases?: string[] }) => [f.id, ...(f.aliases ?? [])];
    const hits = report.findings.filter((f) => f.kind === "vulnerability");
    const hit = hits.find((f) => ids(f).includes("GHSA-c2qf-rxjj-qqgw"));
    const semver = report.packages.find((p) => p.name === "semver" && p.version === "7.5.1");
    expect(hit).toMatchObject({
      id: "CVE-2022-25883",
      package: semver?.id,
      installedVersion: "7.5.1",
      fixedVersion: "7.5.2",
    });
    // nothing else in the lockfile moved: that one finding only
    expect(hits).toHaveLength(1);
  }, 30_000);
});
