import { describe, expect, it } from "vitest";
import { flagFileConflicts, parseDockerdArgs, shellSplit } from "./dockerd-args.js";

const values = (argv: string[]) =>
  Object.fromEntries(Object.entries(parseDockerdArgs(argv).settings).map(([k, s]) => [k, s.value]));

describe("parseDockerdArgs", () => {
  it("maps flags to daemon.json keys", () => {
    expect(
      values([
        "/usr/bin/dockerd",
        "-H",
        "fd://",
        "--host=tcp://0.0.0.0:2376",
        "-Hunix:///run/d.sock",
        "--icc=false",
        "--tlsverify",
        "--tlscacert",
        "/etc/docker/ca.pem",
        "--userns-remap=default",
        "--insecure-registry",
        "r1:5000",
        "--insecure-registry=r2:5000",
        "-l",
        "warn",
        "--live-restore",
        "--no-new-privileges",
        "--authorization-plugin=authz-broker",
        "--selinux-enabled",
        "--experimental",
        "--userland-proxy=false",
        "--iptables=false",
        "--default-ulimit",
        "nofile=1024:2048",
        "--default-ulimit=nproc=512",
        "--cgroup-parent=/foo",
        "--storage-opt",
        "dm.basesize=20G",
        "--seccomp-profile=/etc/docker/seccomp.json",
        "--log-opt",
        "syslog-address=tcp://192.0.2.1:514",
        "--mtu=1400",
        "-D",
      ]),
    ).toEqual({
      hosts: ["fd://", "tcp://0.0.0.0:2376", "unix:///run/d.sock"],
      icc: false,
      tlsverify: true,
      tlscacert: "/etc/docker/ca.pem",
      "userns-remap": "default",
      "insecure-registries": ["r1:5000", "r2:5000"],
      "log-level": "warn",
      "live-restore": true,
      "no-new-privileges": true,
      "authorization-plugins": ["authz-broker"],
      "selinux-enabled": true,
      experimental: true,
      "userland-proxy": false,
      iptables: false,
      "default-ulimits": {
        nofile: { Name: "nofile", Soft: 1024, Hard: 2048 },
        nproc: { Name: "nproc", Soft: 512, Hard: 512 },
      },
      "cgroup-parent": "/foo",
      "storage-opts": ["dm.basesize=20G"],
      "seccomp-profile": "/etc/docker/seccomp.json",
      "log-opts": { "syslog-address": "tcp://192.0.2.1:514" },
      mtu: 1400,
      debug: true,
    });
  });

  it("marks every setting as coming from a flag and records --config-file", () => {
    const r = parseDockerdArgs(["dockerd", "--config-file", "/srv/daemon.json", "--icc=false"]);
    expect(r.configFile).toBe("/srv/daemon.json");
    expect(r.settings.icc).toEqual({ value: false, source: "flag" });
    expect(r.problems).toEqual([]);
  });

  it("a boolean flag does not take the next word: `--icc false` leaves icc on and is reported", () => {
    const r = parseDockerdArgs(["dockerd", "--icc", "false"]);
    expect(r.settings.icc?.value).toBe(true);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(/unexpected argument "false".*--icc=false/);
  });

  it("reports malformed values and a missing value, keeps unknown flags aside", () => {
    const r = parseDockerdArgs([
      "dockerd",
      "--icc=maybe",
      "--mtu=big",
      "--containerd-fancy=1",
      "--log-level",
    ]);
    expect(r.problems.map((p) => p.path)).toEqual(["icc", "mtu", "log-level"]);
    expect(r.unknownFlags).toEqual(["--containerd-fancy"]);
    expect(r.settings).toEqual({});
  });
});

describe("flagFileConflicts", () => {
  it("names keys set both ways (dockerd refuses to start)", () => {
    const flags = parseDockerdArgs(["dockerd", "-H", "fd://", "--icc=false"]).settings;
    const file = { hosts: { value: ["tcp://0.0.0.0:2376"], source: "daemon.json" as const } };
    const problems = flagFileConflicts(flags, file, "/etc/docker/daemon.json");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "/etc/docker/daemon.json", path: "hosts" });
    expect(problems[0]!.message).toMatch(/both as a dockerd flag/);
  });
});

describe("shellSplit", () => {
  it("splits like a shell", () => {
    expect(
      shellSplit(`/usr/bin/dockerd -H fd:// --label "a b" --label 'c "d"' e\\ f  --log-opt=tag="x\\"y"`),
    ).toEqual([
      "/usr/bin/dockerd",
      "-H",
      "fd://",
      "--label",
      "a b",
      "--label",
      'c "d"',
      "e f",
      '--log-opt=tag=x"y',
    ]);
    expect(shellSplit("  ")).toEqual([]);
    expect(shellSplit(`a ""`)).toEqual(["a", ""]);
  });
});
