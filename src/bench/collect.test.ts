import { describe, expect, it } from "vitest";
import { imageMetaOf, nameMatcher, ownContainerId, parseComponentFlag } from "./collect.js";

const ID = "3c3fcff6e6241eec1b5985ae78f7bdf75c02dd1a6c056c520c1b2d7fcc95a96b";
const OTHER = "757466a43fe6bde68411f1780e0efe10a5f57620ce0d02c95a4a295962937a67";

describe("ownContainerId", () => {
  it("reads the id from a cgroup v1 path (docker and podman)", () => {
    expect(ownContainerId(`12:pids:/docker/${ID}\n`, "")).toBe(ID);
    expect(ownContainerId(`0::/machine.slice/libpod-${ID}.scope\n`, "")).toBe(ID);
  });
  it("reads it from the /etc/hostname bind mount on cgroup v2", () => {
    const mi = `651 640 0:52 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n`;
    expect(ownContainerId("0::/\n", mi)).toBe(ID);
  });
  it("does not mistake a podman storage mount on this host for its own container", () => {
    const mi = `900 30 0:80 / /tmp/p/root/overlay-containers/${OTHER}/userdata/shm rw - tmpfs shm rw\n`;
    expect(ownContainerId("9:name=systemd:/\n0::/\n", mi)).toBeUndefined();
  });
});

describe("command-line helpers", () => {
  it("parses --component NAME=VERSION[@COMMIT]", () => {
    expect(parseComponentFlag("runc=1.0.0-rc6@09c8266b")).toEqual({
      name: "runc",
      version: "1.0.0-rc6",
      commit: "09c8266b",
      source: "--component",
    });
    expect(parseComponentFlag("docker=18.09.2")).toMatchObject({ name: "engine", product: "docker" });
    expect(() => parseComponentFlag("runc 1.1")).toThrow(/--component "runc 1.1": use NAME=VERSION/);
  });
  it("matches container names by glob, with or without the leading slash", () => {
    const m = nameMatcher(["web-*", "db?"]);
    expect(m("/web-1")).toBe(true);
    expect(m("db1")).toBe(true);
    expect(m("db10")).toBe(false);
    expect(m("myweb-1")).toBe(false);
  });
  it("turns an engine image into the detector view, history oldest first", () => {
    const meta = imageMetaOf(
      { Config: { User: "", Env: ["A=1"], Entrypoint: "/bin/sh", ExposedPorts: { "80/tcp": {} } } },
      [
        { CreatedBy: "/bin/sh -c #(nop) USER app", Size: 0 },
        { CreatedBy: "/bin/sh -c apt-get update", Size: 100 },
      ],
      "x:1",
    );
    expect(meta).toMatchObject({ user: "", env: ["A=1"], entrypoint: ["/bin/sh"], exposedPorts: ["80/tcp"] });
    expect(meta.history).toEqual([
      { createdBy: "/bin/sh -c apt-get update", emptyLayer: false },
      { createdBy: "/bin/sh -c #(nop) USER app", emptyLayer: true },
    ]);
  });
});
