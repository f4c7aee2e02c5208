import { execFile, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finalStageCopies, logicalLines, stageRuntime } from "./stage-runtime.js";

/**
 * Airbag's own image definition: the Dockerfile linter finds nothing at medium or above, the build
 * context and the runtime stage ship only what they should, and `airbag scan` over the runtime tree
 * the Containerfile produces finds no secrets and no malware.
 */

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");
const cli = join(repo, "dist", "cli", "main.js");
const containerfile = readFileSync(join(repo, "Containerfile"), "utf8");
const RANK: Record<string, number> = { unknown: 0, low: 1, medium: 2, high: 3, critical: 4 };

interface Finding {
  kind: string;
  id: string;
  severity: string;
  location?: { path?: string };
  path?: string;
}

interface Suppressed {
  finding: Finding;
  reason: string;
}

interface Scanned {
  staged: ReturnType<typeof stageRuntime>;
  findings: Finding[];
  suppressed: Suppressed[];
}

const scanDir = async (root: string, scanners: string) => {
  const { stdout } = await run(
    "node",
    [cli, "scan", `dir:${root}`, "--scanners", scanners, "--format", "json"],
    { cwd: repo, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as {
    findings: Finding[];
    suppressed: Suppressed[];
    metadata: { durationMs: number };
  };
};

/** Stage the runtime tree and scan it (≈30 s): started first, so the lint tests run meanwhile. */
async function stageAndScan(root: string): Promise<Scanned> {
  const staged = stageRuntime(repo, root);
  const report = await scanDir(root, "secret,malware,misconfig");
  console.log(`image-clean: scanned the staged runtime tree in ${report.metadata.durationMs} ms`);
  return { staged, findings: report.findings, suppressed: report.suppressed };
}

let tmp: string;
let scanned: Promise<Scanned>;
beforeAll(() => {
  if (!existsSync(cli)) execFileSync("npm", ["run", "build"], { cwd: repo, stdio: "inherit" });
  tmp = mkdtempSync(join(tmpdir(), "airbag-deploy-test-"));
  scanned = stageAndScan(join(tmp, "rootfs"));
  // reported by the tests that await it, not as an unhandled rejection
  scanned.catch(() => {});
});
afterAll(async () => {
  await scanned?.catch(() => {});
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const lint = async (file: string) => {
  // `lint` exits 0 without --fail-on; findings come back as JSON
  const { stdout } = await run("node", [cli, "lint", file, "--format", "json"], { cwd: repo });
  return JSON.parse(stdout) as { findings: Finding[] };
};

describe("Containerfile", () => {
  it("has no lint findings at medium or above (airbag lint)", async () => {
    const { findings } = await lint(join(repo, "Containerfile"));
    expect(findings.filter((f) => (RANK[f.severity] ?? 0) >= RANK.medium!)).toEqual([]);
    // and none at all today: the base is pinned by digest and the user is not root
    expect(findings.map((f) => f.id)).toEqual([]);
  });

  it("the linter does see the rules this file satisfies (a weakened copy is flagged)", async () => {
    const weakened = containerfile
      .replace(/@sha256:[0-9a-f]{64}/, "")
      .replace(/^USER 10001:10001$/m, "USER root");
    expect(weakened).not.toEqual(containerfile);
    const file = join(tmp, "Containerfile.weak");
    writeFileSync(file, weakened);
    const ids = (await lint(file)).findings.map((f) => f.id);
    expect(ids).toContain("AB1001");
    expect(ids).toContain("DL3002");
  });

  it("builds with npm ci + npm run build, ships dist/schemas/data/src/web/prod node_modules, runs non-root", () => {
    const lines = logicalLines(containerfile);
    expect(lines.some((l) => /npm ci --ignore-scripts/.test(l))).toBe(true);
    expect(lines.some((l) => /npm run build/.test(l))).toBe(true);
    expect(lines.some((l) => /npm ci --omit=dev/.test(l))).toBe(true);
    // the trims stage-runtime.ts mirrors when it stages the runtime tree
    expect(
      lines.some((l) => /^RUN npm run build\s+&&\s+find dist .*'\*\.d\.ts'.*'\*\.map'.* -delete$/.test(l)),
    ).toBe(true);
    expect(
      lines.some((l) => /rm -rf node_modules\/better-sqlite3\/build .*find node_modules .*-delete$/.test(l)),
    ).toBe(true);
    const copies = finalStageCopies(containerfile);
    const shipped = copies.map((c) => `${c.from ?? "context"}:${c.sources.join(",")}`).sort();
    expect(shipped).toEqual(
      [
        "context:package.json",
        "context:schemas",
        "context:data",
        "context:src/web",
        "build:/src/dist",
        "deps:/src/node_modules",
      ].sort(),
    );
    // every FROM is the pinned NODE_IMAGE or an earlier stage
    const stages: string[] = [];
    for (const l of lines.filter((x) => /^FROM /.test(x))) {
      const [, image, name] = /^FROM (\S+)(?: AS (\S+))?$/.exec(l) ?? [];
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Containerfile's literal ARG reference
      expect(image === "${NODE_IMAGE}" || stages.includes(image ?? ""), l).toBe(true);
      if (name) stages.push(name);
    }
    expect(containerfile).toMatch(/^ARG NODE_IMAGE=\S+:[\w.-]+@sha256:[0-9a-f]{64}$/m);
    expect(lines).toContain('ENTRYPOINT ["node", "/app/dist/cli/main.js"]');
    expect(lines.filter((l) => /^USER /.test(l)).at(-1)).toBe("USER 10001:10001");
    expect(lines.some((l) => /^HEALTHCHECK .*CMD \["node"/.test(l))).toBe(true);
    // nothing fetched and piped into a shell, no secret-looking build args
    expect(lines.join("\n")).not.toMatch(/\b(?:curl|wget)\b/);
    expect(lines.filter((l) => /^(ARG|ENV) /.test(l)).join("\n")).not.toMatch(/TOKEN|SECRET|PASSWORD|KEY/i);
  });

  it(".containerignore admits exactly the build context the Containerfile copies", () => {
    const ignore = readFileSync(join(repo, ".containerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const admitted = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, ""));
    const needed = logicalLines(containerfile)
      .filter((l) => /^COPY /.test(l) && !/--from=/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const n of needed)
      expect(
        admitted.some((a) => n === a || n.startsWith(`${a}/`)),
        n,
      ).toBe(true);
    for (const never of ["**/.git", "**/.env", "**/.npmrc", "**/*.key", "**/*.pem"])
      expect(ignore).toContain(never);
  });
});

describe("Airbag's image is clean", () => {
  let findings: Finding[] = [];
  let suppressed: Suppressed[] = [];
  let staged: Scanned["staged"];
  beforeAll(async () => {
    ({ findings, suppressed, staged } = await scanned);
  }, 120_000);

  const where = (f: Finding) => f.location?.path ?? f.path ?? "";

  it("stages every runtime COPY (the build would fail on a missing source)", () => {
    expect(staged.missing).toEqual([]);
    expect(existsSync(join(tmp, "rootfs/app/dist/cli/main.js"))).toBe(true);
    expect(existsSync(join(tmp, "rootfs/app/node_modules/fastify/package.json"))).toBe(true);
    expect(
      existsSync(join(tmp, "rootfs/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node")),
    ).toBe(true);
    // dev dependencies stay out
    expect(existsSync(join(tmp, "rootfs/app/node_modules/vitest"))).toBe(false);
    expect(existsSync(join(tmp, "rootfs/app/node_modules/typescript"))).toBe(false);
  });

  it("has no secret findings", () => {
    expect(findings.filter((f) => f.kind === "secret").map((f) => `${f.id} ${where(f)}`)).toEqual([]);
  });

  it("has no misconfig findings at medium or above", () => {
    const bad = findings.filter((f) => f.kind === "misconfig" && (RANK[f.severity] ?? 0) >= RANK.medium!);
    expect(bad.map((f) => `${f.id} ${where(f)}`)).toEqual([]);
  });

  it("is reported fully clean by airbag scan", () => {
    expect(findings.filter((f) => f.kind === "malware" || f.kind === "secret")).toEqual([]);
  });

  // Airbag's rule pack matches itself; the build allows those files by SHA-256 (dist/self-allow.json)
  // and the scan lists their findings as suppressed, never drops them
  const RULE_FILES = [
    "app/data/rules/malware/indicators.json",
    "app/data/rules/malware/yara/signature-base/crime_crypto_miner.yar",
    "app/data/rules/malware/yara/signature-base/pua_cryptocoin_miner.yar",
  ];

  it("lists Airbag's own rule files under suppressed, with the SHA-256 reason", () => {
    const own = suppressed.filter((s) => s.reason.startsWith("Airbag's own detection rules (sha256 "));
    expect(own.length).toBe(suppressed.filter((s) => s.finding.kind === "malware").length);
    expect([...new Set(own.map((s) => where(s.finding)))].sort()).toEqual(RULE_FILES);
    for (const s of own) expect(s.reason).toContain(` = ${where(s.finding).slice("app/".length)} of airbag `);
  });

  it("reports the same rule file with one byte changed, and a miner sample at the allowed path", async () => {
    const root = join(tmp, "tampered");
    const rules = join(root, "app/data/rules/malware");
    cpSync(join(tmp, "rootfs/app/data/rules/malware"), rules, { recursive: true });
    const yar = join(rules, "yara/signature-base/pua_cryptocoin_miner.yar");
    const bytes = readFileSync(yar);
    bytes[bytes.indexOf("rule ")] = "R".charCodeAt(0);
    writeFileSync(yar, bytes);
    copyFileSync(join(repo, "test/fixtures/malware/xmrig-config.json"), join(rules, "indicators.json"));
    const report = await scanDir(root, "malware");
    const flagged = [...new Set(report.findings.map((f) => where(f)))].sort();
    expect(flagged).toEqual([
      "app/data/rules/malware/indicators.json",
      "app/data/rules/malware/yara/signature-base/pua_cryptocoin_miner.yar",
    ]);
    expect(report.findings.map((f) => f.id)).toContain("miner.xmrig-config");
    expect(report.findings.map((f) => f.id)).toContain("yara.CoinMiner_Strings");
    // the untouched rule file is still recognised
    expect([...new Set(report.suppressed.map((s) => where(s.finding)))]).toEqual([RULE_FILES[1]]);
  }, 60_000);
});

describe("the staged runtime tree runs with production dependencies only", () => {
  // the tree lives under the temp dir, so nothing resolves from the repository's node_modules
  const app = () => join(tmp, "rootfs", "app");
  beforeAll(async () => {
    await scanned;
  }, 120_000);

  it("prints its version and loads the trimmed better-sqlite3 addon", async () => {
    const { stdout } = await run("node", [join(app(), "dist/cli/main.js"), "--version"], { cwd: tmp });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version);
    const sqlite = join(app(), "node_modules/better-sqlite3/lib/index.js");
    const probe = `import D from ${JSON.stringify(sqlite)}; console.log(new D(":memory:").prepare("select 41 + 1 as v").get().v)`;
    const r = await run("node", ["--input-type=module", "-e", probe], { cwd: tmp });
    expect(r.stdout.trim()).toBe("42");
  });

  it("serves /healthz and the dashboard (`airbag serve`, SQLite store in a temp state dir)", async () => {
    const state = join(tmp, "serve-state");
    const child = spawn(
      "node",
      [join(app(), "dist/cli/main.js"), "serve", "--listen", "127.0.0.1:0", "--state", state],
      {
        cwd: tmp,
        env: { ...process.env, XDG_CACHE_HOME: state, XDG_STATE_HOME: state },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    try {
      let log = "";
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${log}`)), 30_000);
        child.stderr.on("data", (b: Buffer) => {
          log += b.toString();
          const m = /listening on (http:\/\/\S+)/.exec(log);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`serve exited ${code}: ${log}`));
        });
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const home = await fetch(`${url}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get("content-type")).toMatch(/text\/html/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
    }
  }, 40_000);
});
