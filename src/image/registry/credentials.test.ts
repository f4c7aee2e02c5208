import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupCredentials, registryKey } from "./credentials.js";

describe("docker config.json credentials", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airbag-creds-"));
    const bin = join(dir, "bin");
    await mkdir(bin);
    // a real credential helper speaking the protocol: server on stdin, JSON out, "not found" + exit 1
    await writeFile(
      join(bin, "docker-credential-fake"),
      `#!/bin/sh\nread s\ncase "$s" in\n  https://index.docker.io/v1/) echo '{"Username":"hubuser","Secret":"hubpw"}';;\n  helped.example) echo '{"Username":"h","Secret":"hpw"}';;\n  *) echo "credentials not found in native keychain"; exit 1;;\nesac\n`,
    );
    await chmod(join(bin, "docker-credential-fake"), 0o755);
    env = { PATH: `${bin}:${process.env.PATH}` };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const config = async (name: string, doc: object) => {
    const p = join(dir, `${name}.json`);
    await writeFile(p, JSON.stringify(doc));
    return p;
  };

  it("normalises config keys to registry names", () => {
    expect(registryKey("https://index.docker.io/v1/")).toBe("docker.io");
    expect(registryKey("http://127.0.0.1:5000")).toBe("127.0.0.1:5000");
    expect(registryKey("ghcr.io")).toBe("ghcr.io");
  });

  it("decodes auths entries (base64 auth, or username/password)", async () => {
    const p = await config("auths", {
      auths: {
        "https://index.docker.io/v1/": { auth: Buffer.from("me:pa:ss").toString("base64") },
        "ghcr.io": { username: "u", password: "p" },
      },
    });
    expect(await lookupCredentials("docker.io", { configPath: p, env })).toEqual({
      username: "me",
      password: "pa:ss",
    });
    expect(await lookupCredentials("ghcr.io", { configPath: p, env })).toEqual({
      username: "u",
      password: "p",
    });
    expect(await lookupCredentials("quay.io", { configPath: p, env })).toBeUndefined();
  });

  it("asks credHelpers per registry and credsStore for the rest", async () => {
    const p = await config("helpers", {
      credHelpers: { "helped.example": "fake" },
      credsStore: "fake",
      auths: { "helped.example": { auth: Buffer.from("not:used").toString("base64") } },
    });
    expect(await lookupCredentials("helped.example", { configPath: p, env })).toEqual({
      username: "h",
      password: "hpw",
    });
    expect(await lookupCredentials("docker.io", { configPath: p, env })).toEqual({
      username: "hubuser",
      password: "hubpw",
    });
    expect(await lookupCredentials("other.example", { configPath: p, env })).toBeUndefined();
  });

  it("names the file and field when the config is broken, and the helper when it is missing", async () => {
    await writeFile(join(dir, "broken.json"), "{");
    await expect(lookupCredentials("x.io", { configPath: join(dir, "broken.json"), env })).rejects.toThrow(
      /broken\.json: invalid JSON/,
    );
    const bad = await config("bad-auth", {
      auths: { "x.io": { auth: Buffer.from("nocolon").toString("base64") } },
    });
    await expect(lookupCredentials("x.io", { configPath: bad, env })).rejects.toThrow(/auths\["x\.io"\]/);
    const missing = await config("missing-helper", { credsStore: "absent" });
    await expect(lookupCredentials("x.io", { configPath: missing, env })).rejects.toThrow(
      /docker-credential-absent .*not installed/,
    );
  });

  it("is anonymous when there is no config file", async () => {
    expect(await lookupCredentials("docker.io", { configPath: join(dir, "none.json"), env })).toBeUndefined();
  });
});
