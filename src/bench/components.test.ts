import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { EngineInfo, EngineVersionInfo } from "../engine/types.js";
import {
  collectComponents,
  componentsFromInfo,
  componentsFromVersion,
  findOnPath,
  kernelComponent,
  mergeComponents,
  parseContainerdVersion,
  parseCrunVersion,
  parseDockerInitVersion,
  parseRuncVersion,
} from "./components.js";

const FIX = new URL("../../test/fixtures/bench-components/", import.meta.url);
const json = <T>(f: string): T => JSON.parse(readFileSync(new URL(f, FIX), "utf8")) as T;

/** `docker version` of Docker CE 18.09.2 (Docker for Mac, 2019; components as nixpkgs pins them). */
const DOCKER_18_09_2: EngineVersionInfo = {
  Platform: { Name: "Docker Engine - Community" },
  Components: [
    { Name: "Engine", Version: "18.09.2", Details: { GitCommit: "6247962", ApiVersion: "1.39" } },
    {
      Name: "containerd",
      Version: "v1.2.2",
      Details: { GitCommit: "9754871865f7fe2f4e74d43e2fc7ccd237edcbce" },
    },
    {
      Name: "runc",
      Version: "1.0.0-rc6+dev",
      Details: { GitCommit: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec" },
    },
    { Name: "docker-init", Version: "0.18.0", Details: { GitCommit: "fec3683" } },
  ],
  Version: "18.09.2",
  KernelVersion: "4.9.125-linuxkit",
};

describe("runtime component parsers", () => {
  it("reads runc --version: Debian's package version in the commit line, old +dev builds", () => {
    expect(
      parseRuncVersion("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n"),
    ).toEqual({
      name: "runc",
      version: "1.1.5+ds1",
      commit: "1.1.5+ds1-1+deb12u1",
      source: "runc --version",
    });
    expect(
      parseRuncVersion(
        "runc version 1.0.0-rc6+dev\ncommit: 09c8266bf2fcf9519a651b04ae54c967b9ab86ec\nspec: 1.0.1-dev",
      ),
    ).toMatchObject({ version: "1.0.0-rc6+dev", commit: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec" });
    expect(parseRuncVersion("runc version 1.1.12")).toEqual({
      name: "runc",
      version: "1.1.12",
      source: "runc --version",
    });
    expect(parseRuncVersion("crun version 1.8.5")).toBeUndefined();
  });

  it("reads crun, containerd, tini (docker-init) and kernel releases", () => {
    expect(
      parseCrunVersion(
        "crun version 1.8.5\ncommit: b6f80f766c9a89eb7b1440c0a70ab287434b17ed\nrundir: /run/user/0/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX",
      ),
    ).toMatchObject({ name: "crun", version: "1.8.5", commit: "b6f80f766c9a89eb7b1440c0a70ab287434b17ed" });
    expect(
      parseContainerdVersion("containerd containerd.io 1.6.28 ae07eda36dd25f8a1b98dfbf587313b99c0190bb\n"),
    ).toEqual({
      name: "containerd",
      version: "1.6.28",
      commit: "ae07eda36dd25f8a1b98dfbf587313b99c0190bb",
      source: "containerd --version",
    });
    expect(
      parseContainerdVersion(
        "containerd github.com/containerd/containerd v1.7.13 7c3aca7a610df76212171d200ca3811ff6096eb8",
      ),
    ).toMatchObject({ version: "1.7.13" });
    expect(parseDockerInitVersion("tini version 0.19.0 - git.de40ad0\n")).toMatchObject({
      version: "0.19.0",
      commit: "de40ad0",
    });
    expect(parseDockerInitVersion("tini version 0.19.0\n")).toEqual({
      name: "docker-init",
      version: "0.19.0",
      source: "docker-init --version",
    });
    expect(kernelComponent("6.1.0-18-amd64")).toEqual({
      name: "kernel",
      version: "6.1.0-18-amd64",
      source: "uname",
    });
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const p of [
          parseRuncVersion,
          parseCrunVersion,
          parseContainerdVersion,
          parseDockerInitVersion,
          kernelComponent,
        ])
          p(s);
        componentsFromVersion({
          Components: [{ Name: s, Version: s, Details: { GitCommit: s, Package: s } }],
        });
        componentsFromVersion({ Components: [{ Name: "OCI Runtime (runc)", Version: s }] });
        componentsFromInfo({ RuncCommit: { ID: s }, ServerVersion: s, KernelVersion: s });
      }),
      { numRuns: 500 },
    );
  });
});

describe("components from the engine API", () => {
  it("Docker's /version: engine, containerd, runc and docker-init with their commits", () => {
    expect(componentsFromVersion(DOCKER_18_09_2)).toEqual([
      { name: "engine", version: "18.09.2", commit: "6247962", source: "/version", product: "docker" },
      {
        name: "containerd",
        version: "1.2.2",
        commit: "9754871865f7fe2f4e74d43e2fc7ccd237edcbce",
        source: "/version",
      },
      {
        name: "runc",
        version: "1.0.0-rc6+dev",
        commit: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec",
        source: "/version",
      },
      { name: "docker-init", version: "0.18.0", commit: "fec3683", source: "/version" },
      { name: "kernel", version: "4.9.125-linuxkit", source: "/version" },
    ]);
  });

  it("podman's /version (recorded from podman 4.3.1 here): Podman Engine, Conmon, OCI Runtime (runc)", () => {
    const list = componentsFromVersion(json<EngineVersionInfo>("podman-4.3.1-version.json"));
    expect(list.map((c) => [c.name, c.version, c.commit, c.product])).toEqual([
      ["engine", "4.3.1", undefined, "podman"],
      ["conmon", "2.1.6", undefined, undefined],
      ["runc", "1.1.5+ds1", "1.1.5+ds1-1+deb12u1", undefined],
      ["kernel", "6.18.44-fc-v782", undefined, undefined],
    ]);
  });

  it("podman's crun: the Debian package detail stands in for a missing commit", () => {
    const [crun] = componentsFromVersion({
      Components: [
        {
          Name: "OCI Runtime (crun)",
          Version: "crun version 1.8.1\nspec: 1.0.0",
          Details: { Package: "crun_1.8.1-1+deb12u1_amd64" },
        },
      ],
    });
    expect(crun).toMatchObject({ name: "crun", version: "1.8.1", commit: "1.8.1-1+deb12u1" });
  });

  it("/info commits: a hash gives version unknown, a Debian package version its upstream part", () => {
    const info: EngineInfo = {
      ServerVersion: "20.10.24+dfsg1",
      RuncCommit: { ID: "1.1.5+ds1-1+deb12u1" },
      ContainerdCommit: { ID: "1.6.20~ds1-1+deb12u1" },
      InitCommit: { ID: "" },
      KernelVersion: "6.1.84-7-rk2410-nocsf",
    };
    expect(componentsFromInfo(info, "docker")).toEqual([
      { name: "engine", version: "20.10.24+dfsg1", source: "/info", product: "docker" },
      { name: "runc", version: "1.1.5+ds1", commit: "1.1.5+ds1-1+deb12u1", source: "/info RuncCommit" },
      {
        name: "containerd",
        version: "1.6.20~ds1",
        commit: "1.6.20~ds1-1+deb12u1",
        source: "/info ContainerdCommit",
      },
      { name: "kernel", version: "6.1.84-7-rk2410-nocsf", source: "/info" },
    ]);
    expect(componentsFromInfo({ RuncCommit: { ID: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec" } })).toEqual([
      {
        name: "runc",
        version: "unknown",
        commit: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec",
        source: "/info RuncCommit",
      },
    ]);
  });

  it("merges duplicates: /version wins, a commit only /info has is kept", () => {
    const merged = mergeComponents(
      [{ name: "runc", version: "1.0.0-rc6+dev", source: "/version" }],
      [
        {
          name: "runc",
          version: "unknown",
          commit: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec",
          source: "/info RuncCommit",
        },
      ],
      [
        {
          name: "runc",
          version: "1.1.12",
          commit: "51d5e94601ceffbbd85688df1c928ecccbfa4685",
          source: "runc --version",
        },
      ],
    );
    expect(merged).toEqual([
      {
        name: "runc",
        version: "1.0.0-rc6+dev",
        commit: "09c8266bf2fcf9519a651b04ae54c967b9ab86ec",
        source: "/version, /info RuncCommit",
      },
    ]);
  });
});

describe("collectComponents", () => {
  const dir = mkdtempSync(join(tmpdir(), "airbag-components-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };

  it("runs the binaries on PATH, merges them under /version, and adds the kernel release", async () => {
    script("runc", 'printf "runc version 1.1.11\\ncommit: v1.1.11-0-g4bccb38c\\nspec: 1.0.2-dev\\n"');
    script("containerd", 'echo "containerd containerd.io 1.6.28 ae07eda36dd25f8a1b98dfbf587313b99c0190bb"');
    const list = await collectComponents({
      version: DOCKER_18_09_2,
      runBinaries: true,
      path: dir,
      kernelRelease: "6.1.0-18-amd64",
    });
    expect(list.find((c) => c.name === "runc")).toMatchObject({
      version: "1.0.0-rc6+dev",
      source: "/version",
    });
    expect(list.find((c) => c.name === "kernel")).toMatchObject({ version: "4.9.125-linuxkit" });
    const alone = await collectComponents({ runBinaries: true, path: dir, kernelRelease: "6.1.0-18-amd64" });
    expect(alone).toEqual([
      { name: "runc", version: "1.1.11", commit: "v1.1.11-0-g4bccb38c", source: "runc --version" },
      {
        name: "containerd",
        version: "1.6.28",
        commit: "ae07eda36dd25f8a1b98dfbf587313b99c0190bb",
        source: "containerd --version",
      },
      { name: "kernel", version: "6.1.0-18-amd64", source: "uname" },
    ]);
  });

  it("gives up on a hung binary after the timeout and says so", async () => {
    script("crun", "exec sleep 30");
    const warnings: string[] = [];
    const t0 = Date.now();
    const list = await collectComponents({
      runBinaries: true,
      path: dir,
      timeoutMs: 300,
      warn: (m) => warnings.push(m),
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(list.some((c) => c.name === "crun")).toBe(false);
    expect(warnings.some((w) => /crun --version: failed or timed out/.test(w))).toBe(true);
  });

  it("runs nothing without runBinaries", async () => {
    const list = await collectComponents({ runBinaries: false, path: dir });
    expect(list).toEqual([]);
  });

  it("reads the real runc installed here, when there is one", async (ctx) => {
    const runc = findOnPath("runc", process.env.PATH ?? "");
    if (!runc) ctx.skip();
    const list = await collectComponents({ runBinaries: true });
    expect(list.find((c) => c.name === "runc")?.version).toMatch(/^\d+\.\d+/);
  });
});
