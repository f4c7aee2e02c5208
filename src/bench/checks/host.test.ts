import { describe, expect, it } from "vitest";
import { effectiveDaemonConfig } from "../daemon-config.js";
import type { BenchContext, FileFact, HostFacts } from "../types.js";
import { auditRuleFor, HOST_CHECKS } from "./host.js";

const byId = (id: string) => HOST_CHECKS.find((c) => c.id === id)!;
const daemon = await effectiveDaemonConfig({ commandLine: ["/usr/bin/dockerd", "-H", "fd://"] });
const present = (path: string): FileFact => ({
  path,
  exists: true,
  type: "file",
  mode: 0o755,
  uid: 0,
  gid: 0,
});
const absent = (path: string): FileFact => ({ path, exists: false });
const host = (over: Partial<HostFacts> = {}): HostFacts => ({
  root: "/",
  files: {
    "/usr/bin/dockerd": present("/usr/bin/dockerd"),
    "/var/lib/docker": present("/var/lib/docker"),
    "/run/containerd": present("/run/containerd"),
    "/etc/docker": present("/etc/docker"),
    "/etc/docker/daemon.json": present("/etc/docker/daemon.json"),
    "/lib/systemd/system/docker.service": present("/lib/systemd/system/docker.service"),
    "/usr/lib/systemd/system/docker.service": absent("/usr/lib/systemd/system/docker.service"),
    "/etc/systemd/system/docker.service": absent("/etc/systemd/system/docker.service"),
    "/usr/bin/runc": absent("/usr/bin/runc"),
  },
  ...over,
});
const ctx = (h?: HostFacts): BenchContext => ({ daemon, components: [], ...(h ? { host: h } : {}) });

describe("HOST_CHECKS", () => {
  it("covers 1.1.1–1.1.18 and 1.2.1 (1.2.2 lives elsewhere)", () => {
    expect(HOST_CHECKS.map((c) => c.id)).toEqual([
      ...Array.from({ length: 18 }, (_, i) => `1.1.${i + 1}`),
      "1.2.1",
    ]);
    expect(byId("1.1.4").title).toBe(
      "Ensure auditing is configured for Docker files and directories - /run/containerd",
    );
    expect(byId("1.2.1").scored).toBe(false);
  });

  it("every check skips without host facts", () => {
    for (const c of HOST_CHECKS.filter((c) => c.id !== "1.2.1"))
      expect(c.run(ctx()).result, c.id).toBe("skip");
    expect(byId("1.2.1").run(ctx()).result).toBe("info");
  });

  it("1.1.1 passes when the data root is a mount point, fails when not", () => {
    const mounts = [{ device: "/dev/sda1", mountPoint: "/", fsType: "ext4" }];
    expect(byId("1.1.1").run(ctx(host({ mounts }))).result).toBe("fail");
    const separate = [...mounts, { device: "/dev/sdb1", mountPoint: "/var/lib/docker", fsType: "xfs" }];
    expect(byId("1.1.1").run(ctx(host({ mounts: separate })))).toMatchObject({
      result: "pass",
      evidence: expect.stringMatching(/sdb1/),
    });
    expect(byId("1.1.1").run(ctx(host())).result).toBe("skip");
  });

  it("1.1.2 warns on docker group members other than root, passes on none", () => {
    const warn = byId("1.1.2").run(ctx(host({ dockerGroup: ["alice", "root"] })));
    expect(warn.result).toBe("warn");
    expect(warn.items?.map((i) => i.subject)).toEqual(["alice"]);
    expect(byId("1.1.2").run(ctx(host({ dockerGroup: ["root"] }))).result).toBe("pass");
    expect(byId("1.1.2").run(ctx(host({ dockerGroup: [] }))).result).toBe("pass");
    expect(byId("1.1.2").run(ctx(host())).result).toBe("skip");
  });

  it("audit checks pass with a rule, fail without, pass when the file is absent, skip when unreadable", () => {
    const rules = [
      "-w /usr/bin/dockerd -k docker",
      "-a always,exit -F dir=/var/lib/docker -F perm=wa -k docker",
      "-w /etc/docker -p wa",
    ];
    const h = host({ auditRules: rules });
    expect(byId("1.1.3").run(ctx(h)).result).toBe("pass");
    expect(byId("1.1.5").run(ctx(h)).result).toBe("pass");
    expect(byId("1.1.6").run(ctx(h)).result).toBe("pass");
    expect(byId("1.1.11").run(ctx(h))).toMatchObject({ result: "pass" }); // covered by the /etc/docker watch
    expect(byId("1.1.4").run(ctx(h)).result).toBe("fail");
    expect(
      byId("1.1.7")
        .run(ctx(h))
        .items?.map((i) => i.subject),
    ).toEqual(["/lib/systemd/system/docker.service"]);
    expect(byId("1.1.18").run(ctx(h))).toMatchObject({
      result: "pass",
      evidence: expect.stringMatching(/not present/),
    });
    expect(byId("1.1.3").run(ctx(host({ auditRules: [] }))).result).toBe("fail");
    expect(byId("1.1.3").run(ctx(host())).result).toBe("skip");
  });
});

describe("auditRuleFor", () => {
  it("matches watches (recursively), dir= (recursively) and exact path=", () => {
    expect(auditRuleFor(["-w /etc/docker -k docker"], "/etc/docker/daemon.json")).toBeDefined();
    expect(auditRuleFor(["-w /etc/docker -k docker"], "/etc/dockerfoo")).toBeUndefined();
    expect(auditRuleFor(["-a exit,always -F path=/usr/bin/runc -k d"], "/usr/bin/runc")).toBeDefined();
    expect(auditRuleFor(["-a exit,always -F path=/usr/bin/runc -k d"], "/usr/bin/runc-x")).toBeUndefined();
    expect(auditRuleFor(["-a always,exit -F dir=/var/lib/docker/ -k d"], "/var/lib/docker")).toBeDefined();
  });
});
