import type { Command } from "commander";
import { type LintConfig, loadLintConfig } from "../detect/dockerfile/config.js";
import { lintFiles, lintGate } from "../detect/dockerfile/lint.js";
import { lintFormat, renderLint } from "../detect/dockerfile/lint-format.js";
import { AirbagError } from "../model/index.js";
import { VERSION } from "../version.js";
import { type GlobalFlags, parseFailOn, writeOutput } from "./run.js";

interface LintFlags {
  format: string;
  output?: string;
  failOn?: string;
  config?: string;
}

/** `airbag lint DOCKERFILE… [--format table|json|sarif] [-o FILE] [--fail-on SEV] [--config F]` */
export function registerLint(program: Command, _flags: () => GlobalFlags): void {
  program
    .command("lint")
    .description("check Dockerfiles for security problems (root user, curl | sh, secrets in ENV, …)")
    .argument("<dockerfile...>", "Dockerfiles to check")
    .option("-f, --format <format>", "table | json | sarif", "table")
    .option("-o, --output <file>", "write to FILE instead of stdout")
    .option("--fail-on <severity>", "exit 1 when a finding is at least this severe")
    .option("--config <file>", "YAML: ignore: [ids], severity: {ID: level}")
    .action(async (files: string[], opts: LintFlags) => {
      // every flag is checked before any file is read
      const format = lintFormat(opts.format);
      const failOn = opts.failOn === undefined ? undefined : parseFailOn(opts.failOn);
      const config: LintConfig | undefined = opts.config ? await loadLintConfig(opts.config) : undefined;
      const results = await lintFiles(files, config);
      const color = !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
      await writeOutput(renderLint(format, results, { color, toolVersion: VERSION }), opts.output);
      if (failOn) {
        const tripped = lintGate(results, failOn);
        if (tripped.length)
          throw new AirbagError(
            "GATE",
            `${tripped.length} finding(s) at or above ${failOn} (--fail-on ${failOn}); e.g. ${tripped
              .slice(0, 3)
              .map((f) => `${f.id} at ${f.location.path}:${f.location.line}`)
              .join(", ")}`,
          );
      }
    });
}
