import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommands } from "../../test/support/cli-in-process.js";
import { AuditLog } from "../policy/audit.js";
import { registerAudit } from "./audit.js";

const audit = (args: string[]) => runCommands(registerAudit, ["audit", ...args]);

describe("airbag audit verify", () => {
  let dir: string;
  let file: string;
  let head: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airbag-audit-cli-"));
    file = join(dir, "audit.jsonl");
    const log = await AuditLog.open(file);
    for (let i = 0; i < 4; i++) await log.append("detection", { i });
    head = log.head;
    await log.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exit 0 and the head for an intact log; the head works as an anchor", async () => {
    const r = await audit(["verify", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok — 4 entries, head ${head}`);
    expect((await audit(["verify", file, "--expect-head", head, "--expect-entries", "4"])).code).toBe(0);
  });

  it("exit 1 with one line naming the first bad line and why", async () => {
    const lines = (await readFile(file, "utf8")).split("\n");
    const bad = join(dir, "edited.jsonl");
    await writeFile(bad, [lines[0], lines[1]?.replace('"i":1', '"i":9'), ...lines.slice(2)].join("\n"));
    const r = await audit(["verify", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/edited\.jsonl: tampered: line 2: hash does not match/);
  });

  it("exit 1 when trailing entries were cut off and an anchor says so", async () => {
    const lines = (await readFile(file, "utf8")).split("\n");
    const cut = join(dir, "cut.jsonl");
    await writeFile(cut, `${lines.slice(0, 2).join("\n")}\n`);
    expect((await audit(["verify", cut])).code).toBe(0);
    const r = await audit(["verify", cut, "--expect-head", head]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3: anchored head .* not in the log/);
  });

  it("exit 2 for an unreadable file or a bad anchor", async () => {
    const r = await audit(["verify", join(dir, "nope.jsonl")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.jsonl: cannot read the audit log \(ENOENT\)/);
    expect((await audit(["verify", file, "--expect-head", "xyz"])).code).toBe(2);
  });

  it("--format json gives the verdict as JSON", async () => {
    const r = await audit(["verify", file, "--format", "json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, entries: 4, head });
  });
});
