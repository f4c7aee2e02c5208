import type { Command } from "commander";
import { AirbagError } from "../model/index.js";
import { type AuditAnchor, verifyAuditLog } from "../policy/audit.js";
import { type GlobalFlags, writeOutput } from "./run.js";

interface VerifyFlags {
  expectHead?: string;
  expectEntries?: string;
  format: string;
}

function anchorFrom(flags: VerifyFlags): AuditAnchor {
  const anchor: AuditAnchor = {};
  if (flags.expectHead !== undefined) {
    const h = flags.expectHead.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(h))
      throw new AirbagError("USAGE", `--expect-head: "${flags.expectHead}" is not a sha256 hex hash`);
    anchor.expectHead = h;
  }
  if (flags.expectEntries !== undefined) {
    const n = Number(flags.expectEntries);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new AirbagError("USAGE", `--expect-entries: "${flags.expectEntries}" is not a count`);
    anchor.expectEntries = n;
  }
  return anchor;
}

/**
 * `airbag audit verify FILE`: exit 0 when the hash chain holds (and the anchor, if given, is still in
 * it), 1 when it was tampered with (one line: the first bad line and why), 2 when unreadable.
 */
export function registerAudit(program: Command, _flags: () => GlobalFlags): void {
  const audit = program.command("audit").description("check the monitor's tamper-evident audit log");
  audit
    .command("verify")
    .description(
      "verify the hash chain of an audit log; whole trailing entries cut off are only caught with an anchor",
    )
    .argument("<file>", "audit log (JSON lines written by `airbag monitor --audit-log`)")
    .option("--expect-head <hash>", "an entry hash recorded earlier (e.g. the head printed last time)")
    .option("--expect-entries <n>", "the log had at least N entries when the anchor was taken")
    .option("--format <fmt>", "text | json", "text")
    .action(async (file: string, flags: VerifyFlags) => {
      if (!["text", "json"].includes(flags.format))
        throw new AirbagError("USAGE", `--format: unknown format "${flags.format}" (use text or json)`);
      const result = await verifyAuditLog(file, anchorFrom(flags));
      if (flags.format === "json") await writeOutput(JSON.stringify({ file, ...result }, null, 2), undefined);
      if (!result.ok) {
        const bad = result.firstBad as NonNullable<typeof result.firstBad>;
        throw new AirbagError("GATE", `${file}: tampered: line ${bad.line}: ${bad.reason}`);
      }
      if (flags.format === "text")
        await writeOutput(`${file}: ok — ${result.entries} entries, head ${result.head}`, undefined);
    });
}
