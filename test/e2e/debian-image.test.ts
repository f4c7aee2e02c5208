import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalog } from "../../src/index.js";
import type { Inventory } from "../../src/model/index.js";
import {
  DPKG_QUERY_FORMAT,
  type DpkgEntry,
  debianRootfs,
  debianRootfsSkipReason,
  dpkgQuery,
  parseDpkgQuery,
} from "../support/debian-rootfs.js";
import { type PodmanService, podmanSkipReason, startPodman } from "../support/podman.js";

/**
 * End to end against real components: a debootstrapped Debian 12 rootfs, imported into a hermetic
 * podman, a second layer produced by a real container run (`podman run` + `podman commit`: whiteouts
 * and a rewritten dpkg database), exported by skopeo in every format Airbag reads. The oracle is dpkg
 * itself: `dpkg-query` on the host for the rootfs, and inside the container for the derived image.
 */

const run = promisify(execFile);
const skip = podmanSkipReason(["skopeo", "dpkg-query", "tar"]) ?? debianRootfsSkipReason();
if (skip) console.warn(`[e2e/debian-image] skipped: ${skip}`);

/** not essential, nothing in minbase needs it at run time; dpkg -r leaves it in the status db as "rc" */
const REMOVED = "e2fsprogs";
const MODIFY = [
  "set -e",
  "rm -rf /usr/share/doc/apt",
  "echo hi > /etc/hi",
  `dpkg --remove --force-depends --force-remove-essential ${REMOVED} >/dev/null 2>&1`,
].join("; ");

const tuple = (p: { name: string; version: string; arch?: string }) =>
  `${p.name}\t${p.version}\t${p.arch ?? ""}`;
const tuples = (list: { name: string; version: string; arch?: string }[]) => list.map(tuple).sort();

/** `pkg:deb/debian/NAME@VERSION?k=v&…` → decoded parts, or undefined when it is not of that shape. */
function parseDebPurl(purl: string) {
  const m = /^pkg:deb\/debian\/([^@?#/]+)@([^?#]+)\?([^#]+)$/.exec(purl);
  if (!m) return undefined;
  const q = Object.fromEntries(
    m[3]!.split("&").map((kv) => kv.split("=").map(decodeURIComponent) as [string, string]),
  );
  return { name: decodeURIComponent(m[1]!), version: decodeURIComponent(m[2]!), q };
}

/** diffIDs of the single image in an OCI layout dir, read straight from its config blob. */
async function layoutDiffIds(dir: string): Promise<string[]> {
  const blob = (d: string) => readFile(join(dir, "blobs", ...d.split(":")), "utf8").then(JSON.parse);
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
  const manifest = await blob(index.manifests[0].digest);
  return (await blob(manifest.config.digest)).rootfs.diff_ids;
}

/** Everything the contract says about a Debian 12 inventory checked against dpkg's own answer. */
function expectMatchesDpkg(inv: Inventory, expected: DpkgEntry[], diffIds: string[] | undefined) {
  expect(inv.target.os).toMatchObject({ family: "debian", version: "12", codename: "bookworm" });
  expect(inv.target.os?.ecosystem).toBe("Debian:12");
  const debs = inv.packages.filter((p) => p.type === "deb");
  expect(debs.length).toBe(inv.packages.length);
  expect(tuples(debs)).toEqual(tuples(expected));
  const byKey = new Map(expected.map((e) => [tuple(e), e]));
  for (const p of debs) {
    const want = byKey.get(tuple(p))!;
    expect(p.ecosystem, p.name).toBe("Debian:12");
    const purl = parseDebPurl(p.purl);
    expect(purl, p.purl).toBeDefined();
    expect(purl!.name).toBe(p.name);
    // the version is either whole, or without its epoch plus an `epoch` qualifier
    const epoch = /^(\d+):/.exec(want.version)?.[1];
    if (purl!.q.epoch !== undefined) expect(`${purl!.q.epoch}:${purl!.version}`, p.purl).toBe(want.version);
    else expect(purl!.version, p.purl).toBe(want.version);
    if (epoch === undefined) expect(purl!.q.epoch, p.purl).toBeUndefined();
    expect(purl!.q.arch, p.purl).toBe(want.arch);
    expect(purl!.q.distro, p.purl).toBe("debian-12");
    expect(p.purl).toContain(`?arch=${encodeURIComponent(want.arch)}&distro=debian-12`);
    // source package as dpkg resolves it (binNMU and versioned Source: fields included)
    expect(p.source?.name ?? p.name, p.name).toBe(want.sourceName);
    expect(p.source?.version ?? p.version, p.name).toBe(want.sourceVersion);
    expect(p.locations.length, p.name).toBeGreaterThan(0);
    for (const loc of p.locations) {
      expect(loc.path).toBe("var/lib/dpkg/status");
      if (diffIds) expect(diffIds, `${p.name} location layer`).toContain(loc.layer);
      else expect(loc.layer).toBeUndefined();
    }
  }
  if (diffIds) expect(inv.target.layers?.map((l) => l.diffId)).toEqual(diffIds);
  expect(new Set(inv.packages.map((p) => p.id)).size).toBe(inv.packages.length);
  expect(inv.warnings ?? []).toEqual([]);
}

describe.skipIf(!!skip)("e2e: real Debian 12 image through podman + skopeo", () => {
  let svc: PodmanService | undefined;
  let rootfs: string;
  let expected: DpkgEntry[];
  let expectedMod: DpkgEntry[];
  let baseDiffIds: string[];
  let modDiffIds: string[];
  let dir: string;
  const timings: string[] = [];
  const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      timings.push(`${label} ${((Date.now() - t) / 1000).toFixed(1)}s`);
    }
  };
  const skopeo = (...args: string[]) =>
    timed(`skopeo ${args[args.length - 1]!.split(":")[0]}`, () =>
      run("skopeo", ["copy", "-q", ...args], { env: svc!.env, maxBuffer: 64 << 20 }),
    );

  beforeAll(async () => {
    rootfs = await timed("rootfs", () => debianRootfs());
    expected = await dpkgQuery(rootfs);
    svc = await timed("podman service", () => startPodman());
    dir = svc.tmp;
    const rootTar = join(dir, "deb12-rootfs.tar");
    await timed("tar", () => run("tar", ["-C", rootfs, "--numeric-owner", "-cf", rootTar, "."]));
    await timed("podman import", () => svc!.podman(["import", "-q", rootTar, "localhost/deb12:min"]));
    const base = svc.storageRef("localhost/deb12:min");
    await skopeo(base, `docker-archive:${join(dir, "base-docker.tar")}:localhost/deb12:min`);
    await skopeo(base, `oci:${join(dir, "base-layout")}:min`);
    await skopeo(base, `oci-archive:${join(dir, "base-oci.tar")}:min`);
    baseDiffIds = await layoutDiffIds(join(dir, "base-layout"));

    // a real runtime-produced second layer: whiteouts for removed files, a rewritten dpkg database
    await timed("podman run", () =>
      svc!.podman([
        "run",
        "--network",
        "none",
        "--name",
        "modify",
        "localhost/deb12:min",
        "sh",
        "-c",
        MODIFY,
      ]),
    );
    await timed("podman commit", () => svc!.podman(["commit", "-q", "modify", "localhost/deb12:mod"]));
    const inside = await svc.podman([
      "run",
      "--rm",
      "--network",
      "none",
      "localhost/deb12:mod",
      "dpkg-query",
      "-W",
      "-f",
      DPKG_QUERY_FORMAT,
    ]);
    expectedMod = parseDpkgQuery(inside.stdout);
    const mod = svc.storageRef("localhost/deb12:mod");
    await skopeo(mod, `docker-archive:${join(dir, "mod-docker.tar")}:localhost/deb12:mod`);
    await skopeo(mod, `oci:${join(dir, "mod-layout")}:mod`);
    modDiffIds = await layoutDiffIds(join(dir, "mod-layout"));
  }, 20 * 60_000);

  afterAll(async () => {
    await svc?.stop();
    if (timings.length) console.info(`[e2e/debian-image] ${timings.join(", ")}`);
  });

  it("the oracle is sane: dpkg sees a real minbase install", () => {
    expect(expected.length).toBeGreaterThan(80);
    expect(expected.map((e) => e.name)).toEqual(expect.arrayContaining(["dpkg", "apt", "libc6", REMOVED]));
    expect(baseDiffIds).toHaveLength(1);
    expect(modDiffIds).toHaveLength(2);
    expect(modDiffIds[0]).toBe(baseDiffIds[0]);
  });

  const base: Record<string, Inventory> = {};
  for (const [label, target] of [
    ["docker-archive", (d: string) => `docker-archive:${join(d, "base-docker.tar")}`],
    ["oci layout", (d: string) => `oci:${join(d, "base-layout")}:min`],
    ["oci-archive", (d: string) => `oci-archive:${join(d, "base-oci.tar")}`],
  ] as const) {
    it(`${label}: packages equal dpkg-query on the rootfs`, async () => {
      const inv = await timed(`catalog ${label}`, () => catalog(target(dir)));
      base[label] = inv;
      expectMatchesDpkg(inv, expected, baseDiffIds);
      expect(inv.target.kind).toBe(label === "docker-archive" ? "docker-archive" : "oci");
      for (const p of inv.packages) expect(p.locations.map((l) => l.layer)).toEqual([baseDiffIds[0]]);
      // copyright files are read from the image: apt's is there in the base image
      expect(inv.packages.find((p) => p.name === "apt")?.licenses.length).toBeGreaterThan(0);
    });
  }

  it("docker-archive, oci layout and oci-archive give identical package lists", () => {
    const [a, b, c] = [base["docker-archive"], base["oci layout"], base["oci-archive"]];
    expect(a && b && c, "the three format tests ran").toBeTruthy();
    expect(b!.packages).toEqual(a!.packages);
    expect(c!.packages).toEqual(a!.packages);
  });

  it("dir: the rootfs itself gives the same packages, with no layers", async () => {
    const inv = await timed("catalog dir", () => catalog(`dir:${rootfs}`));
    expectMatchesDpkg(inv, expected, undefined);
    expect(inv.target.kind).toBe("dir");
    const viaImage = base["docker-archive"];
    if (viaImage) expect(inv.packages.map((p) => p.purl)).toEqual(viaImage.packages.map((p) => p.purl));
  });

  it("a runtime-made layer on top: the final dpkg db wins and deleted files stay deleted", async () => {
    for (const target of [`docker-archive:${join(dir, "mod-docker.tar")}`, join(dir, "mod-layout")]) {
      const inv = await timed(`catalog mod ${target.startsWith("docker") ? "docker" : "bare oci"}`, () =>
        catalog(target),
      );
      expectMatchesDpkg(inv, expectedMod, modDiffIds);
      expect(inv.packages.map((p) => p.name)).not.toContain(REMOVED);
      expect(expectedMod.length).toBe(expected.length - 1);
      // dpkg rewrote its status file in the top layer: every location points there
      for (const p of inv.packages) expect(p.locations.map((l) => l.layer)).toEqual([modDiffIds[1]]);
      // `rm -rf /usr/share/doc/apt` became a whiteout: apt's copyright (and so its licences) is gone
      expect(inv.packages.find((p) => p.name === "apt")?.licenses).toEqual([]);
      const dpkg = inv.packages.find((p) => p.name === "dpkg");
      expect(dpkg?.licenses.length).toBeGreaterThan(0);
    }
  });
});
