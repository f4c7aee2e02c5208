import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ContainerInspect, EngineInfo } from "../../engine/types.js";
import { normalizeInspect } from "../inspect-shape.js";
import { runChecks } from "../run.js";
import type { BenchCheck, BenchContext, CheckResult } from "../types.js";
import { RUNTIME_ISOLATION_CHECKS } from "./runtime-isolation.js";
import { RUNTIME_LIMIT_CHECKS } from "./runtime-limits.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/bench");
/** real podman 4.3 compat-API inspect answers: priv, capadd (+docker.sock, --pid host), hard, plain */
const PODMAN = JSON.parse(
  readFileSync(join(FIXTURES, "podman-4.3-inspect.json"), "utf8"),
) as ContainerInspect[];
const INFO = JSON.parse(readFileSync(join(FIXTURES, "podman-4.3-info.json"), "utf8")) as EngineInfo;

const CHECKS: BenchCheck[] = [...RUNTIME_ISOLATION_CHECKS, ...RUNTIME_LIMIT_CHECKS];

function ctxOf(containers: ContainerInspect[], extra: Partial<BenchContext> = {}): BenchContext {
  return {
    daemon: { settings: {}, problems: [], known: false },
    containers: containers.map((inspect) => ({ inspect })),
    components: [],
    ...extra,
  };
}

function run(id: string, ctx: BenchContext): CheckResult {
  const c = CHECKS.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return runChecks(ctx, [c])[0] as CheckResult;
}

const verdict = (r: CheckResult, name: string) =>
  r.items.find((i) => i.subject.startsWith(`${name} (`))?.result;

/** A Docker-shaped inspect object with one field changed. */
function docker(
  name: string,
  hostConfig: ContainerInspect["HostConfig"] = {},
  rest: Partial<ContainerInspect> = {},
): ContainerInspect {
  return {
    Id: `${name.padEnd(12, "0")}abcdef`,
    Name: `/${name}`,
    AppArmorProfile: "docker-default",
    State: { Status: "running", Running: true },
    HostConfig: {
      NetworkMode: "bridge",
      PidMode: "",
      IpcMode: "private",
      Memory: 0,
      PidsLimit: null,
      ...hostConfig,
    },
    Mounts: [],
    ...rest,
  };
}

describe("CIS section 5 on real podman inspect data", () => {
  const ctx = ctxOf(PODMAN);
  it("privileged → 5.5 fail, and privileged also means no seccomp (5.22)", () => {
    expect(verdict(run("5.5", ctx), "priv")).toBe("fail");
    expect(verdict(run("5.5", ctx), "hard")).toBe("pass");
    expect(verdict(run("5.22", ctx), "priv")).toBe("fail");
    expect(verdict(run("5.22", ctx), "plain")).toBe("pass");
  });
  it("--cap-add SYS_ADMIN, docker.sock mount and --pid host are each flagged on that container only", () => {
    const caps = run("5.4", ctx);
    expect(verdict(caps, "capadd")).toBe("fail");
    expect(caps.items.find((i) => i.subject.startsWith("capadd"))?.evidence).toMatch(/SYS_ADMIN.*escap/);
    expect(verdict(caps, "priv")).toBe("pass");
    expect(verdict(run("5.32", ctx), "capadd")).toBe("fail");
    expect(verdict(run("5.32", ctx), "plain")).toBe("pass");
    expect(verdict(run("5.16", ctx), "capadd")).toBe("fail");
    expect(verdict(run("5.16", ctx), "plain")).toBe("pass");
  });
  it("limits, read-only rootfs, no-new-privileges and port binding pass for the hardened container only", () => {
    for (const id of ["5.11", "5.12", "5.13", "5.26", "5.14"]) {
      expect(verdict(run(id, ctx), "hard"), id).toBe("pass");
    }
    for (const id of ["5.11", "5.12", "5.13", "5.26"])
      expect(verdict(run(id, ctx), "plain"), id).toBe("fail");
    expect(verdict(run("5.8", ctx), "plain")).toBe("fail"); // -p 80:80
    expect(verdict(run("5.14", ctx), "plain")).toBe("fail"); // all interfaces
    expect(verdict(run("5.15", ctx), "hard")).toBe("pass"); // on-failure:5
  });
  it("AppArmor and SELinux checks are not applicable on a host without them", () => {
    const withInfo = ctxOf(PODMAN, { engine: { url: "x", product: "podman", info: INFO } });
    expect(run("5.2", withInfo).result).toBe("skip");
    expect(run("5.3", withInfo).result).toBe("skip");
    expect(run("5.1", withInfo)).toMatchObject({ result: "pass", evidence: "swarm mode is inactive" });
  });
  it("the check result is the worst item and the evidence names the offenders", () => {
    const r = run("5.5", ctx);
    expect(r.result).toBe("fail");
    expect(r.evidence).toMatch(/^1 of 4 containers: priv/);
  });
});

describe("CIS section 5 on Docker-shaped inspect data", () => {
  it("seccomp and AppArmor unconfined, shared propagation, restart always, sensitive mounts", () => {
    const ctx = ctxOf([
      docker(
        "sec",
        { SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"] },
        { AppArmorProfile: "unconfined" },
      ),
      docker("old", { SecurityOpt: ["seccomp:unconfined"] }),
      docker(
        "prop",
        { RestartPolicy: { Name: "always" } },
        { Mounts: [{ Type: "bind", Source: "/srv", Destination: "/srv", RW: true, Propagation: "rshared" }] },
      ),
      docker("etc", {}, { Mounts: [{ Type: "bind", Source: "/etc/ssl", Destination: "/ssl", RW: true }] }),
      docker("etcro", {}, { Mounts: [{ Type: "bind", Source: "/etc/ssl", Destination: "/ssl", RW: false }] }),
      docker("ok", { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 } }),
    ]);
    expect(verdict(run("5.22", ctx), "sec")).toBe("fail");
    expect(verdict(run("5.22", ctx), "old")).toBe("fail");
    expect(verdict(run("5.22", ctx), "ok")).toBe("pass");
    expect(verdict(run("5.2", ctx), "sec")).toBe("fail");
    expect(verdict(run("5.2", ctx), "ok")).toBe("pass");
    expect(verdict(run("5.20", ctx), "prop")).toBe("fail");
    expect(verdict(run("5.15", ctx), "prop")).toBe("fail");
    expect(verdict(run("5.15", ctx), "ok")).toBe("pass");
    expect(verdict(run("5.6", ctx), "etc")).toBe("fail");
    expect(verdict(run("5.6", ctx), "etcro")).toBe("pass");
    expect(verdict(run("5.6", ctx), "prop")).toBe("pass");
  });
  it("host network/IPC/UTS/userns and capability names with the CAP_ prefix", () => {
    const ctx = ctxOf([
      docker("net", { NetworkMode: "host", IpcMode: "host", UTSMode: "host", UsernsMode: "host" }),
      docker("cap", { CapAdd: ["CAP_NET_ADMIN", "CAP_CHOWN"] }),
      docker("all", { CapAdd: ["ALL"] }),
    ]);
    for (const id of ["5.10", "5.17", "5.21", "5.31"]) {
      expect(verdict(run(id, ctx), "net"), id).toBe("fail");
      expect(verdict(run(id, ctx), "cap"), id).toBe("pass");
    }
    expect(run("5.4", ctx).items.find((i) => i.subject.startsWith("cap"))?.evidence).toBe("adds NET_ADMIN");
    expect(verdict(run("5.4", ctx), "all")).toBe("fail");
  });
  it("daemon-wide no-new-privileges satisfies 5.26 unless a container turns it off", () => {
    const ctx = ctxOf([docker("a"), docker("b", { SecurityOpt: ["no-new-privileges=false"] })], {
      daemon: {
        settings: { "no-new-privileges": { value: true, source: "daemon.json" } },
        problems: [],
        known: true,
      },
    });
    expect(verdict(run("5.26", ctx), "a")).toBe("pass");
    expect(verdict(run("5.26", ctx), "b")).toBe("fail");
  });
  it("sshd in the process list fails 5.7; a missing process list skips the container", () => {
    const ctx: BenchContext = {
      ...ctxOf([]),
      containers: [
        { inspect: docker("ssh"), processes: ["/usr/sbin/sshd -D", "sleep 1"] },
        { inspect: docker("web"), processes: ["nginx: master process", "/usr/bin/sshd-keygen-not"] },
        { inspect: docker("unknown") },
      ],
    };
    expect(verdict(run("5.7", ctx), "ssh")).toBe("fail");
    expect(verdict(run("5.7", ctx), "web")).toBe("pass");
    expect(verdict(run("5.7", ctx), "unknown")).toBe("skip");
  });
  it("SELinux without engine facts: skipped unless some container carries a label", () => {
    expect(run("5.3", ctxOf([docker("a")])).result).toBe("skip");
    const labelled = ctxOf([
      docker("a"),
      docker("b", {}, { ProcessLabel: "system_u:system_r:container_t:s0:c1,c2" }),
    ]);
    expect(verdict(run("5.3", labelled), "a")).toBe("fail");
    expect(verdict(run("5.3", labelled), "b")).toBe("pass");
  });
  it("no data → skip; no containers → info", () => {
    const none: BenchContext = { daemon: { settings: {}, problems: [], known: false }, components: [] };
    expect(run("5.5", none).result).toBe("skip");
    expect(run("5.5", ctxOf([])).result).toBe("info");
  });
  it("never throws on arbitrary inspect-shaped input", () => {
    const anyValue = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string()),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            "Privileged",
            "CapAdd",
            "NetworkMode",
            "PidsLimit",
            "SecurityOpt",
            "Memory",
            "RestartPolicy",
            "PortBindings",
            "Devices",
          ),
          anyValue,
        ),
        (hc) => {
          const ctx = ctxOf([normalizeInspect(docker("x", hc as ContainerInspect["HostConfig"]))]);
          for (const r of runChecks(ctx, CHECKS))
            expect(["pass", "warn", "fail", "info", "skip"]).toContain(r.result);
        },
      ),
      { numRuns: 200 },
    );
  });
});
