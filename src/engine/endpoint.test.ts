import { describe, expect, it } from "vitest";
import { parseEngineUrl, resolveEngineEndpoint } from "./endpoint.js";

describe("engine endpoint detection (BRIEF.md: --engine, $DOCKER_HOST, docker.sock, podman)", () => {
  const none = () => false;

  it("prefers --engine, then $DOCKER_HOST", () => {
    const env = { DOCKER_HOST: "unix:///env.sock" };
    expect(resolveEngineEndpoint({ engine: "unix:///flag.sock", env, exists: none })).toMatchObject({
      socketPath: "/flag.sock",
    });
    expect(resolveEngineEndpoint({ env, exists: none })).toMatchObject({ socketPath: "/env.sock" });
  });

  it("falls back to docker's socket, then podman's rootless and root sockets", () => {
    const env = { XDG_RUNTIME_DIR: "/run/user/1000" };
    const only = (p: string) => (q: string) => q === p;
    expect(resolveEngineEndpoint({ env, exists: only("/var/run/docker.sock") }).url).toBe(
      "unix:///var/run/docker.sock",
    );
    expect(resolveEngineEndpoint({ env, exists: only("/run/user/1000/podman/podman.sock") }).url).toBe(
      "unix:///run/user/1000/podman/podman.sock",
    );
    expect(resolveEngineEndpoint({ env, exists: only("/run/podman/podman.sock") }).url).toBe(
      "unix:///run/podman/podman.sock",
    );
  });

  it("says what it tried when nothing is there", () => {
    expect(() => resolveEngineEndpoint({ env: {}, exists: none })).toThrow(
      /no container engine found \(tried \/var\/run\/docker\.sock, \/run\/podman\/podman\.sock\).*--engine/,
    );
  });

  it("parses socket paths, unix:// and tcp:// URLs; refuses ssh://", () => {
    expect(parseEngineUrl("/x.sock", "--engine")).toMatchObject({ kind: "unix", socketPath: "/x.sock" });
    expect(parseEngineUrl("tcp://127.0.0.1:2375", "--engine")).toMatchObject({
      kind: "tcp",
      host: "127.0.0.1",
      port: 2375,
    });
    expect(parseEngineUrl("tcp://[::1]:1", "--engine")).toMatchObject({ host: "::1", port: 1 });
    expect(() => parseEngineUrl("ssh://me@host", "$DOCKER_HOST")).toThrow(/\$DOCKER_HOST "ssh:\/\/me@host"/);
    expect(() => parseEngineUrl("unix://rel.sock", "--engine")).toThrow(/absolute/);
    expect(() => parseEngineUrl("nonsense", "--engine")).toThrow(/expected unix/);
  });
});
