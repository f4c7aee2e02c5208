import { execFile, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltImage, buildImage, writeOciLayout } from "../support/image-builder.js";
import {
  pushLayout,
  putManifest,
  type RunningRegistry,
  registrySkipReason,
  startRegistry,
  writeMultiArchLayout,
} from "../support/registry.js";
import { startProxy } from "../support/registry-proxy.js";

/**
 * `airbag sbom|scan registry:REF` against the real Debian docker-registry on loopback, images pushed
 * with skopeo: single-arch, a multi-arch OCI index, token auth (loopback issuer) with credentials from
 * a docker config.json and from a credential helper, and the bad cases (404, wrong digest, truncated
 * blob, 503 with Retry-After, schema 1, non-image artifact), each one line and exit 2.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const skip = registrySkipReason();
if (skip) console.warn(`[integration/registry] skipped: ${skip}`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const t0 = Date.now();
  return new Promise((res) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        res({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

function expectOneLineError(r: Run, ...mentions: string[]) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^airbag: /);
  for (const m of mentions) expect(r.stderr).toContain(m);
  // nothing partial: no inventory or report on stdout
  expect(r.stdout).toBe("");
}

const OS_RELEASE = `NAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n`;

function dpkgStatus(pkgs: [string, string, string][]): string {
  return pkgs
    .map(
      ([name, version, arch]) =>
        `Package: ${name}\nStatus: install ok installed\nArchitecture: ${arch}\nVersion: ${version}\nDescription: x\n`,
    )
    .join("\n");
}

function debianImage(arch: string, pkgs: [string, string, string][], extra: Record<string, string> = {}) {
  return buildImage({
    architecture: arch,
    layers: [
      {
        "usr/lib/os-release": OS_RELEASE,
        "etc/os-release": { type: "symlink", target: "../usr/lib/os-release" },
      },
      { "var/lib/dpkg/status": dpkgStatus(pkgs), ...extra },
    ],
  });
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe.skipIf(!!skip)("registry: targets from a real docker-registry on loopback", () => {
  let reg: RunningRegistry;
  let authReg: RunningRegistry;
  let tmp: string;
  let anon: NodeJS.ProcessEnv;
  let app: BuiltImage;
  let corrupt: BuiltImage;
  let indexDigest: string;
  let arm: BuiltImage;
  let big: BuiltImage;

  beforeAll(async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    // the same as `npm run build`; other stages' type errors must not stop the emit this test needs
    try {
      execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "ignore" });
    } catch {
      /* emitted anyway (noEmitOnError is off); a missing CLI fails every test below */
    }
    tmp = await mkdtemp(join(tmpdir(), "airbag-regtest-"));
    await mkdir(join(tmp, "empty-docker-config"));
    anon = { DOCKER_CONFIG: join(tmp, "empty-docker-config"), DOCKER_HOST: "" };
    [reg, authReg] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: "token", users: { alice: "s3cret" } }),
    ]);

    app = await debianImage("amd64", [
      ["libacl1", "2.3.1-3", "amd64"],
      ["bash", "5.2.15-2+b2", "amd64"],
    ]);
    await writeOciLayout(join(tmp, "app"), app, "1");
    await pushLayout(reg, join(tmp, "app"), "team/app:1", { tag: "1" });
    await pushLayout(authReg, join(tmp, "app"), "private/app:1", { tag: "1", creds: "alice:s3cret" });

    const amd = await debianImage("amd64", [["hello", "2.10-3", "amd64"]]);
    arm = await debianImage("arm64", [
      ["hello", "2.10-3", "arm64"],
      ["arm-only", "1.0", "arm64"],
    ]);
    indexDigest = await writeMultiArchLayout(
      join(tmp, "multi"),
      [
        ["amd64", amd],
        ["arm64", arm],
      ],
      "multi",
    );
    await pushLayout(reg, join(tmp, "multi"), "multi:1", { tag: "multi", all: true });

    // 4 MiB that gzip cannot shrink: the body arrives in many chunks
    big = await debianImage("amd64", [["big", "1.0", "amd64"]], {
      "opt/blob.bin": randomBytes(4 << 20).toString("base64"),
    });
    await writeOciLayout(join(tmp, "big"), big, "1");
    await pushLayout(reg, join(tmp, "big"), "big:1", { tag: "1" });

    // its own blobs (the registry stores a blob once for all repositories)
    corrupt = await debianImage("amd64", [["victim", "1.0", "amd64"]], { "etc/unique": "corrupt-me" });
    await writeOciLayout(join(tmp, "corrupt"), corrupt, "1");
    await pushLayout(reg, join(tmp, "corrupt"), "corrupt:1", { tag: "1" });
  });

  afterAll(async () => {
    await Promise.all([reg?.stop(), authReg?.stop()]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const sbom = (ref: string, extra: string[] = [], env = anon) =>
    cli(["sbom", ref, "--format", "json", ...extra], env);
  const names = (r: Run) =>
    (JSON.parse(r.stdout).packages as { name: string; version: string; arch?: string }[])
      .map((p) => `${p.name}@${p.version}`)
      .sort();

  it("lists the packages of an image pulled from the registry, verified digest in the report", async () => {
    const r = await sbom(`registry:${reg.address}/team/app:1`);
    expect(r.code, r.stderr).toBe(0);
    expect(names(r)).toEqual(["bash@5.2.15-2+b2", "libacl1@2.3.1-3"]);
    const target = JSON.parse(r.stdout).target;
    expect(target).toMatchObject({
      kind: "registry",
      digest: app.manifest.digest,
      name: `${reg.address}/team/app:1`,
    });
    expect(target.os).toMatchObject({ family: "debian", version: "12" });
    expect(target.layers.map((l: { diffId: string }) => l.diffId)).toEqual(app.layers.map((l) => l.diffId));
  });

  it("takes a bare reference and a digest-pinned one", async () => {
    const bare = await sbom(`${reg.address}/team/app:1`);
    expect(bare.code, bare.stderr).toBe(0);
    expect(names(bare)).toContain("bash@5.2.15-2+b2");
    const pinned = await sbom(`registry:${reg.address}/team/app@${app.manifest.digest}`);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(JSON.parse(pinned.stdout).target.digest).toBe(app.manifest.digest);
  });

  it("scans a registry image (airbag scan, misconfig scanner)", async () => {
    const r = await cli(
      ["scan", `registry:${reg.address}/team/app:1`, "--scanners", "misconfig", "--format", "json"],
      anon,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.packages.map((p: { name: string }) => p.name).sort()).toEqual(["bash", "libacl1"]);
    expect(report.findings.some((f: { id: string }) => f.id === "CIS-DI-0001")).toBe(true);
  });

  it("picks a platform from a multi-arch index pushed with skopeo --all", async () => {
    const def = await sbom(`registry:${reg.address}/multi:1`, ["--platform", "linux/amd64"]);
    expect(def.code, def.stderr).toBe(0);
    expect(names(def)).toEqual(["hello@2.10-3"]);
    const a = await sbom(`registry:${reg.address}/multi:1`, ["--platform", "linux/arm64"]);
    expect(a.code, a.stderr).toBe(0);
    expect(names(a)).toEqual(["arm-only@1.0", "hello@2.10-3"]);
    expect(JSON.parse(a.stdout).target.digest).toBe(arm.manifest.digest);
    const byIndex = await sbom(`registry:${reg.address}/multi@${indexDigest}`, ["--platform", "linux/arm64"]);
    expect(names(byIndex)).toEqual(["arm-only@1.0", "hello@2.10-3"]);
    const none = await sbom(`registry:${reg.address}/multi:1`, ["--platform", "linux/s390x"]);
    expectOneLineError(none, "no manifest for platform linux/s390x", "linux/amd64, linux/arm64");
  });

  it("token auth: credentials from config.json auths, sent to the loopback token issuer", async () => {
    const cfgDir = join(tmp, "docker-auths");
    await mkdir(cfgDir, { recursive: true });
    const auth = Buffer.from("alice:s3cret").toString("base64");
    await writeFile(
      join(cfgDir, "config.json"),
      JSON.stringify({ auths: { [`http://${authReg.address}`]: { auth } } }),
    );
    const before = authReg.tokenRequests.length;
    const r = await sbom(`registry:${authReg.address}/private/app:1`, [], { DOCKER_CONFIG: cfgDir });
    expect(r.code, r.stderr).toBe(0);
    expect(names(r)).toEqual(["bash@5.2.15-2+b2", "libacl1@2.3.1-3"]);
    const ours = authReg.tokenRequests.slice(before);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((t) => t.user === "alice" && t.status === 200)).toBe(true);
    expect(ours[0]!.scopes).toContain("repository:private/app:pull");
  });

  it("token auth: credentials from a docker-credential helper (credHelpers)", async () => {
    const cfgDir = join(tmp, "docker-helper");
    const bin = join(tmp, "bin");
    await mkdir(cfgDir, { recursive: true });
    await mkdir(bin, { recursive: true });
    const helper = join(bin, "docker-credential-airbagtest");
    // the helper protocol: server URL on stdin, JSON on stdout
    await writeFile(
      helper,
      `#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "${authReg.address}" ] || { echo "credentials not found in native keychain"; exit 1; }\necho '{"ServerURL":"'$server'","Username":"alice","Secret":"s3cret"}'\n`,
    );
    await chmod(helper, 0o755);
    await writeFile(
      join(cfgDir, "config.json"),
      JSON.stringify({ credHelpers: { [authReg.address]: "airbagtest" } }),
    );
    const r = await sbom(`registry:${authReg.address}/private/app:1`, [], {
      DOCKER_CONFIG: cfgDir,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(names(r)).toContain("libacl1@2.3.1-3");
  });

  it("basic auth: a registry behind a Basic-auth front gets the config.json credentials", async () => {
    const expected = `Basic ${Buffer.from("bob:pw").toString("base64")}`;
    const front = await startProxy(reg, (req) =>
      req.headers.authorization === expected
        ? "pass"
        : { status: 401, headers: { "www-authenticate": 'Basic realm="airbag test"' } },
    );
    const cfgDir = join(tmp, "docker-basic");
    await mkdir(cfgDir, { recursive: true });
    await writeFile(
      join(cfgDir, "config.json"),
      JSON.stringify({ auths: { [front.address]: { username: "bob", password: "pw" } } }),
    );
    try {
      const r = await sbom(`registry:${front.address}/team/app:1`, [], { DOCKER_CONFIG: cfgDir });
      expect(r.code, r.stderr).toBe(0);
      expect(names(r)).toEqual(["bash@5.2.15-2+b2", "libacl1@2.3.1-3"]);
      const none = await sbom(`registry:${front.address}/team/app:1`);
      expectOneLineError(none, "authentication required", "401");
    } finally {
      front.server.close();
    }
  });

  it("token auth: no or wrong credentials → exit 2, one line", async () => {
    const none = await sbom(`registry:${authReg.address}/private/app:1`);
    expectOneLineError(none, authReg.address, "authentication required");
    const cfgDir = join(tmp, "docker-wrong");
    await mkdir(cfgDir, { recursive: true });
    await writeFile(
      join(cfgDir, "config.json"),
      JSON.stringify({ auths: { [authReg.address]: { username: "alice", password: "nope" } } }),
    );
    const wrong = await sbom(`registry:${authReg.address}/private/app:1`, [], { DOCKER_CONFIG: cfgDir });
    expectOneLineError(wrong, "refused the credentials", "alice");
  });

  it("unknown tag and unknown repository → exit 2, one line naming the reference", async () => {
    const tag = await sbom(`registry:${reg.address}/team/app:nope`);
    expectOneLineError(tag, `${reg.address}/team/app:nope`, "not found", "404");
    const repo = await sbom(`registry:${reg.address}/nothing/here:1`);
    expectOneLineError(repo, "not found");
  });

  it("a blob whose content does not match its digest aborts the run, nothing printed", async () => {
    const layer = corrupt.layers[1]!;
    const file = reg.blobFile(layer.digest);
    const original = await readFile(file);
    const bad = Buffer.from(original);
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0xff; // same size, different bytes
    await writeFile(file, bad);
    try {
      const r = await sbom(`registry:${reg.address}/corrupt:1`, ["--no-cache"]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      // gzip's own CRC may notice first; either way the blob named is the corrupted one
      expect(r.stderr).toMatch(/digest mismatch|invalid|corrupt|incorrect|check/i);
      expect(r.stderr).toContain(layer.digest.slice(0, 20));
    } finally {
      await writeFile(file, original);
    }
  });

  it.each([
    ["small (cut before the headers are read)", () => app, "team/app"],
    ["large (cut mid-stream)", () => big, "big"],
  ])("a truncated blob download aborts the run with one line: %s", async (_, image, repo) => {
    const digest = image().layers[1]!.digest;
    const proxy = await startProxy(reg, (req) =>
      req.url?.endsWith(`/blobs/${digest}`) ? "truncate" : "pass",
    );
    try {
      // --no-cache: an earlier test may have cached this layer, and a cached layer is never downloaded
      const r = await sbom(`registry:${proxy.address}/${repo}:1`, ["--no-cache"]);
      expectOneLineError(r, digest.slice(0, 20));
      expect(r.stderr).toMatch(/interrupted after \d+ bytes|closed before the answer was complete/);
      expect(proxy.seen.some((s) => s.includes(digest) && s.endsWith("truncate"))).toBe(true);
    } finally {
      proxy.server.close();
    }
  });

  it("retries 503 and 429 answers, waiting as Retry-After says", async () => {
    let failures = 0;
    const proxy = await startProxy(reg, (req) => {
      if (req.url?.includes("/blobs/") && failures < 2) {
        failures++;
        return { status: failures === 1 ? 503 : 429, headers: { "retry-after": "1" } };
      }
      return "pass";
    });
    try {
      const r = await sbom(`registry:${proxy.address}/team/app:1`);
      expect(r.code, r.stderr).toBe(0);
      expect(names(r)).toContain("bash@5.2.15-2+b2");
      expect(proxy.seen.filter((s) => / (503|429)$/.test(s))).toHaveLength(2);
      expect(r.ms).toBeGreaterThanOrEqual(2000);
    } finally {
      proxy.server.close();
    }
  });

  it("refuses a Docker schema 1 manifest with a clear message", async () => {
    const schema1 = JSON.stringify({ schemaVersion: 1, name: "old", tag: "1", fsLayers: [], history: [] });
    const proxy = await startProxy(reg, (req) =>
      req.url?.includes("/manifests/")
        ? {
            status: 200,
            headers: { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws" },
            body: schema1,
          }
        : "pass",
    );
    try {
      expectOneLineError(await sbom(`registry:${proxy.address}/old:1`), "schema 1", "not supported");
    } finally {
      proxy.server.close();
    }
  });

  it("refuses a non-image artifact (a Helm chart) with exit 2", async () => {
    const cfg = Buffer.from(JSON.stringify({ name: "chart", version: "1.0.0" }));
    const chart = Buffer.from("not a tarball of a root filesystem");
    await putManifest(reg, "charts/app", "1.0.0", [cfg, chart], {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.cncf.helm.config.v1+json",
        digest: sha256(cfg),
        size: cfg.length,
      },
      layers: [
        {
          mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
          digest: sha256(chart),
          size: chart.length,
        },
      ],
    });
    const r = await sbom(`registry:${reg.address}/charts/app:1.0.0`);
    expectOneLineError(r, "application/vnd.cncf.helm.config.v1+json", "not a container image");
  });

  it("a TLS registry with an untrusted certificate needs --insecure", async () => {
    const tls = await startRegistry({ tls: true });
    try {
      await pushLayout(tls, join(tmp, "app"), "app:1", { tag: "1" });
      const refused = await sbom(`registry:${tls.address}/app:1`);
      expectOneLineError(refused, tls.address, "TLS certificate not trusted", "--insecure");
      const r = await sbom(`registry:${tls.address}/app:1`, ["--insecure"]);
      expect(r.code, r.stderr).toBe(0);
      expect(names(r)).toEqual(["bash@5.2.15-2+b2", "libacl1@2.3.1-3"]);
    } finally {
      await tls.stop();
    }
  });

  it("an unreachable registry is a one-line network error", async () => {
    const dead = await startProxy(reg, () => "pass");
    const address = dead.address;
    await new Promise((r) => dead.server.close(r));
    const r = await sbom(`registry:${address}/team/app:1`);
    expectOneLineError(r, address, "cannot connect");
  });
});
