import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { AirbagError, inputError } from "../model/index.js";
import { parseDetections } from "../policy/detection-input.js";
import { trialJson, trialTable, tryPolicy } from "../policy/explain.js";
import { loadPolicy } from "../policy/policy-file.js";
import { type GlobalFlags, writeOutput } from "./run.js";

interface TestFlags {
  detection: string;
  format: string;
  output?: string;
}

async function readDetections(file: string) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw inputError(`--detection ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, err);
  }
  return parseDetections(text, file);
}

/**
 * `airbag policy validate POLICY` and `airbag policy test POLICY --detection FILE`: check a policy
 * file, and show what it would do with given detections — without doing any of it.
 */
export function registerPolicy(program: Command, _flags: () => GlobalFlags): void {
  const policy = program.command("policy").description("check response policies and try them out");

  policy
    .command("validate")
    .description("check a policy file (schema, channel names, rule names, approval settings)")
    .argument("<policy>", "policy file (YAML or JSON)")
    .action(async (file: string) => {
      const p = await loadPolicy(file);
      const channels = Object.keys(p.channels).length;
      await writeOutput(
        `${file}: ok — mode ${p.mode}, ${p.rules.length} rule(s), ${channels} channel(s)`,
        undefined,
      );
    });

  policy
    .command("test")
    .description("show what a policy would do with detections (nothing is run or sent)")
    .argument("<policy>", "policy file (YAML or JSON)")
    .requiredOption(
      "--detection <file>",
      "detections as JSON (one object or an array) or JSON lines; each is judged at its `at` time",
    )
    .option("-f, --format <format>", "table | json", "table")
    .option("-o, --output <file>", "write to FILE instead of stdout")
    .action(async (file: string, opts: TestFlags) => {
      if (opts.format !== "table" && opts.format !== "json")
        throw new AirbagError("USAGE", `--format: unknown format "${opts.format}" (use table or json)`);
      const p = await loadPolicy(file);
      const trial = tryPolicy(p, await readDetections(opts.detection));
      await writeOutput(opts.format === "json" ? trialJson(trial) : trialTable(trial), opts.output);
    });
}
