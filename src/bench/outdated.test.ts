import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VulnerabilityFinding } from "../model/index.js";
import type { VulnDb } from "../vulndb/index.js";
import { matchComponents, targetsFor } from "./outdated.js";
import { commitHash, loadFixCommits } from "./patched-builds.js";
import { openRuntimeAdvisories } from "./runtime-db.js";
import type { RuntimeComponent } from "./types.js";

const runc = (version: string, commit?: string): RuntimeComponent => ({
  name: "runc",
  version,
  ...(commit ? { commit } : {}),
  source: "/version",
});
const docker = (version: string): RuntimeComponent => ({
  name: "engine",
  version,
  source: "/version",
  product: "docker",
});
const ids = (list: { id: string }[]) => list.map((f) => f.id);
const VENDOR_RC6 = "09c8266bf2fcf9519a651b04ae54c967b9ab86ec";

describe("outdated runtime components (bundled pack only)", () => {
  let db: VulnDb;
  beforeAll(async () => {
    db = await openRuntimeAdvisories();
  });
  afterAll(() => db.close());

  const find = (list: VulnerabilityFinding[], pkg: string, id: string) =>
    list.find((f) => f.package === pkg && f.id === id);

  it("runc 1.0.0-rc6 → CVE-2019-5736 through NVD's CPE (runc 1.0.0:rc6), high, fixed in rc7", () => {
    const { findings, suppressed } = matchComponents([runc("1.0.0-rc6")], db);
    const f = find(findings, "runc", "CVE-2019-5736");
    expect(f).toMatchObject({
      package: "runc",
      installedVersion: "1.0.0-rc6",
      fixedVersion: "1.0.0-rc7",
      severity: "high",
      dataSource: "nvd",
      status: "fixed",
    });
    expect(f?.cvss.map((c) => c.score)).toContain(8.6);
    expect(suppressed).toEqual([]);
    // rc7 is not in NVD's list for CVE-2019-5736
    expect(ids(matchComponents([runc("1.0.0-rc7")], db).findings)).not.toContain("CVE-2019-5736");
  });

  it("runc 1.1.11 → CVE-2024-21626 through the Go vulndb (GO-2024-2491); 1.1.12 is not", () => {
    const { findings } = matchComponents([runc("1.1.11")], db);
    const f = find(findings, "runc", "CVE-2024-21626");
    expect(f).toMatchObject({ installedVersion: "1.1.11", fixedVersion: "1.1.12", dataSource: "osv" });
    expect(f?.aliases).toEqual(["GHSA-xr7r-f8xq-vfvv", "GO-2024-2491"]);
    expect(ids(matchComponents([runc("1.1.12")], db).findings)).not.toContain("CVE-2024-21626");
    expect(ids(matchComponents([runc("v1.1.12")], db).findings)).not.toContain("CVE-2024-21626");
  });

  it("runc 1.0.0-rc10 is past the rc9 pseudo-version fixes (CVE-2019-19921), rc9 is not", () => {
    expect(ids(matchComponents([runc("1.0.0-rc9")], db).findings)).toContain("CVE-2019-19921");
    expect(ids(matchComponents([runc("1.0.0-rc10")], db).findings)).not.toContain("CVE-2019-19921");
  });

  it("vendor runc 1.0.0-rc6+dev on Docker 18.09.2 → CVE-2019-5736 suppressed with the reason", () => {
    const { findings, suppressed } = matchComponents(
      [docker("18.09.2"), runc("1.0.0-rc6+dev", VENDOR_RC6)],
      db,
    );
    expect(find(findings, "runc", "CVE-2019-5736")).toBeUndefined();
    expect(find(findings, "engine", "CVE-2019-5736")).toBeUndefined();
    const s = suppressed.find((x) => x.finding.id === "CVE-2019-5736");
    expect(s?.finding).toMatchObject({ package: "runc", installedVersion: "1.0.0-rc6+dev" });
    expect(s?.reason).toMatch(/vendor build shipped with Docker 18\.09\.2/);
    expect(s?.reason).toMatch(/docker:docker affected: < 18\.09\.2/);
  });

  it("the same runc on Docker 18.06.1-ce → reported, for runc and for the engine", () => {
    const { findings, suppressed } = matchComponents(
      [docker("18.06.1-ce"), runc("1.0.0-rc6+dev", VENDOR_RC6)],
      db,
    );
    expect(find(findings, "runc", "CVE-2019-5736")).toMatchObject({ installedVersion: "1.0.0-rc6+dev" });
    expect(find(findings, "engine", "CVE-2019-5736")).toMatchObject({
      installedVersion: "18.06.1-ce",
      fixedVersion: "18.09.2",
    });
    expect(suppressed.filter((s) => s.finding.id === "CVE-2019-5736")).toEqual([]);
  });

  it("a build at the upstream fix commit is recognised (fix-commit table), also as git describe output", () => {
    const fix = "0a8e4117e7f715d5fbeef398405813ce8e88558b";
    const { findings, suppressed } = matchComponents([runc("1.0.0-rc6", fix)], db);
    expect(ids(findings)).not.toContain("CVE-2019-5736");
    expect(suppressed.find((s) => s.finding.id === "CVE-2019-5736")?.reason).toMatch(
      /built from commit 0a8e4117e7f7, the upstream fix for CVE-2019-5736 \(https:\/\/github\.com\/rootless-containers\/usernetes\/pull\/86\)/,
    );
    expect(commitHash("v1.1.11-0-g4bccb38c")).toBe("4bccb38c");
    expect(commitHash("1.1.5+ds1-1+deb12u1")).toBeUndefined();
    // a different commit of the same version is not the fix
    expect(ids(matchComponents([runc("1.0.0-rc6", VENDOR_RC6)], db).findings)).toContain("CVE-2019-5736");
  });

  it("Debian's runc 1.1.5+ds1-1+deb12u1: CVE-2024-21626 decided by Debian's fixed version, others stay", () => {
    const debian = runc("1.1.5+ds1", "1.1.5+ds1-1+deb12u1");
    const { findings, suppressed } = matchComponents([debian], db);
    expect(ids(findings)).not.toContain("CVE-2024-21626");
    const s = suppressed.find((x) => x.finding.id === "CVE-2024-21626");
    expect(s?.reason).toMatch(
      /^Debian:12 package runc 1\.1\.5\+ds1-1\+deb12u1 is not affected by CVE-2024-21626 according to debian-tracker \(fixed in 1\.1\.5\+ds1-1\+deb12u1\)/,
    );
    // not listed by the Debian data: the upstream version still decides (never silently dropped)
    expect(ids(findings)).toContain("CVE-2024-45310");
    // an older bookworm build is affected by Debian's own data
    const old = matchComponents([runc("1.1.5+ds1", "1.1.5+ds1-1")], db, { distro: "Debian:12" });
    expect(find(old.findings, "runc", "CVE-2024-21626")).toMatchObject({
      installedVersion: "1.1.5+ds1-1",
      fixedVersion: "1.1.5+ds1-1+deb12u1",
      dataSource: "debian-tracker,osv",
    });
  });

  it("maps components to their Go modules and CPE products", () => {
    expect(targetsFor(docker("20.10.24+dfsg1"))).toEqual({
      go: [{ module: "github.com/docker/docker", version: "v20.10.24+incompatible" }],
      cpe: ["docker:docker", "mobyproject:moby"],
    });
    expect(
      targetsFor({ name: "engine", version: "4.3.1", source: "/version", product: "podman" })?.go[0]?.module,
    ).toBe("github.com/containers/podman/v4");
    expect(targetsFor({ name: "containerd", version: "2.0.1", source: "x" })?.go[0]?.module).toBe(
      "github.com/containerd/containerd/v2",
    );
    expect(targetsFor({ name: "kernel", version: "6.1.0", source: "uname" })).toBeUndefined();
    const c = matchComponents([{ name: "containerd", version: "1.6.20", source: "x" }], db);
    expect(c.findings.length).toBeGreaterThan(0);
    expect(c.findings.every((f) => f.package === "containerd")).toBe(true);
  });

  it("skips components with unknown versions and never reports the same CVE twice per component", () => {
    expect(matchComponents([runc("unknown", VENDOR_RC6)], db)).toEqual({ findings: [], suppressed: [] });
    const { findings } = matchComponents([runc("1.0.0-rc6")], db);
    const keys = findings.map((f) => `${f.package} ${f.id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("the bundled fix-commit table loads and names a source per entry", () => {
    const table = loadFixCommits();
    expect(table.length).toBeGreaterThan(5);
    expect(table.every((e) => e.source.startsWith("https://"))).toBe(true);
  });
});

describe("outdated runtime components of the podman recorded here", () => {
  it("podman 4.3.1 with Debian's runc: engine findings from the Go vulndb, runc decided by Debian", async () => {
    const { readFileSync } = await import("node:fs");
    const { componentsFromVersion } = await import("./components.js");
    const version = JSON.parse(
      readFileSync(
        new URL("../../test/fixtures/bench-components/podman-4.3.1-version.json", import.meta.url),
        "utf8",
      ),
    );
    const db = await openRuntimeAdvisories();
    try {
      const { findings, suppressed } = matchComponents(componentsFromVersion(version), db);
      expect(findings.some((f) => f.package === "engine" && f.aliases.some((a) => a.startsWith("GO-")))).toBe(
        true,
      );
      expect(
        suppressed.map((s) => [(s.finding as VulnerabilityFinding).package, s.finding.id]),
      ).toContainEqual(["runc", "CVE-2024-21626"]);
      expect(findings.every((f) => ["engine", "runc"].includes(f.package))).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe("releaseSpelling", () => {
  it("spells Go module versions as releases", async () => {
    const { releaseSpelling } = await import("./outdated.js");
    expect(releaseSpelling("20.10.9+incompatible")).toBe("20.10.9");
    expect(releaseSpelling("1.0.0-rc9.0.20200122160610-2fc03cc11c77")).toBe(
      "commit 2fc03cc11c77 (after 1.0.0-rc9)",
    );
    expect(releaseSpelling("1.1.12")).toBe("1.1.12");
  });
});
