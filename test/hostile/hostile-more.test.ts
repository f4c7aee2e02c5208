import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createGzip, deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pomProperties, type ZipSpec, zipBuffer } from "../../src/catalog/lang/zip.testutil.js";
import { AirbagError, catalog } from "../../src/index.js";
import { buildImage, type ImageSpec, writeDockerArchive, writeOciLayout } from "../support/image-builder.js";

/**
 * The rest of the hostile-image suite (issue 10): hardlink tricks, whiteouts of the root, absolute names
 * and special files, duplicated manifest entries, 200k tiny files and nested/bomb jars. Each case ends in
 * a one-line input error or a warning and a usable result; nothing is written outside the temp dir.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const STATUS = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n";
const STATUS2 = "Package: bash\nStatus: install ok installed\nVersion: 5.2\nArchitecture: amd64\n\n";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "airbag-hostile-more-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function ociDir(spec: ImageSpec) {
  const img = await buildImage(spec);
  const dir = join(tmp, `img${n++}`);
  await writeOciLayout(dir, img);
  return { dir, img };
}

async function scan(ref: string) {
  const warnings: string[] = [];
  const inv = await catalog(ref, { onWarning: (w) => warnings.push(w) });
  return { names: inv.packages.map((p) => p.name).sort(), inv, warnings: warnings.join("\n") };
}

async function inputErrorOf(p: Promise<unknown>): Promise<AirbagError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AirbagError);
  expect((err as AirbagError).code).toBe("INPUT");
  expect((err as Error).message.split("\n")).toHaveLength(1);
  return err as AirbagError;
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("hostile images: links and whiteouts", () => {
  it("hardlink loop, hardlink to a missing entry and a hardlink climbing out of the root", async () => {
    // a real dpkg database on the host, outside the image: a link that escaped would find it
    const outside = join(tmp, "outside-status");
    await writeFile(outside, STATUS);
    const climb = `${"../".repeat(12)}${outside.slice(1)}`;
    const { dir } = await ociDir({
      layers: [
        [
          { path: "etc/os-release", type: "link", target: "etc/os-release2" },
          { path: "etc/os-release2", type: "link", target: "etc/os-release" },
          { path: "usr/lib/os-release", type: "link", target: "nowhere/at/all" },
          { path: "var/lib/dpkg/status", type: "link", target: climb },
          { path: "var/lib/dpkg/status.d/x", type: "link", target: outside },
        ],
      ],
    });
    const started = Date.now();
    const { names, inv } = await scan(`oci:${dir}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(names).toEqual([]);
    expect(JSON.stringify(inv)).not.toContain("base-files");
  });

  it("a hardlink to an entry later in the layer resolves to nothing (as tar extraction does), no crash", async () => {
    const { dir } = await ociDir({
      layers: [
        [
          { path: "var/lib/dpkg/status", type: "link", target: "var/lib/dpkg/status-real" },
          { path: "var/lib/dpkg/status-real", content: STATUS },
        ],
      ],
    });
    const { names } = await scan(`oci:${dir}`);
    // tar readers (GNU tar, runtimes) refuse a link to a later entry: nothing at status, no crash
    expect(names).toEqual([]);
  });

  it("a hardlink to an earlier wanted file is followed inside the image", async () => {
    const { dir } = await ociDir({
      layers: [
        [
          { path: "srv/real-status", content: STATUS },
          { path: "var/lib/dpkg/status", type: "link", target: "/srv/real-status" },
        ],
      ],
    });
    expect((await scan(`oci:${dir}`)).names).toEqual(["base-files"]);
  });

  it("an opaque whiteout at the root hides every lower layer", async () => {
    const { dir } = await ociDir({
      layers: [
        { "var/lib/dpkg/status": STATUS, "etc/keep": "x" },
        [
          { path: ".wh..wh..opq", content: "" },
          { path: "./.wh..wh..opq", content: "" },
          { path: "var/lib/dpkg/status", content: STATUS2 },
        ],
      ],
    });
    expect((await scan(`oci:${dir}`)).names).toEqual(["bash"]);
    // without the root opaque entry the lower database would be replaced too (same path): check a
    // case where only the whiteout hides it
    const { dir: d2 } = await ociDir({
      layers: [{ "var/lib/dpkg/status": STATUS }, [{ path: "/.wh..wh..opq", content: "" }]],
    });
    expect((await scan(`oci:${d2}`)).names).toEqual([]);
  });

  it(".wh. entries naming . or .. whiteout nothing", async () => {
    const { dir } = await ociDir({
      layers: [
        { "var/lib/dpkg/status": STATUS },
        [
          { path: ".wh..", content: "" },
          { path: ".wh...", content: "" },
          { path: "var/lib/dpkg/.wh..", content: "" },
          { path: "var/lib/dpkg/.wh...", content: "" },
          { path: "var/lib/.wh.", content: "" },
        ],
      ],
    });
    expect((await scan(`oci:${dir}`)).names).toEqual(["base-files"]);
  });
});

describe("hostile images: absolute names and special files", () => {
  it("absolute entry names stay inside the image; nothing is written to the host", async () => {
    const before = await readFile("/etc/passwd", "utf8");
    const { dir } = await ociDir({
      layers: [
        [
          { path: "/etc/passwd", content: "evil:x:0:0::/:/bin/sh\n" },
          { path: "/var/lib/dpkg/status", content: STATUS },
        ],
      ],
      parents: false,
    });
    expect((await scan(`oci:${dir}`)).names).toEqual(["base-files"]);
    expect(await readFile("/etc/passwd", "utf8")).toBe(before);
  });

  it("device and fifo entries at wanted paths are never read", async () => {
    const { dir } = await ociDir({
      layers: [
        { "var/lib/dpkg/status": STATUS, "etc/os-release": 'ID=debian\nVERSION_ID="12"\n' },
        [
          { path: "etc/os-release", type: "fifo" },
          { path: "var/lib/dpkg/status", type: "character-device", size: 0 },
        ],
      ],
    });
    const { names, inv } = await scan(`oci:${dir}`);
    // the special files replace the lower layer's files: no packages, no distro from the fifo
    expect(names).toEqual([]);
    expect(JSON.stringify(inv)).not.toContain('"12"');
  });

  it("dir: a fifo and a device node at wanted paths do not block the scan", async () => {
    const root = join(tmp, "rootfs-special");
    await mkdir(join(root, "var/lib/dpkg"), { recursive: true });
    await mkdir(join(root, "etc"), { recursive: true });
    execFileSync("mkfifo", [join(root, "etc/os-release")]);
    await writeFile(join(root, "var/lib/dpkg/status"), STATUS);
    let device = true;
    try {
      execFileSync("mknod", [join(root, "var/lib/dpkg/available"), "c", "1", "3"], { stdio: "ignore" });
    } catch {
      device = false; // no CAP_MKNOD: the fifo still checks the never-open rule
    }
    const started = Date.now();
    const { names } = await scan(`dir:${root}`);
    expect(names).toEqual(["base-files"]);
    expect(Date.now() - started).toBeLessThan(10_000);
    if (!device) console.warn("[hostile-more] mknod refused: device-node part not exercised");
  }, 15_000);
});

describe("hostile images: duplicated manifest entries", () => {
  it("docker archive listing the same layer twice (docker save does this for identical layers) is read", async () => {
    const img = await buildImage({ layers: [{ "var/lib/dpkg/status": STATUS }] });
    const file = join(tmp, "dup-layer.tar");
    const twice = { ...img, layers: [img.layers[0]!, img.layers[0]!] };
    // config diff_ids must list it twice as well
    const config = JSON.parse(img.config.data.toString());
    config.rootfs.diff_ids = [img.layers[0]!.diffId, img.layers[0]!.diffId];
    const cfg = Buffer.from(JSON.stringify(config));
    await writeDockerArchive(file, {
      ...twice,
      config: { data: cfg, digest: sha256(cfg), size: cfg.length },
    });
    expect((await scan(`docker-archive:${file}`)).names).toEqual(["base-files"]);
  });

  it("docker archive with two manifests for one tag → input error naming the tag", async () => {
    const a = await buildImage({ layers: [{ "var/lib/dpkg/status": STATUS }] });
    const b = await buildImage({ layers: [{ "var/lib/dpkg/status": STATUS2 }] });
    const fa = join(tmp, "two-a.tar");
    await writeDockerArchive(fa, a, { tags: ["example/app:1"] });
    const fb = join(tmp, "two-b.tar");
    await writeDockerArchive(fb, b, { tags: ["example/app:1"] });
    // merge: both images' members and a manifest.json with both entries
    const merged = join(tmp, "two");
    await mkdir(merged, { recursive: true });
    execFileSync("tar", ["-xf", fa, "-C", merged]);
    const ma = JSON.parse(await readFile(join(merged, "manifest.json"), "utf8"));
    execFileSync("tar", ["-xf", fb, "-C", merged]);
    const mb = JSON.parse(await readFile(join(merged, "manifest.json"), "utf8"));
    await writeFile(join(merged, "manifest.json"), JSON.stringify([...ma, ...mb]));
    const file = join(tmp, "two.tar");
    execFileSync("tar", ["-cf", file, "-C", merged, "."]);
    const err = await inputErrorOf(catalog(`docker-archive:${file}:example/app:1`));
    expect(err.message).toContain("example/app:1");
  });

  it("OCI index listing the same manifest descriptor twice is read once", async () => {
    const { dir } = await ociDir({ layers: [{ "var/lib/dpkg/status": STATUS }] });
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
    index.manifests = [index.manifests[0], index.manifests[0]];
    await writeFile(join(dir, "index.json"), JSON.stringify(index));
    expect((await scan(`oci:${dir}`)).names).toEqual(["base-files"]);
  });

  it("OCI index with one manifest under two tags is one image, with or without a tag", async () => {
    const { dir } = await ociDir({ layers: [{ "var/lib/dpkg/status": STATUS }] });
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
    const second = { ...index.manifests[0], annotations: { "org.opencontainers.image.ref.name": "v1" } };
    index.manifests = [index.manifests[0], second];
    await writeFile(join(dir, "index.json"), JSON.stringify(index));
    expect((await scan(`oci:${dir}`)).names).toEqual(["base-files"]);
    expect((await scan(`oci:${dir}:v1`)).names).toEqual(["base-files"]);
  });

  it("OCI index with two different manifests under one tag → input error naming the tag", async () => {
    const { dir } = await ociDir({ layers: [{ "var/lib/dpkg/status": STATUS }] });
    const other = await ociDir({ layers: [{ "var/lib/dpkg/status": STATUS2 }] });
    execFileSync("cp", ["-r", `${other.dir}/blobs/sha256/.`, `${dir}/blobs/sha256/`]);
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
    const index2 = JSON.parse(await readFile(join(other.dir, "index.json"), "utf8"));
    index.manifests = [index.manifests[0], index2.manifests[0]];
    await writeFile(join(dir, "index.json"), JSON.stringify(index));
    const err = await inputErrorOf(catalog(`oci:${dir}:latest`));
    expect(err.message).toContain("latest");
  });
});

/** A ustar header (names under 100 bytes); a file's data follows in 512-byte blocks. */
function ustarHeader(name: string, size = 0): Buffer {
  const h = Buffer.alloc(512);
  const dir = name.endsWith("/");
  h.write(name, 0, "latin1");
  h.write(dir ? "0000755\0" : "0000644\0", 100, "latin1");
  h.write("0000000\0", 108, "latin1"); // uid
  h.write("0000000\0", 116, "latin1"); // gid
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "latin1");
  h.write("14700000000\0", 136, "latin1"); // mtime
  h.fill(0x20, 148, 156);
  h.write(dir ? "5" : "0", 156, "latin1");
  h.write("ustar\x0000", 257, "latin1");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

/** OCI layout with one gzip layer: a dpkg status and `files` empty files, streamed to disk (never whole in memory). */
async function manyFilesImage(dir: string, files: number): Promise<void> {
  await mkdir(join(dir, "blobs/sha256"), { recursive: true });
  const [diff, blob] = [createHash("sha256"), createHash("sha256")];
  let blobSize = 0;
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(join(dir, "layer.tmp"));
  gz.on("data", (c: Buffer) => {
    blob.update(c);
    blobSize += c.length;
  });
  gz.pipe(out);
  const closed = new Promise<void>((res, rej) => out.on("close", () => res()).on("error", rej));
  const put = async (b: Buffer) => {
    diff.update(b);
    if (!gz.write(b)) await new Promise((r) => gz.once("drain", r));
  };
  const status = Buffer.alloc(512);
  status.write(STATUS);
  await put(Buffer.concat(["var/", "var/lib/", "var/lib/dpkg/"].map((d) => ustarHeader(d))));
  await put(Buffer.concat([ustarHeader("var/lib/dpkg/status", STATUS.length), status]));
  const batch: Buffer[] = [];
  for (let i = 0; i < files; i++) {
    if (i % 1000 === 0) batch.push(ustarHeader(`d${i / 1000}/`));
    batch.push(ustarHeader(`d${Math.floor(i / 1000)}/f${i}`));
    if (batch.length >= 256) await put(Buffer.concat(batch.splice(0)));
  }
  await put(Buffer.concat([...batch, Buffer.alloc(1024)]));
  gz.end();
  await closed;
  const digest = `sha256:${blob.digest("hex")}`;
  await rename(join(dir, "layer.tmp"), join(dir, "blobs/sha256", digest.slice(7)));
  const blobFile = async (o: unknown) => {
    const data = Buffer.from(JSON.stringify(o));
    await writeFile(join(dir, "blobs/sha256", sha256(data).slice(7)), data);
    return { digest: sha256(data), size: data.length };
  };
  const rootfs = { type: "layers", diff_ids: [`sha256:${diff.digest("hex")}`] };
  const config = await blobFile({ architecture: "amd64", os: "linux", config: {}, rootfs });
  const manifest = await blobFile({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size: blobSize }],
  });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [manifest] }));
}

describe("hostile images: many tiny files", () => {
  it("200k zero-byte files in one layer: the CLI completes with peak RSS ≤ 250 MB", async () => {
    const dir = join(tmp, "many");
    await manyFilesImage(dir, 200_000);
    // getrusage(2) maxRSS of the scan process itself, written by a preload at exit
    const preload = join(tmp, "maxrss.mjs");
    const rssFile = join(tmp, "maxrss.txt");
    await writeFile(
      preload,
      `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
    );
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", preload, CLI, "sbom", `oci:${dir}`], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, XDG_CACHE_HOME: join(tmp, "cache"), NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((res) => child.on("close", res));
    const elapsed = Date.now() - started;
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("base-files");
    const maxRssKb = Number(await readFile(rssFile, "utf8"));
    console.log(`[hostile-more] 200k files: ${elapsed} ms, peak RSS ${(maxRssKb / 1024).toFixed(0)} MB`);
    expect(maxRssKb).toBeGreaterThan(0);
    expect(maxRssKb).toBeLessThanOrEqual(250 * 1024);
    expect(elapsed).toBeLessThan(20_000);
  }, 30_000);
});

describe("hostile images: nested and bomb jars", () => {
  const manifestFor = (i: number) =>
    `Manifest-Version: 1.0\nImplementation-Title: level${i}\nImplementation-Version: 1.${i}\n`;

  /** jar i contains its manifest, a pom.properties and jar i+1 (20 levels). */
  function nestedJar(levels: number): Buffer {
    let inner: Buffer | undefined;
    for (let i = levels - 1; i >= 0; i--) {
      const entries: ZipSpec[] = [
        { name: "META-INF/MANIFEST.MF", data: manifestFor(i) },
        {
          name: `META-INF/maven/org.nest/level${i}/pom.properties`,
          data: pomProperties("org.nest", `level${i}`, `1.${i}`),
        },
      ];
      if (inner) entries.push({ name: `lib/level${i + 1}.jar`, data: inner });
      inner = zipBuffer(entries);
    }
    return inner!;
  }

  it("a jar nested 20 levels deep is read to a bounded depth with a warning", async () => {
    const { dir } = await ociDir({ layers: [{ "app/nest.jar": nestedJar(20) }] });
    const started = Date.now();
    const { names, warnings } = await scan(`oci:${dir}`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(warnings).toMatch(/level4\.jar: lib\/level5\.jar: nested more than 4 archives deep; not read/);
    // the outer archive and four levels below it are read, nothing deeper
    expect(names.filter((x) => x.startsWith("org.nest:"))).toEqual(
      [0, 1, 2, 3, 4].map((i) => `org.nest:level${i}`),
    );
  });

  it("a jar whose entries declare 1 GiB is bounded: warning, no hang, bounded memory", async () => {
    const zeros = deflateRawSync(Buffer.alloc(8 << 20));
    const raw = { compressed: () => [zeros], size: 2 ** 30, crc: 0 };
    const bomb = zipBuffer([
      { name: "META-INF/MANIFEST.MF", raw },
      { name: "META-INF/maven/org.bomb/bomb/pom.properties", raw },
      { name: "BOOT-INF/lib/inner.jar", raw },
      { name: "META-INF/maven/org.ok/ok/pom.properties", data: pomProperties("org.ok", "ok", "1.0") },
    ]);
    expect(bomb.length).toBeLessThan(1 << 20);
    const { dir } = await ociDir({ layers: [{ "app/bomb.jar": bomb }] });
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const { names, warnings } = await scan(`oci:${dir}`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(warnings).toMatch(/bomb\.jar: META-INF\/MANIFEST\.MF is over \d+ bytes; ignored/);
    expect(warnings).toMatch(
      /bomb\.jar: META-INF\/maven\/org\.bomb\/bomb\/pom\.properties is over \d+ bytes/,
    );
    expect(warnings).toMatch(/bomb\.jar: BOOT-INF\/lib\/inner\.jar: not a zip archive/);
    expect(names).toContain("org.ok:ok");
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 2 ** 20);
  });
});
