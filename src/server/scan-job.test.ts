import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, writeDockerArchive } from "../../test/support/image-builder.js";
import { importIntoDatabase } from "../vulndb/index.js";
import { digestOf, runScanJob } from "./scan-job.js";
import { SqliteStore } from "./store/sqlite.js";
import type { ScanJob } from "./store/types.js";

const ROOT = resolve(import.meta.dirname, "../..");
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
// chromium 97 is below the tracker's fix for CVE-2022-0456; the .env file carries an AWS key id
const STATUS =
  "Package: chromium\nStatus: install ok installed\nArchitecture: amd64\nVersion: 97.0.4692.99-1\n";

let tmp: string;
let db: string;
let archive: string;
let store: SqliteStore;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-scanjob-"));
  db = join(tmp, "vuln.sqlite");
  await importIntoDatabase(db, [join(ROOT, "test/fixtures/vulndb/debian/vunnel-debian.json")], {
    warn: () => {},
  });
  archive = join(tmp, "app.tar");
  await writeDockerArchive(
    archive,
    await buildImage({
      layers: [
        { "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS },
        { "app/.env": "AWS_ACCESS_KEY_ID=AKIAZ7Q3XWFHC3KB6P4M\n" },
      ],
    }),
  );
  store = SqliteStore.open(join(tmp, "server.sqlite"));
});
afterAll(async () => {
  await store.close();
  await rm(tmp, { recursive: true, force: true });
});

const job = (target: string): ScanJob => ({
  id: `j-${target}`,
  target,
  state: "running",
  origin: "api",
  createdAt: new Date().toISOString(),
  attempts: 1,
});

describe("runScanJob", () => {
  it("scans the target and stores the result under the image digest, idempotently", async () => {
    const first = await runScanJob(job(`docker-archive:${archive}`), { store, dbPath: db });
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const stored = await store.getScan(first.digest, true);
    expect(stored?.refs).toEqual([`docker-archive:${archive}`]);
    expect(stored?.kinds.vulnerability).toBeGreaterThan(0);
    expect(stored?.kinds.secret).toBe(1);
    expect(stored?.summary).toEqual(stored?.report?.summary);
    expect(stored?.report?.target.digest).toBe(first.digest);
    // the same image under another name: one row, both names, a second history entry
    const second = await runScanJob(job(archive), { store, dbPath: db });
    expect(second.digest).toBe(first.digest);
    expect((await store.listScans()).map((s) => s.digest)).toEqual([first.digest]);
    expect((await store.getScan(first.digest))?.refs).toEqual([archive, `docker-archive:${archive}`].sort());
    const n = store.db
      .prepare("SELECT count(*) AS n FROM scan_history WHERE digest = ?")
      .get(first.digest) as { n: number };
    expect(n.n).toBe(2);
  });

  it("fails the job (nothing stored) when the target cannot be read", async () => {
    await expect(runScanJob(job(join(tmp, "missing.tar")), { store, dbPath: db })).rejects.toThrow(
      /missing\.tar/,
    );
    expect(await store.listScans()).toHaveLength(1);
  });

  it("gives a digest-less target (a root filesystem) a stable digest from its name", async () => {
    const rootfs = join(tmp, "rootfs");
    await mkdir(join(rootfs, "etc"), { recursive: true });
    await writeFile(join(rootfs, "etc/os-release"), OS_RELEASE);
    const a = await runScanJob(job(`dir:${rootfs}`), { store, dbPath: db });
    expect(a.digest).toBe(digestOf({ target: { name: rootfs, kind: "dir" } } as never, `dir:${rootfs}`));
    expect(a.digest).not.toBe(digestOf({ target: { name: rootfs, kind: "dir" } } as never, `dir:${tmp}`));
  });
});
