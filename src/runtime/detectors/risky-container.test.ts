import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeInspect } from "../../bench/inspect-shape.js";
import type { ContainerInspect } from "../../engine/types.js";
import { AirbagError } from "../../model/index.js";
import { container, fakeClock } from "./detectors.testutil.js";
import { createRiskyContainerDetector } from "./risky-container.js";

/** real podman 4.3 compat-API inspect answers: priv, capadd (SYS_ADMIN + podman.sock + --pid host), hard, plain */
const PODMAN = (
  JSON.parse(
    readFileSync(join(import.meta.dirname, "../../../test/fixtures/bench/podman-4.3-inspect.json"), "utf8"),
  ) as unknown[]
).map(normalizeInspect);
const named = (n: string) => PODMAN.find((c) => c.Name === `/${n}`)!;

async function judge(
  inspect: ContainerInspect,
  opts: Parameters<typeof createRiskyContainerDetector>[0] = {},
) {
  const { ctx } = fakeClock();
  const ds = await createRiskyContainerDetector(opts).onContainer!(container("x", inspect), ctx);
  return ds.map((d) => [d.id, d.severity]);
}

describe("risky-container on real podman inspect data", () => {
  it("privileged → CIS-5.5 critical and CIS-5.22 (no seccomp), with the check's title and remediation", async () => {
    const { ctx } = fakeClock();
    const ds = await createRiskyContainerDetector().onContainer!(container("priv", named("priv")), ctx);
    expect(ds.map((d) => [d.id, d.severity])).toEqual([
      ["CIS-5.5", "critical"],
      ["CIS-5.22", "high"],
    ]);
    expect(ds[0]).toMatchObject({
      detector: "risky-container",
      kind: "runtime",
      title: "Ensure that privileged containers are not used",
      evidence: "HostConfig.Privileged is true",
      details: { cis: "5.5" },
    });
    expect(ds[0]!.details!.remediation).toMatch(/--privileged/);
  });

  it("SYS_ADMIN + engine socket + --pid host → CIS-5.4, CIS-5.16, CIS-5.32", async () => {
    expect(await judge(named("capadd"))).toEqual([
      ["CIS-5.4", "high"],
      ["CIS-5.16", "high"],
      ["CIS-5.32", "critical"],
    ]);
  });

  it("plain and hardened containers raise nothing (5.11/5.29 limits are not in the default set)", async () => {
    expect(await judge(named("plain"))).toEqual([]);
    expect(await judge(named("hard"))).toEqual([]);
  });
});

describe("risky-container options", () => {
  const base = (
    h: ContainerInspect["HostConfig"],
    rest: Partial<ContainerInspect> = {},
  ): ContainerInspect => ({
    Name: "/x",
    HostConfig: { NetworkMode: "bridge", ...h },
    Mounts: [],
    ...rest,
  });

  it("5.4 counts only escaping capabilities unless anyAddedCapability", async () => {
    expect(await judge(base({ CapAdd: ["NET_ADMIN"] }))).toEqual([]);
    expect(await judge(base({ CapAdd: ["CAP_SYS_PTRACE"] }))).toEqual([["CIS-5.4", "high"]]);
    expect(await judge(base({ CapAdd: ["NET_ADMIN"] }), { anyAddedCapability: true })).toEqual([
      ["CIS-5.4", "high"],
    ]);
  });

  it("host namespaces, sensitive mounts and seccomp=unconfined each raise their check", async () => {
    expect(
      await judge(
        base(
          {
            NetworkMode: "host",
            IpcMode: "host",
            UTSMode: "host",
            UsernsMode: "host",
            SecurityOpt: ["seccomp=unconfined"],
          },
          { Mounts: [{ Type: "bind", Source: "/etc", Destination: "/host-etc", RW: true }] },
        ),
      ),
    ).toEqual([
      ["CIS-5.6", "high"],
      ["CIS-5.10", "high"],
      ["CIS-5.17", "medium"],
      ["CIS-5.21", "medium"],
      ["CIS-5.22", "high"],
      ["CIS-5.31", "medium"],
    ]);
  });

  it("a configured set replaces the default; an unknown id is an input error; exclude skips a container", async () => {
    expect(await judge(base({ Memory: 0 }), { checks: ["5.11"] })).toEqual([["CIS-5.11", "medium"]]);
    expect(() => createRiskyContainerDetector({ checks: ["5.99"] })).toThrow(AirbagError);
    expect(() => createRiskyContainerDetector({ checks: ["5.99"] })).toThrow(
      /"5.99" is not a CIS section-5 check/,
    );
    expect(await judge(named("priv"), { exclude: (c) => c.ref.name === "x" })).toEqual([]);
  });
});
