import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { effectiveDaemonConfig } from "./daemon-config.js";
import { collectHostFacts, HOST_FILE_PATHS } from "./host-facts.js";
import { resolveInRoot } from "./host-files.js";

let root: string;
let server: Server;

async function put(path: string, text: string, mode: number, uid = 0, gid = 0) {
  const full = join(root, path);
  await mkdir(join(full, ".."), { recursive: true });
  await writeFile(full, text);
  await chmod(full, mode);
  await chown(full, uid, gid);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "airbag-host-"));
  await put(
    "etc/passwd",
    "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:999::/home/bob:/bin/sh\n",
    0o644,
  );
  await put("etc/group", "root:x:0:\nalice:x:1000:\ndocker:x:999:alice,root\n", 0o644);
  await put("etc/audit/audit.rules", "# generated\n-w /usr/bin/dockerd -k docker\n", 0o640);
  await put(
    "etc/audit/rules.d/docker.rules",
    "-a always,exit -F dir=/var/lib/docker -F perm=wa -k docker\n",
    0o640,
  );
  await put("etc/audit/rules.d/ignored.conf", "-w /etc/docker -k docker\n", 0o640);
  await put(
    "proc/mounts",
    "/dev/sdb1 /var/lib/docker ext4 rw 0 0\n/dev/sda1 /with\\040space ext4 rw 0 0\n",
    0o444,
  );
  await put("etc/docker/daemon.json", '{"tlsverify": true, "tlskey": "/etc/docker/key.pem"}', 0o644);
  await put("etc/docker/key.pem", "KEY", 0o640, 0, 999);
  await put("etc/docker/certs.d/reg:5000/ca.crt", "CA", 0o444);
  await put(
    "lib/systemd/system/docker.service",
    "[Service]\nExecStart=/usr/bin/dockerd\n",
    0o664,
    1000,
    1000,
  );
  await chmod(join(root, "etc/docker"), 0o755);
  await mkdir(join(root, "run"), { recursive: true });
  await mkdir(join(root, "var"), { recursive: true });
  await symlink("/run", join(root, "var/run"));
  server = createServer();
  await new Promise<void>((r) => server.listen(join(root, "run/docker.sock"), r));
  await chmod(join(root, "run/docker.sock"), 0o660);
  await chown(join(root, "run/docker.sock"), 0, 999);
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

describe("collectHostFacts", () => {
  it("reads docker group members (incl. primary group), audit rules, mounts and content trust", async () => {
    const daemon = await effectiveDaemonConfig({ file: join(root, "etc/docker/daemon.json") });
    const facts = await collectHostFacts({ root, daemon, env: { DOCKER_CONTENT_TRUST: "1" } });
    expect(facts.root).toBe(root);
    expect(facts.dockerGroup).toEqual(["alice", "bob", "root"]);
    expect(facts.auditRules).toEqual([
      "-w /usr/bin/dockerd -k docker",
      "-a always,exit -F dir=/var/lib/docker -F perm=wa -k docker",
    ]);
    expect(facts.mounts).toContainEqual({
      device: "/dev/sdb1",
      mountPoint: "/var/lib/docker",
      fsType: "ext4",
    });
    expect(facts.mounts).toContainEqual({ device: "/dev/sda1", mountPoint: "/with space", fsType: "ext4" });
    expect(facts.contentTrust).toBe("1");
  });

  it("stats every listed path under the root, symlinks resolved inside it", async () => {
    const daemon = await effectiveDaemonConfig({ file: join(root, "etc/docker/daemon.json") });
    const { files } = await collectHostFacts({ root, daemon, env: {} });
    for (const p of HOST_FILE_PATHS) expect(files[p]?.path).toBe(p);
    expect(files["/var/run/docker.sock"]).toEqual({
      path: "/var/run/docker.sock",
      exists: true,
      type: "socket",
      mode: 0o660,
      uid: 0,
      gid: 999,
      owner: "root",
      group: "docker",
    });
    expect(files["/lib/systemd/system/docker.service"]).toMatchObject({
      mode: 0o664,
      owner: "alice",
      group: "alice",
    });
    expect(files["/etc/docker"]).toMatchObject({ type: "directory", mode: 0o755, owner: "root" });
    expect(files["/etc/docker/key.pem"]).toMatchObject({ type: "file", mode: 0o640, group: "docker" });
    expect(files["/etc/docker/certs.d/reg:5000"]).toMatchObject({ type: "directory" });
    expect(files["/etc/docker/certs.d/reg:5000/ca.crt"]).toMatchObject({ type: "file", mode: 0o444 });
    expect(files["/usr/bin/runc"]).toEqual({ path: "/usr/bin/runc", exists: false });
  });

  it("a host without /etc/audit has no rules ([]); group and mounts absent when unreadable", async () => {
    const bare = await mkdtemp(join(tmpdir(), "airbag-bare-"));
    try {
      const daemon = await effectiveDaemonConfig({});
      const facts = await collectHostFacts({ root: bare, daemon, env: {} });
      expect(facts.auditRules).toEqual([]);
      expect(facts.dockerGroup).toBeUndefined();
      expect(facts.mounts).toBeUndefined();
      expect(facts.contentTrust).toBeUndefined();
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it("adds `auditctl -l` output on the live host, and tolerates a failing auditctl", async () => {
    const script = join(root, "auditctl");
    await writeFile(script, "#!/bin/sh\n[ \"$1\" = -l ] && echo '-w /run/containerd -p rwxa -k docker'\n");
    await chmod(script, 0o755);
    const daemon = await effectiveDaemonConfig({});
    const live = await collectHostFacts({ root: "/", daemon, auditctl: script, env: {} });
    expect(live.auditRules).toContain("-w /run/containerd -p rwxa -k docker");
    const failing = join(root, "auditctl-fails");
    await writeFile(failing, "#!/bin/sh\necho 'You must be root' >&2\nexit 1\n");
    await chmod(failing, 0o755);
    const without = await collectHostFacts({ root: "/", daemon, auditctl: failing, env: {} });
    expect(without.auditRules).not.toContain("-w /run/containerd -p rwxa -k docker");
  });
});

describe("resolveInRoot", () => {
  it("keeps absolute and climbing links inside the root", async () => {
    await symlink("../../../../../run", join(root, "var/up"));
    expect(await resolveInRoot(root, "/var/run/docker.sock")).toBe(join(root, "run/docker.sock"));
    expect(await resolveInRoot(root, "/var/up/docker.sock")).toBe(join(root, "run/docker.sock"));
    await symlink("loop", join(root, "loop"));
    expect(await resolveInRoot(root, "/loop")).toBeUndefined();
  });
});
