import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SeverityCounts } from "../../src/model/index.js";
import { buildServer, type Server } from "../../src/server/app.js";
import type { ServerOptions } from "../../src/server/context.js";
import type { ServerStore } from "../../src/server/store/types.js";
import { VulnDb } from "../../src/vulndb/store.js";
import { buildImage, writeOciLayout } from "../support/image-builder.js";

/**
 * The admission webhook and scan-on-push against the real `airbag serve` (SQLite store, real routes and
 * auth) over real HTTP on 127.0.0.1, with the AdmissionReview v1 fixtures; scan-on-push with the Debian
 * docker-registry sending its notifications to the server and a real in-process scan worker.
 */

// biome-ignore lint/suspicious/noExplicitAny: AdmissionReview JSON, edited and read by the tests
type Review = Record<string, any>;
const fixture = (name: string): Review =>
  JSON.parse(readFileSync(new URL(`../fixtures/admission/${name}.json`, import.meta.url), "utf8"));
const EXPORTER_DIGEST = "sha256:0b1f2e3d4c5b6a79880716253443526170819fa0b1c2d3e4f5a6b7c8d9e0f1a2";
const counts = (c: Partial<SeverityCounts> = {}): SeverityCounts => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  unknown: 0,
  ...c,
});
let n = 0;
async function putScan(store: ServerStore, ref: string, c: Partial<SeverityCounts> = {}, digest?: string) {
  n++;
  const d = digest ?? `sha256:${n.toString(16).padStart(64, "0")}`;
  await store.putScan({
    digest: d,
    refs: [ref],
    scannedAt: new Date().toISOString(),
    summary: counts(c),
    kinds: {},
  });
  return d;
}

/** a pod review for one image, from the Pod fixture, with a fresh uid */
function podReview(image: string, uid = `uid-${++n}`): Review {
  const r = fixture("pod-create");
  r.request.uid = uid;
  r.request.object.spec.containers = [{ name: "app", image }];
  return r;
}

async function post(base: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/admission`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Review };
}

async function start(tmp: string, name: string, o: ServerOptions): Promise<{ server: Server; base: string }> {
  const server = await buildServer({
    stateDir: join(tmp, name),
    database: `sqlite:${join(tmp, `${name}.sqlite`)}`,
    inProcessWorkers: 0,
    dbWatchMs: 0,
    warn: () => {},
    ...o,
  });
  return { server, base: await server.listen("127.0.0.1", 0) };
}

/** make the store fail as a broken disk or a lost database connection would */
function breakStore(store: ServerStore): () => void {
  const { getScan, listScans } = store;
  store.getScan = async () => {
    throw new Error("SQLITE_IOERR: disk I/O error");
  };
  store.listScans = async () => {
    throw new Error("SQLITE_IOERR: disk I/O error");
  };
  return () => Object.assign(store, { getScan, listScans });
}

describe("POST /admission (default policy: scan required, critical denies, fail closed)", () => {
  let tmp: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "airbag-admission-"));
    ({ server, base } = await start(tmp, "a", {}));
    const s = server.ctx.store;
    await putScan(s, "registry.example.com/team-a/web:1.4.2", { high: 4, medium: 10 });
    await putScan(s, "registry.example.com/team-a/exporter", {}, EXPORTER_DIGEST);
    await putScan(s, "registry.example.com/team-b/migrate:2.0");
    await putScan(s, "registry.example.com/team-b/api:2.0", { critical: 1, high: 2 });
    await putScan(s, "registry.example.com/team-b/api:2.1", { high: 1 });
    // stored fully qualified; the pod says nginx:1.25
    await putScan(s, "docker.io/library/nginx:1.25");
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("allows a pod whose images are scanned and within policy (by tag and by digest), uid copied", async () => {
    const r = await post(base, fixture("pod-create"));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true },
    });
    expect(r.body.response.status).toBeUndefined();
  });

  it("denies a Deployment with a critical image, naming the image, its container and why", async () => {
    const r = await post(base, fixture("deployment-create"));
    expect(r.body.response.uid).toBe("b3c1f2a0-8d7e-4f6a-9c2b-1e0d3f4a5b6c");
    expect(r.body.response.allowed).toBe(false);
    expect(r.body.response.status).toEqual({
      code: 403,
      message:
        "airbag denied 1 of 3 images: registry.example.com/team-b/api:2.0 (api): 1 critical finding (policy denies critical)",
    });
  });

  it("denies an unscanned image and queues one scan for it, however often it is asked", async () => {
    const first = await post(base, fixture("cronjob-create"));
    expect(first.body.response.uid).toBe("c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f");
    expect(first.body.response.allowed).toBe(false);
    const m =
      /registry\.example\.com\/team-c\/report:7 \(report\): not scanned; scan queued as job (\S+)$/.exec(
        first.body.response.status.message,
      );
    expect(m).not.toBeNull();
    const job = await server.ctx.store.getJob(m![1]!);
    expect(job).toMatchObject({
      target: "registry:registry.example.com/team-c/report:7",
      origin: "admission",
      state: "queued",
    });
    const again = await post(base, fixture("cronjob-create"));
    expect(again.body.response.status.message).toContain(`job ${m![1]}`);
    const jobs = await server.ctx.store.listJobs({ state: "queued" });
    expect(jobs.filter((j) => j.target === "registry:registry.example.com/team-c/report:7")).toHaveLength(1);
  });

  it("a dry run queues nothing (sideEffects: NoneOnDryRun)", async () => {
    const r = await post(base, fixture("pod-dryrun"));
    expect(r.body.response.allowed).toBe(false);
    expect(r.body.response.status.message).toContain(
      "registry.example.com/team-a/probe:0.1 (probe): not scanned",
    );
    expect(r.body.response.status.message).toContain("busybox:1.36 (debugger): not scanned");
    const jobs = await server.ctx.store.listJobs({});
    expect(jobs.some((j) => j.target.includes("probe") || j.target.includes("busybox"))).toBe(false);
  });

  it("on UPDATE gates the changed image only", async () => {
    const r = await post(base, fixture("deployment-update"));
    expect(r.body.response).toMatchObject({ uid: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", allowed: true });
    // the critical api:2.0 kept while only a label changes: already running, not gated again
    const keep = fixture("deployment-update");
    keep.request.object.spec.template.spec.containers[0].image = "registry.example.com/team-b/api:2.0";
    keep.request.oldObject.spec.template.spec.containers[0].image = "registry.example.com/team-b/api:2.0";
    expect((await post(base, keep)).body.response.allowed).toBe(true);
    // …but rolling back TO it is gated
    keep.request.oldObject.spec.template.spec.containers[0].image = "registry.example.com/team-b/api:2.1";
    expect((await post(base, keep)).body.response.allowed).toBe(false);
  });

  it("serves warm verdicts without touching the store, and a newly stored scan replaces a cached one", async () => {
    const store = server.ctx.store;
    const image = "registry.example.com/team-d/cache:1";
    await putScan(store, image, { critical: 2 });
    expect((await post(base, podReview(image))).body.response.allowed).toBe(false);
    let queries = 0;
    const { getScan, listScans } = store;
    store.getScan = (...a) => {
      queries++;
      return getScan.apply(store, a);
    };
    store.listScans = (...a) => {
      queries++;
      return listScans.apply(store, a);
    };
    try {
      for (let i = 0; i < 50; i++)
        expect((await post(base, podReview(image))).body.response.allowed).toBe(false);
      expect(queries).toBe(0);
      // a rebuilt image was scanned clean: the worker stores it and calls the hooks (as app.ts does)
      const d = await putScan(store, image);
      for (const f of server.ctx.onScanStored) f(d);
      expect((await post(base, podReview(image))).body.response.allowed).toBe(true);
      expect(queries).toBeGreaterThan(0);
    } finally {
      Object.assign(store, { getScan, listScans });
    }
  });

  it("fails closed when the store cannot be read", async () => {
    const restore = breakStore(server.ctx.store);
    try {
      const r = await post(base, podReview("registry.example.com/team-e/fresh:1", "uid-closed"));
      expect(r.body.response).toMatchObject({ uid: "uid-closed", allowed: false, status: { code: 503 } });
      expect(r.body.response.status.message).toBe(
        "airbag: cannot read scan results (SQLITE_IOERR: disk I/O error); denied (failurePolicy closed)",
      );
    } finally {
      restore();
    }
  });

  it("answers a bad review with 400, as an AdmissionReview when the uid is readable", async () => {
    const noImage = podReview("x:1", "uid-bad");
    delete noImage.request.object.spec.containers[0].image;
    const r = await post(base, noImage);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "uid-bad",
        allowed: false,
        status: {
          code: 400,
          message: "AdmissionReview request.object: spec.containers[0].image is missing or not a string",
        },
      },
    });
    const v1beta1 = await post(base, { ...podReview("x:1"), apiVersion: "admission.k8s.io/v1beta1" });
    expect(v1beta1.status).toBe(400);
    expect(v1beta1.body.response.status.message).toMatch(/apiVersion "admission.k8s.io\/v1beta1" is not/);
    const notJson = await post(base, "{ not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBeTypeOf("string");
  });

  it("bounds the body size", async () => {
    const huge = podReview("x:1");
    huge.request.object.metadata.annotations = { blob: "x".repeat(7 * 1024 * 1024) };
    const r = await post(base, huge);
    expect(r.status).toBe(413);
  });
});

describe("POST /admission (warn-only, fail open, admission token)", () => {
  let tmp: string;
  let server: Server;
  let base: string;
  const auth = { authorization: "Bearer adm-secret-1" };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "airbag-admission-warn-"));
    ({ server, base } = await start(tmp, "b", {
      admission: { warnOnly: true, failurePolicy: "open", token: "adm-secret-1" },
    }));
    await putScan(server.ctx.store, "registry.example.com/team-b/api:2.0", { critical: 3 });
    await putScan(server.ctx.store, "registry.example.com/team-b/migrate:2.0");
    await putScan(server.ctx.store, "docker.io/library/nginx:1.25");
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("needs the admission token", async () => {
    expect((await post(base, fixture("deployment-create"))).status).toBe(401);
    expect((await post(base, fixture("deployment-create"), { authorization: "Bearer wrong" })).status).toBe(
      401,
    );
  });

  it("admits what it would deny, with a warning naming the image and why", async () => {
    const r = await post(base, fixture("deployment-create"), auth);
    expect(r.body.response.allowed).toBe(true);
    expect(r.body.response.warnings).toEqual([
      "airbag: registry.example.com/team-b/api:2.0 (api): 3 critical findings (policy denies critical)",
    ]);
  });

  it("fails open when the store cannot be read, and says so", async () => {
    const restore = breakStore(server.ctx.store);
    try {
      const r = await post(base, podReview("registry.example.com/team-e/fresh:2", "uid-open"), auth);
      expect(r.body.response).toMatchObject({ uid: "uid-open", allowed: true });
      expect(r.body.response.warnings[0]).toMatch(
        /cannot read scan results .*admitted \(failurePolicy open\)/,
      );
    } finally {
      restore();
    }
  });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("registry scan-on-push (Debian docker-registry notifications → scan job → admission)", () => {
  let tmp: string;
  let server: Server;
  let base: string;
  let registry: ChildProcess | undefined;
  let regPort: number;
  let token: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "airbag-scan-on-push-"));
    VulnDb.open(join(tmp, "vuln.sqlite")).close();
    ({ server, base } = await start(tmp, "c", {
      inProcessWorkers: 1,
      vulnDb: join(tmp, "vuln.sqlite"),
      queue: { pollMs: 100 },
    }));
    token = (await server.ctx.store.createToken({ name: "registry", role: "agent" })).secret;
    regPort = await freePort();
    writeFileSync(
      join(tmp, "registry.yml"),
      [
        "version: 0.1",
        "log: { level: error }",
        `storage: { filesystem: { rootdirectory: ${join(tmp, "regdata")} } }`,
        `http: { addr: 127.0.0.1:${regPort} }`,
        "notifications:",
        "  endpoints:",
        "    - name: airbag",
        `      url: ${base}/api/v1/registry/events`,
        `      headers: { Authorization: [Bearer ${token}] }`,
        "      timeout: 2s",
        "      threshold: 3",
        "      backoff: 1s",
        "",
      ].join("\n"),
    );
    registry = spawn("docker-registry", ["serve", join(tmp, "registry.yml")], { stdio: "ignore" });
    await waitFor("the registry", () =>
      fetch(`http://127.0.0.1:${regPort}/v2/`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    );
  }, 60_000);
  afterAll(async () => {
    registry?.kill("SIGTERM");
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("refuses notifications without an agent token", async () => {
    const body = readFileSync(new URL("../fixtures/admission/registry-push-manifest.json", import.meta.url));
    const headers = { "content-type": "application/vnd.docker.distribution.events.v1+json" };
    const r = await fetch(`${base}/api/v1/registry/events`, { method: "POST", headers, body });
    expect(r.status).toBe(401);
    const bad = await fetch(`${base}/api/v1/registry/events`, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${token}` },
      body: JSON.stringify({ nothing: true }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not an envelope/);
  });

  it("a skopeo push is scanned and the pushed digest is then admitted", async () => {
    const img = await buildImage({
      layers: [{ "etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n", "app/hello.txt": "hello\n" }],
    });
    await writeOciLayout(join(tmp, "layout"), img, "1");
    execFileSync("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      `oci:${join(tmp, "layout")}:1`,
      `docker://127.0.0.1:${regPort}/team/app:1`,
    ]);
    const digest = img.manifest.digest;
    const target = `registry:127.0.0.1:${regPort}/team/app:1@${digest}`;
    const job = await waitFor("the scan job to finish", async () => {
      const j = (await server.ctx.store.listJobs({})).find((x) => x.target === target);
      return j && (j.state === "done" || j.state === "failed") ? j : undefined;
    });
    expect(job).toMatchObject({ origin: "registry-notification", state: "done" });
    expect(await server.ctx.store.getScan(digest)).toMatchObject({ digest });
    const r = await post(base, podReview(`127.0.0.1:${regPort}/team/app@${digest}`, "uid-pushed"));
    expect(r.body.response).toMatchObject({ uid: "uid-pushed", allowed: true });
    // and by the tag it was pushed under
    const byTag = await post(base, podReview(`127.0.0.1:${regPort}/team/app:1`, "uid-tag"));
    expect(byTag.body.response).toMatchObject({ uid: "uid-tag", allowed: true });
    // layer pushes notified too, but only the manifest became a job
    expect(
      (await server.ctx.store.listJobs({})).filter((j) => j.origin === "registry-notification"),
    ).toHaveLength(1);
  }, 90_000);
});
