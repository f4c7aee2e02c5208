import { describe, expect, it } from "vitest";
import { effectiveDaemonConfig } from "../daemon-config.js";
import { parseDaemonJson } from "../daemon-json.js";
import type { BenchContext, EffectiveDaemonConfig } from "../types.js";
import { DAEMON_CHECKS } from "./daemon.js";

const byId = (id: string) => DAEMON_CHECKS.find((c) => c.id === id)!;
const ctxFrom = (daemon: EffectiveDaemonConfig, extra: Partial<BenchContext> = {}): BenchContext => ({
  daemon,
  components: [],
  ...extra,
});
const fromJson = async (text: string, commandLine?: string[]) =>
  ctxFrom(
    await effectiveDaemonConfig({
      file: parseDaemonJson(text, "/etc/docker/daemon.json"),
      ...(commandLine ? { commandLine } : {}),
    }),
  );
const run = async (id: string, text: string, commandLine?: string[]) =>
  byId(id).run(await fromJson(text, commandLine));

describe("DAEMON_CHECKS", () => {
  it("covers 2.0–2.18 with CIS titles", () => {
    expect(DAEMON_CHECKS.map((c) => c.id)).toEqual([
      "2.0",
      ...Array.from({ length: 18 }, (_, i) => `2.${i + 1}`),
    ]);
    expect(byId("2.2").title).toBe(
      "Ensure network traffic is restricted between containers on the default bridge",
    );
    expect(DAEMON_CHECKS.filter((c) => !c.scored).map((c) => c.id)).toEqual(["2.0", "2.1", "2.8", "2.17"]);
    for (const c of DAEMON_CHECKS) expect(c.remediation.length).toBeGreaterThan(20);
    expect(byId("2.0").remediation).toMatch(/Airbag addition/);
  });

  it("skips everything when nothing is known, and trusts no default with only /info", async () => {
    const none = ctxFrom(await effectiveDaemonConfig({}));
    for (const c of DAEMON_CHECKS) expect(c.run(none).result, c.id).toBe("skip");
    const infoOnly = ctxFrom(await effectiveDaemonConfig({ info: { LiveRestoreEnabled: true } }));
    expect(byId("2.2").run(infoOnly).result).toBe("skip");
    expect(byId("2.15").run(infoOnly)).toMatchObject({
      result: "pass",
      evidence: "live-restore=true (info)",
    });
  });

  it("2.0 fails on a malformed daemon.json and lists each problem", async () => {
    const bad = await run("2.0", '{"icc": false,\n "icc": true, "bogus": 1}');
    expect(bad.result).toBe("fail");
    expect(bad.items?.map((i) => i.subject)).toEqual([
      "/etc/docker/daemon.json:2:2 icc",
      "/etc/docker/daemon.json:2:15 bogus",
    ]);
    expect((await run("2.0", '{"icc": false}')).result).toBe("pass");
    expect((await run("2.0", '{"icc" false}')).evidence).toMatch(/1:8/);
  });

  it.each([
    ["2.2", '{"icc": false}', "{}"],
    ["2.3", '{"log-level": "info"}', '{"log-level": "debug"}'],
    ["2.4", "{}", '{"iptables": false}'],
    ["2.5", "{}", '{"insecure-registries": ["10.0.0.0/8"]}'],
    ["2.9", '{"userns-remap": "default"}', "{}"],
    ["2.12", '{"authorization-plugins": ["authz"]}', "{}"],
    ["2.13", '{"log-driver": "syslog"}', '{"log-driver": "json-file"}'],
    ["2.14", '{"no-new-privileges": true}', "{}"],
    ["2.15", '{"live-restore": true}', "{}"],
    ["2.16", '{"userland-proxy": false}', "{}"],
    ["2.18", "{}", '{"experimental": true}'],
  ])("%s passes on %s and fails on %s", async (id, good, bad) => {
    expect((await run(id, good)).result).toBe("pass");
    expect((await run(id, bad)).result).toBe("fail");
  });

  it("2.3 fails when debug overrides log-level info", async () => {
    expect(await run("2.3", '{"debug": true}')).toMatchObject({
      result: "fail",
      evidence: expect.stringMatching(/debug=true/),
    });
  });

  it("2.5 passes with only the built-in 127.0.0.0/8 from /info (#529)", async () => {
    const c = ctxFrom(
      await effectiveDaemonConfig({
        commandLine: ["dockerd"],
        info: { RegistryConfig: { InsecureRegistryCIDRs: ["127.0.0.0/8"] } },
      }),
    );
    expect(byId("2.5").run(c).result).toBe("pass");
  });

  it("2.6 fails on aufs from /info, passes on overlay2, skips when unknown", async () => {
    const ctx = async (Driver: string) => ctxFrom(await effectiveDaemonConfig({ info: { Driver } }));
    expect(byId("2.6").run(await ctx("aufs")).result).toBe("fail");
    expect(byId("2.6").run(await ctx("overlay2")).result).toBe("pass");
    expect((await run("2.6", "{}")).result).toBe("skip");
  });

  it("2.7 judges only daemon sockets: tcp:// in log-opts is not one (#498)", async () => {
    expect(
      (await run("2.7", '{"log-driver":"syslog","log-opts":{"syslog-address":"tcp://192.0.2.1:514"}}'))
        .result,
    ).toBe("pass");
    expect((await run("2.7", '{"hosts":["unix:///var/run/docker.sock","tcp://0.0.0.0:2375"]}')).result).toBe(
      "fail",
    );
    expect((await run("2.7", '{"hosts":["0.0.0.0:2375"]}')).result).toBe("fail");
    expect((await run("2.7", '{"hosts":["tcp://0.0.0.0:2376"],"tls":true}')).evidence).toMatch(
      /without tlsverify/,
    );
    expect(
      (
        await run(
          "2.7",
          '{"hosts":["tcp://0.0.0.0:2376"],"tlsverify":true,"tlscacert":"/c","tlscert":"/s","tlskey":"/k"}',
        )
      ).result,
    ).toBe("pass");
    expect((await run("2.7", '{"tlsverify":true}', ["dockerd", "-H", "tcp://0.0.0.0:2376"])).result).toBe(
      "pass",
    );
  });

  it("2.8 reads the default-ulimits object (#537) and warns when absent", async () => {
    const ok = await run("2.8", '{"default-ulimits":{"nofile":{"Name":"nofile","Hard":64000,"Soft":32000}}}');
    expect(ok).toMatchObject({
      result: "pass",
      evidence: "default-ulimits nofile=32000:64000 (daemon.json)",
    });
    expect((await run("2.8", '{"default-ulimits":{}}')).result).toBe("warn");
    expect((await run("2.8", "{}", ["dockerd", "--default-ulimit", "nproc=10:20"])).evidence).toMatch(
      /nproc=10:20 \(flag\)/,
    );
  });

  it("2.10 and 2.11 raise configured values for review", async () => {
    expect((await run("2.10", "{}")).result).toBe("pass");
    expect((await run("2.10", '{"cgroup-parent": "/custom"}')).result).toBe("warn");
    expect((await run("2.11", '{"storage-opts": ["dm.basesize=20G"]}')).result).toBe("warn");
    expect((await run("2.11", '{"storage-opts": ["overlay2.size=1G"]}')).result).toBe("pass");
  });

  it("2.15 passes without live restore when swarm mode is active", async () => {
    const daemon = await effectiveDaemonConfig({ file: parseDaemonJson("{}") });
    const ctx = ctxFrom(daemon, {
      engine: { url: "x", product: "docker", info: { Swarm: { LocalNodeState: "active" } } },
    });
    expect(byId("2.15").run(ctx).evidence).toMatch(/swarm/);
    expect(byId("2.15").run(ctx).result).toBe("pass");
  });

  it("2.1 and 2.17 read /info security options", async () => {
    const ctx = async (SecurityOptions: string[]) =>
      ctxFrom(await effectiveDaemonConfig({ commandLine: ["dockerd"], info: { SecurityOptions } }));
    expect(byId("2.1").run(await ctx(["name=rootless"])).result).toBe("pass");
    expect(byId("2.1").run(await ctx(["name=seccomp,profile=builtin"])).result).toBe("warn");
    expect(byId("2.17").run(await ctx(["name=seccomp,profile=builtin"])).result).toBe("info");
    expect(byId("2.17").run(await ctx(["name=seccomp,profile=unconfined"])).result).toBe("warn");
    expect(byId("2.17").run(await ctx(["name=seccomp,profile=/etc/docker/sec.json"])).result).toBe("pass");
    expect(byId("2.1").run(ctxFrom(await effectiveDaemonConfig({ commandLine: ["dockerd"] }))).result).toBe(
      "skip",
    );
  });

  it("flags count like daemon.json keys", async () => {
    expect((await run("2.2", "{}", ["dockerd", "--icc=false"])).result).toBe("pass");
    expect((await run("2.2", "{}", ["dockerd", "--icc", "false"])).result).toBe("fail");
  });
});
