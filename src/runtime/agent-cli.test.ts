import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import { registerMonitor } from "../cli/monitor.js";

/** `airbag monitor --server/--token/--spool/--server-ca` flag checks: exit 2, one line, never the token. */

const cli = (args: string[]) => runCommands(registerMonitor, ["monitor", ...args]);
const TOKEN = "tok-secret-abcdef0123456789";

describe("airbag monitor --server flags", () => {
  let dir: string;
  let policy: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airbag-agent-cli-"));
    policy = join(dir, "policy.yaml");
    await writeFile(policy, "mode: dry-run\nrules: []\n");
  });
  afterAll(async () => {
    delete process.env.AIRBAG_TOKEN;
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses --token, --spool or --server-ca without --server", async () => {
    for (const flag of ["--token", "--spool", "--server-ca"]) {
      const r = await cli(["--policy", policy, flag, "x"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${flag} needs --server URL`);
    }
  });

  it("needs a token from --token or $AIRBAG_TOKEN", async () => {
    delete process.env.AIRBAG_TOKEN;
    const r = await cli(["--policy", policy, "--server", "http://127.0.0.1:9"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--server needs an agent token: --token T or \$AIRBAG_TOKEN/);
  });

  it("refuses a server URL that is not http(s), naming the flag and not the token", async () => {
    const r = await cli(["--policy", policy, "--server", "ftp://x", "--token", TOKEN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--server: "ftp:\/\/x" must be an http/);
    expect(r.stderr).not.toContain(TOKEN);
  });

  it("takes the token from $AIRBAG_TOKEN and goes on to the engine (whose failure is the error)", async () => {
    process.env.AIRBAG_TOKEN = TOKEN;
    const r = await cli([
      "--policy",
      policy,
      "--server",
      "http://127.0.0.1:9",
      "--engine",
      `unix://${join(dir, "no-engine.sock")}`,
      "--state",
      dir,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/agent token/);
    expect(r.stderr).toMatch(/no-engine\.sock/);
    expect(r.stderr).not.toContain(TOKEN);
  });
});
