import { execFile, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineClient, parseEngineUrl } from "../../src/engine/index.js";
import { BUSYBOX, type PodmanService, podmanBusyboxSkipReason, startPodman } from "../support/podman.js";

/**
 * `airbag sbom|scan engine:REF` against a hermetic podman system service (Docker-compatible API on a
 * unix socket, RECIPES.md): a tiny busybox image imported with `podman import`, exported by the API's
 * `GET /images/{name}/get`, read as a docker archive from a temp file that is gone afterwards.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const skip = podmanBusyboxSkipReason();
if (skip) console.warn(`[integration/engine] skipped: ${skip}`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

function expectOneLineError(r: Run, ...mentions: string[]) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^airbag: /);
  for (const m of mentions) expect(r.stderr).toContain(m);
  expect(r.stdout).toBe("");
}

const STATUS = `Package: busybox-static
Status: install ok installed
Architecture: amd64
Version: 1:1.35.0-4+deb12u1
Description: Standalone rescue shell with tons of builtin utilities
`;

describe.skipIf(!!skip)("engine: images from a podman system service (Docker API)", () => {
  let podman: PodmanService;
  let tmp: string;
  let scratch: string;
  let engine: string;

  beforeAll(async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    try {
      execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "ignore" });
    } catch {
      /* emitted anyway; a missing CLI fails every test below */
    }
    podman = await startPodman();
    engine = `unix://${podman.socket}`;
    tmp = await mkdtemp(join(tmpdir(), "airbag-enginetest-"));
    scratch = join(tmp, "scratch");
    await mkdir(scratch);
    const rootfs = join(tmp, "rootfs");
    await mkdir(join(rootfs, "bin"), { recursive: true });
    await mkdir(join(rootfs, "etc"), { recursive: true });
    await mkdir(join(rootfs, "var/lib/dpkg"), { recursive: true });
    execFileSync("cp", [BUSYBOX, join(rootfs, "bin/busybox")]);
    for (const c of ["sh", "ls", "cat"]) await symlink("busybox", join(rootfs, "bin", c));
    await writeFile(
      join(rootfs, "etc/os-release"),
      'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    );
    await writeFile(join(rootfs, "var/lib/dpkg/status"), STATUS);
    execFileSync("tar", ["-C", rootfs, "-cf", join(tmp, "bb.tar"), "."]);
    await podman.podman(["import", join(tmp, "bb.tar"), "localhost/bb:1"]);
  });

  afterAll(async () => {
    await podman?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("negotiates the API version with the engine", async () => {
    const client = await EngineClient.connect(parseEngineUrl(engine, "test"));
    try {
      expect(client.apiVersion).toMatch(/^1\.\d+$/);
      expect(Number(client.apiVersion.split(".")[1])).toBeGreaterThanOrEqual(24);
      expect(client.version.Components?.some((c) => /podman/i.test(c.Name ?? ""))).toBe(true);
    } finally {
      client.close();
    }
  });

  it("lists the packages of an engine image and leaves no temp file behind", async () => {
    const r = await cli(["sbom", "engine:localhost/bb:1", "--engine", engine, "--format", "json"], {
      TMPDIR: scratch,
    });
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout);
    expect(inv.target).toMatchObject({ kind: "engine", name: "engine:localhost/bb:1" });
    expect(inv.target.os).toMatchObject({ family: "debian", version: "12" });
    expect(inv.packages.map((p: { name: string; version: string }) => `${p.name}@${p.version}`)).toEqual([
      "busybox-static@1:1.35.0-4+deb12u1",
    ]);
    expect(await readdir(scratch)).toEqual([]);
  });

  it("scans an engine image found through $DOCKER_HOST", async () => {
    const r = await cli(["scan", "engine:localhost/bb:1", "--scanners", "misconfig", "--format", "json"], {
      DOCKER_HOST: engine,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.target.kind).toBe("engine");
    expect(report.packages).toHaveLength(1);
    expect(report.findings.some((f: { id: string }) => f.id === "CIS-DI-0001")).toBe(true);
  });

  it("an image the engine does not have → exit 2, one line, temp dir removed", async () => {
    const r = await cli(["sbom", "engine:localhost/nope:1", "--engine", engine], { TMPDIR: scratch });
    expectOneLineError(r, "no such image", "localhost/nope:1");
    expect(await readdir(scratch)).toEqual([]);
  });

  it("an engine that is not there → exit 2, one line naming the socket", async () => {
    const r = await cli(["sbom", "engine:localhost/bb:1", "--engine", `unix://${tmp}/missing.sock`]);
    expectOneLineError(r, `${tmp}/missing.sock`, "cannot reach");
  });
});
