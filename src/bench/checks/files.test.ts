import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { effectiveDaemonConfig } from "../daemon-config.js";
import { parseDaemonJson } from "../daemon-json.js";
import { collectHostFacts } from "../host-facts.js";
import type { BenchContext } from "../types.js";
import { FILE_CHECKS } from "./files.js";

const byId = (id: string) => FILE_CHECKS.find((c) => c.id === id)!;
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** A host root with real files: `spec` maps host paths to [mode, uid, gid] (a trailing / makes a directory). */
async function hostCtx(
  spec: Record<string, [number, number, number]>,
  daemonJson = "{}",
): Promise<BenchContext> {
  const root = await mkdtemp(join(tmpdir(), "airbag-files-"));
  roots.push(root);
  await mkdir(join(root, "etc"), { recursive: true });
  await writeFile(join(root, "etc/group"), "root:x:0:\ndocker:x:999:\nstaff:x:50:\n");
  await writeFile(
    join(root, "etc/passwd"),
    "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
  );
  for (const [path, [mode, uid, gid]] of Object.entries(spec)) {
    const full = join(root, path);
    if (path.endsWith("/")) await mkdir(full, { recursive: true });
    else {
      await mkdir(join(full, ".."), { recursive: true });
      await writeFile(full, "x");
    }
    await chown(full, uid, gid); // before chmod: chown clears setuid/setgid
    await chmod(full, mode);
  }
  const daemon = await effectiveDaemonConfig({ file: parseDaemonJson(daemonJson) });
  return { daemon, components: [], host: await collectHostFacts({ root, daemon, env: {} }) };
}

describe("FILE_CHECKS", () => {
  it("covers 3.1–3.24 in CIS order", () => {
    expect(FILE_CHECKS.map((c) => c.id)).toEqual(Array.from({ length: 24 }, (_, i) => `3.${i + 1}`));
    expect(byId("3.21").title).toMatch(/sysconfig\/docker file permissions/);
    expect(byId("3.22").title).toMatch(/sysconfig\/docker file ownership/);
    expect(FILE_CHECKS.every((c) => c.scored && c.section === "files")).toBe(true);
  });

  it("skips without host facts; a missing file passes as not present", async () => {
    for (const c of FILE_CHECKS)
      expect(c.run({ daemon: { settings: {}, problems: [], known: false }, components: [] }).result).toBe(
        "skip",
      );
    const ctx = await hostCtx({});
    for (const c of FILE_CHECKS) expect(c.run(ctx).result, c.id).toBe("pass");
    expect(byId("3.1").run(ctx).evidence).toMatch(/not present/);
    expect(byId("3.9").run(ctx).evidence).toBe("no tlscacert configured");
  });

  it("passes compliant files and fails wrong owner or mode", async () => {
    const good = await hostCtx({
      "/lib/systemd/system/docker.service": [0o644, 0, 0],
      "/etc/docker/": [0o700, 0, 0],
      "/etc/docker/daemon.json": [0o600, 0, 0],
      "/etc/default/docker": [0o644, 0, 0],
      "/etc/sysconfig/docker": [0o644, 0, 0],
    });
    for (const id of ["3.1", "3.2", "3.5", "3.6", "3.17", "3.18", "3.19", "3.20", "3.21", "3.22"])
      expect(byId(id).run(good).result, id).toBe("pass");
    const bad = await hostCtx({
      "/lib/systemd/system/docker.service": [0o664, 1000, 0],
      "/etc/docker/": [0o775, 0, 50],
      "/etc/docker/daemon.json": [0o4644, 0, 0],
      "/etc/sysconfig/docker": [0o666, 0, 50],
    });
    expect(byId("3.1").run(bad)).toMatchObject({
      result: "fail",
      evidence: expect.stringMatching(/owned by alice:root, expected root:root/),
    });
    expect(byId("3.2").run(bad).evidence).toMatch(/mode 664, expected 644 or more restrictive/);
    expect(byId("3.5").run(bad).result).toBe("fail");
    expect(byId("3.6").run(bad).result).toBe("fail");
    expect(byId("3.18").run(bad).evidence).toMatch(/mode 4644/); // setuid is not "more restrictive"
    expect(byId("3.21").run(bad).result).toBe("fail");
    expect(byId("3.22").run(bad).result).toBe("fail");
  });

  it("3.7/3.8 judge each registry certificate; 3.13/3.14 the configured TLS key", async () => {
    const ctx = await hostCtx(
      {
        "/etc/docker/certs.d/reg:5000/ca.crt": [0o444, 0, 0],
        "/etc/docker/certs.d/reg:5000/client.key": [0o644, 1000, 0],
        "/etc/docker/tls/key.pem": [0o600, 0, 0],
      },
      '{"tlskey": "/etc/docker/tls/key.pem"}',
    );
    const owner = byId("3.7").run(ctx);
    expect(owner.result).toBe("fail");
    expect(owner.items?.filter((i) => i.result === "fail").map((i) => i.subject)).toEqual([
      "/etc/docker/certs.d/reg:5000/client.key",
    ]);
    const mode = byId("3.8").run(ctx);
    expect(mode.items?.map((i) => [i.subject, i.result])).toEqual([
      ["/etc/docker/certs.d/reg:5000/ca.crt", "pass"],
      ["/etc/docker/certs.d/reg:5000/client.key", "fail"],
    ]);
    expect(byId("3.13").run(ctx).result).toBe("pass");
    expect(byId("3.14").run(ctx)).toMatchObject({
      result: "fail",
      evidence: expect.stringMatching(/mode 600, expected 400/),
    });
  });

  it("3.15/3.16 want the docker socket root:docker 660 (root:root is stricter and passes)", async () => {
    const ok = await hostCtx({ "/var/run/docker.sock": [0o660, 0, 999] });
    expect(byId("3.15").run(ok).result).toBe("pass");
    expect(byId("3.16").run(ok).result).toBe("pass");
    const bad = await hostCtx({ "/var/run/docker.sock": [0o666, 0, 50] });
    expect(byId("3.15").run(bad).result).toBe("fail");
    expect(byId("3.16").run(bad).result).toBe("fail");
    const strict = await hostCtx({ "/var/run/docker.sock": [0o600, 0, 0] });
    expect(byId("3.15").run(strict).result).toBe("pass");
  });
});
