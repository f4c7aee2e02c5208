import type { Command } from "commander";
import { AirbagError } from "../model/index.js";
import { closeChannels, createChannels } from "../policy/channels/index.js";
import { deadLetterPath, replayDeadLetters } from "../policy/dead-letter.js";
import { loadPolicy } from "../policy/policy-file.js";
import { type GlobalFlags, writeOutput } from "./run.js";

interface ReplayFlags {
  policy: string;
  deadLetter?: string;
  state?: string;
  format: string;
}

/**
 * `airbag alerts replay`: send the dead-lettered alerts again through the policy's channels. Exit 0
 * when the file is empty afterwards; 2 (one line naming the failing channels) when some still fail.
 */
export function registerAlerts(program: Command, _flags: () => GlobalFlags): void {
  const alerts = program.command("alerts").description("alerts the monitor could not deliver");
  alerts
    .command("replay")
    .description("re-send dead-lettered alerts; the file keeps only what still fails")
    .requiredOption("--policy <file>", "policy whose channels deliver the alerts")
    .option(
      "--dead-letter <file>",
      "dead-letter file (default: the policy's deadLetter, else $XDG_STATE_HOME/airbag/dead-letter.jsonl)",
    )
    .option("--state <dir>", "the monitor's --state dir: its dead-letter.jsonl, when the policy names none")
    .option("--format <fmt>", "text | json", "text")
    .action(async (flags: ReplayFlags) => {
      if (!["text", "json"].includes(flags.format))
        throw new AirbagError("USAGE", `--format: unknown format "${flags.format}" (use text or json)`);
      const policy = await loadPolicy(flags.policy);
      const file = deadLetterPath(policy, flags.deadLetter, process.env, flags.state);
      const channels = createChannels(policy.channels);
      let result: Awaited<ReturnType<typeof replayDeadLetters>>;
      try {
        result = await replayDeadLetters(file, channels);
      } finally {
        await closeChannels(channels.values());
      }
      if (flags.format === "json") await writeOutput(JSON.stringify({ file, ...result }, null, 2), undefined);
      else
        await writeOutput(
          `${file}: ${result.total} alert(s), ${result.delivered} delivered, ${result.kept} still failing` +
            (result.unreadable ? `, ${result.unreadable} unreadable line(s) kept` : ""),
          undefined,
        );
      const failing = Object.entries(result.errors);
      if (failing.length > 0)
        throw new AirbagError(
          "NETWORK",
          `${result.kept} alert(s) still undeliverable, kept in ${file}: ${failing.map(([c, e]) => (e.startsWith(`channel ${c}`) ? e : `${c}: ${e}`)).join("; ")}`,
        );
    });
}
