import { describe, expect, it } from "vitest";
import { checkAccountFile } from "./accounts.js";
import { scanFiles, type TestFile } from "./scan-files.testutil.js";

const BASE: TestFile[] = [
  { path: "usr/bin/ls", mode: 0o755 },
  { path: "etc/hostname", mode: 0o644 },
  { path: "tmp/scratch", mode: 0o666 },
  { path: "etc/passwd", content: "root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n" },
  { path: "etc/shadow", content: "root:*:19000:0:99999:7:::\napp:!:19000::::::\n" },
  { path: "etc/group", content: "root:x:0:\napp:x:1000:\n" },
];
const ids = async (extra: TestFile[]) => (await scanFiles([...BASE, ...extra])).map((h) => h.id);

describe("image file checks", () => {
  it("find nothing in a clean tree", async () => {
    expect(await scanFiles(BASE)).toEqual([]);
  });

  it("CIS-DI-0008: setuid/setgid files, summarised with a sample and a count", async () => {
    const setuid = Array.from({ length: 12 }, (_, i) => ({
      path: `usr/bin/tool${String(i).padStart(2, "0")}`,
      mode: 0o4755,
    }));
    const hits = await scanFiles([...BASE, ...setuid, { path: "usr/sbin/unix_chkpwd", mode: 0o2755 }]);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ id: "CIS-DI-0008", severity: "low", path: "usr/bin/tool00" });
    expect(hits[0]?.evidence).toMatch(/^13 file\(s\): usr\/bin\/tool00, .* … \(\+3 more; 13 in total\)$/);
  });

  it("CIS-DI-0008: setuid outside system binary dirs is medium", async () => {
    const hits = await scanFiles([...BASE, { path: "app/helper", mode: 0o4755 }]);
    expect(hits).toMatchObject([{ id: "CIS-DI-0008", severity: "medium", path: "app/helper" }]);
  });

  it("AB-LI-0001: world-writable files in system dirs, not in /tmp, not sticky", async () => {
    const hits = await scanFiles([
      ...BASE,
      { path: "usr/local/bin/run", mode: 0o777 },
      { path: "etc/app.conf", mode: 0o666 },
    ]);
    expect(hits).toMatchObject([
      { id: "AB-LI-0001", severity: "high", evidence: "2 file(s): etc/app.conf, usr/local/bin/run" },
    ]);
    expect(
      await ids([
        { path: "usr/share/x", mode: 0o1777 },
        { path: "var/tmp/y", mode: 0o666 },
      ]),
    ).toEqual([]);
  });

  it("DKL-DI-0005 / DKL-DI-0004 / AB-DI-0004: package manager caches left behind", async () => {
    const hits = await scanFiles([
      ...BASE,
      { path: "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease" },
      { path: "var/cache/apt/archives/curl_7.88_amd64.deb" },
      { path: "var/cache/apk/APKINDEX.abc.tar.gz" },
      { path: "root/.cache/pip/http/a/b/c" },
      { path: "home/app/.npm/_cacache/index-v5/aa" },
      { path: "var/cache/dnf/fedora.solv" },
    ]);
    expect(hits.map((h) => [h.id, h.severity, h.evidence?.split(":")[0]])).toEqual([
      ["DKL-DI-0005", "low", "var/lib/apt/lists, var/cache/apt"],
      ["DKL-DI-0004", "low", "var/cache/apk"],
      ["AB-DI-0004", "low", "pip cache (~/.cache/pip)"],
      ["AB-DI-0004", "low", "npm cache (~/.npm/_cacache)"],
      ["AB-DI-0004", "low", "rpm cache (var/cache/dnf, var/cache/yum)"],
    ]);
  });

  it("ignores what a cleaned-up package manager keeps", async () => {
    expect(
      await ids([
        { path: "var/lib/apt/lists/lock" },
        { path: "var/lib/apt/lists/partial/x" },
        { path: "var/cache/apt/archives/lock" },
        { path: "var/lib/dpkg/status" },
        { path: "usr/lib/python3/dist-packages/pip/__init__.py" },
      ]),
    ).toEqual([]);
  });

  it("AB-DI-0003 sudo and AB-DI-0002 sshd installed", async () => {
    const hits = await scanFiles([
      ...BASE,
      { path: "usr/bin/sudo", mode: 0o755 },
      { path: "/usr/sbin/sshd", mode: 0o755 },
    ]);
    expect(hits.map((h) => [h.id, h.path])).toEqual([
      ["AB-DI-0003", "usr/bin/sudo"],
      ["AB-DI-0002", "usr/sbin/sshd"],
    ]);
    expect(
      await ids([
        { path: "usr/share/doc/sudo/README" },
        { path: "usr/bin/ssh" },
        { path: "etc/ssh/sshd_config" },
      ]),
    ).toEqual([]);
  });

  it("DKL-LI-0003: leftover .git, .aws, .ssh, .docker directories", async () => {
    const hits = await scanFiles([
      ...BASE,
      { path: "app/.git/HEAD" },
      { path: "app/.git/config" },
      { path: "srv/.git/HEAD" },
      { path: "root/.aws/credentials" },
      { path: "root/.ssh/id_ed25519" },
      { path: "home/app/.docker/config.json" },
    ]);
    expect(hits.map((h) => [h.id, h.severity, h.path, h.evidence])).toEqual([
      [
        "DKL-LI-0003",
        "low",
        "app/.git",
        "2 director(y/ies): app/.git, srv/.git; 3 file(s): app/.git/HEAD, app/.git/config, srv/.git/HEAD",
      ],
      [
        "DKL-LI-0003",
        "medium",
        "root/.aws",
        "1 director(y/ies): root/.aws; 1 file(s): root/.aws/credentials",
      ],
      ["DKL-LI-0003", "medium", "root/.ssh", "1 director(y/ies): root/.ssh; 1 file(s): root/.ssh/id_ed25519"],
      ["DKL-LI-0003", "medium", "home/app/.docker", expect.stringContaining("home/app/.docker/config.json")],
    ]);
  });

  it("DKL-LI-0003: not for look-alikes or vendored dependencies", async () => {
    expect(
      await ids([
        { path: "app/.gitignore" },
        { path: "app/.github/workflows/ci.yml" },
        { path: "app/node_modules/x/.git/HEAD" },
        { path: "etc/ssh/ssh_config" },
        { path: "app/.git" },
      ]),
    ).toEqual([]);
  });

  it("DKL-LI-0001: empty password fields (root: critical), with the line", async () => {
    const shadow = {
      path: "etc/shadow",
      content: "root::19000:0:99999:7:::\nbin:*:19000::::::\nguest::19000::::::\n",
    };
    const hits = await scanFiles([...BASE.filter((f) => f.path !== "etc/shadow"), shadow]);
    expect(hits).toMatchObject([
      {
        id: "DKL-LI-0001",
        severity: "critical",
        path: "etc/shadow",
        line: 1,
        evidence: "empty password field for root, guest in etc/shadow",
      },
    ]);
    expect(checkAccountFile("etc/passwd", "nobody::65534:65534::/:/bin/sh\n")).toMatchObject([
      { id: "DKL-LI-0001", severity: "high" },
    ]);
    expect(
      checkAccountFile("etc/master.passwd", "# comment\n+::::::\nroot:$2b$xyz:0:0::0:0:root:/root:/bin/sh\n"),
    ).toEqual([]);
  });

  it("DKL-LI-0002: duplicate UIDs and GIDs", async () => {
    const passwd = {
      path: "etc/passwd",
      content: "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n",
    };
    const group = { path: "etc/group", content: "root:x:0:\nwheel:x:10:\nadmin:x:10:\n" };
    const hits = await scanFiles([
      ...BASE.filter((f) => f.path !== "etc/passwd" && f.path !== "etc/group"),
      passwd,
      group,
    ]);
    expect(hits.map((h) => [h.id, h.path, h.line, h.evidence])).toEqual([
      ["DKL-LI-0002", "etc/passwd", 2, "duplicate UID in etc/passwd: 0 (root, toor)"],
      ["DKL-LI-0002", "etc/group", 3, "duplicate GID in etc/group: 10 (wheel, admin)"],
    ]);
  });
});
