import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EngineInfo } from "../engine/types.js";
import type { AirbagError } from "../model/index.js";
import { effectiveDaemonConfig, findDockerdCommandLine, readDockerUnitCommandLine } from "./daemon-config.js";

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "airbag-dc-"));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("effectiveDaemonConfig", () => {
  it("merges defaults < daemon.json < flags < /info and records each source", async () => {
    const dir = await tempDir();
    const file = join(dir, "daemon.json");
    await writeFile(file, '{"icc": false, "log-driver": "json-file", "userns-remap": "default"}');
    const info: EngineInfo = {
      LiveRestoreEnabled: true,
      LoggingDriver: "journald",
      Driver: "overlay2",
      SecurityOptions: ["name=seccomp,profile=builtin", "name=userns", "name=no-new-privileges"],
      RegistryConfig: {
        InsecureRegistryCIDRs: ["127.0.0.0/8", "10.0.0.0/8"],
        IndexConfigs: {
          "docker.io": { Name: "docker.io", Secure: true },
          "reg:5000": { Name: "reg:5000", Secure: false },
        },
      },
      Plugins: { Authorization: null },
      ExperimentalBuild: false,
    };
    const c = await effectiveDaemonConfig({ file, commandLine: ["/usr/bin/dockerd", "-H", "fd://"], info });
    expect(c.known).toBe(true);
    expect(c.file).toBe(file);
    expect(c.commandLine).toEqual(["/usr/bin/dockerd", "-H", "fd://"]);
    expect(c.problems).toEqual([]);
    const s = c.settings;
    expect(s.icc).toEqual({ value: false, source: "daemon.json" });
    expect(s.hosts).toEqual({ value: ["fd://"], source: "flag" });
    expect(s["log-driver"]).toEqual({ value: "journald", source: "info" });
    expect(s["live-restore"]).toEqual({ value: true, source: "info" });
    expect(s["storage-driver"]).toEqual({ value: "overlay2", source: "info" });
    expect(s["no-new-privileges"]).toEqual({ value: true, source: "info" });
    expect(s["userns-remap"]).toEqual({ value: "default", source: "daemon.json" });
    expect(s["insecure-registries"]).toEqual({ value: ["10.0.0.0/8", "reg:5000"], source: "info" });
    expect(s["authorization-plugins"]).toEqual({ value: [], source: "info" });
    expect(s["seccomp-profile"]).toEqual({ value: "builtin", source: "info" });
    expect(s.rootless).toEqual({ value: false, source: "info" });
    expect(s.iptables).toEqual({ value: true, source: "default" });
  });

  it("the built-in 127.0.0.0/8 is not an insecure registry (docker-bench #529)", async () => {
    const c = await effectiveDaemonConfig({
      info: { RegistryConfig: { InsecureRegistryCIDRs: ["127.0.0.0/8", "::1/128"] } },
    });
    expect(c.settings["insecure-registries"]).toEqual({ value: [], source: "info" });
  });

  it("reports daemon.json problems and flag/file conflicts without throwing", async () => {
    const dir = await tempDir();
    const file = join(dir, "daemon.json");
    await writeFile(file, '{"hosts": ["tcp://0.0.0.0:2375"], "icc": "no"}');
    const c = await effectiveDaemonConfig({ file, commandLine: ["dockerd", "-H", "fd://"] });
    expect(c.problems.map((p) => p.path).sort()).toEqual(["hosts", "icc"]);
    expect(c.settings.hosts?.source).toBe("flag");
  });

  it("finds daemon.json under a host root from --config-file", async () => {
    const root = await tempDir();
    await mkdir(join(root, "srv"), { recursive: true });
    await writeFile(join(root, "srv/d.json"), '{"live-restore": true}');
    const c = await effectiveDaemonConfig({ commandLine: ["dockerd", "--config-file=/srv/d.json"], root });
    expect(c.file).toBe(join(root, "srv/d.json"));
    expect(c.settings["live-restore"]?.source).toBe("daemon.json");
  });

  it("a missing file: input error when named by the user, ignored when optional", async () => {
    const missing = join(tmpdir(), "airbag-none", "daemon.json");
    const err = await effectiveDaemonConfig({ file: missing }).catch((e) => e);
    expect((err as AirbagError).code).toBe("INPUT");
    const c = await effectiveDaemonConfig({ file: missing, fileOptional: true });
    expect(c.known).toBe(false);
    expect(c.file).toBeUndefined();
  });
});

describe("findDockerdCommandLine", () => {
  it("finds the newest real process named dockerd in /proc", async () => {
    const dir = await tempDir();
    const fake = join(dir, "dockerd");
    await copyFile("/bin/sleep", fake);
    const older = spawn(fake, ["30"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 50));
    const newer = spawn(fake, ["31"], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 100));
      // /proc stat start times have clock-tick resolution (10 ms); the later spawn is the newest
      expect(await findDockerdCommandLine("/proc")).toEqual([fake, "31"]);
    } finally {
      older.kill();
      newer.kill();
    }
  });

  it("reads a proc tree under a host root, and is undefined without one", async () => {
    const root = await tempDir();
    await mkdir(join(root, "proc/self"), { recursive: true });
    await mkdir(join(root, "proc/42"), { recursive: true });
    await writeFile(join(root, "proc/42/cmdline"), "/usr/bin/dockerd\0-H\0fd://\0");
    await writeFile(
      join(root, "proc/42/stat"),
      "42 (dockerd) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0",
    );
    expect(await findDockerdCommandLine(root)).toEqual(["/usr/bin/dockerd", "-H", "fd://"]);
    expect(await findDockerdCommandLine(join(root, "nothing"))).toBeUndefined();
  });
});

describe("readDockerUnitCommandLine", () => {
  it("reads ExecStart= with drop-ins applied (an empty ExecStart= resets)", async () => {
    const root = await tempDir();
    await mkdir(join(root, "lib/systemd/system"), { recursive: true });
    await writeFile(
      join(root, "lib/systemd/system/docker.service"),
      "[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd -H fd:// \\\n  --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n",
    );
    expect(await readDockerUnitCommandLine(root)).toEqual({
      unit: "/lib/systemd/system/docker.service",
      argv: ["/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"],
    });
    await mkdir(join(root, "etc/systemd/system/docker.service.d"), { recursive: true });
    await writeFile(
      join(root, "etc/systemd/system/docker.service.d/override.conf"),
      "[Service]\nExecStart=\nExecStart=-/usr/bin/dockerd --icc=false\n",
    );
    expect((await readDockerUnitCommandLine(root))?.argv).toEqual(["/usr/bin/dockerd", "--icc=false"]);
    expect(await readDockerUnitCommandLine(join(root, "none"))).toBeUndefined();
  });
});
