import type { Command } from "commander";
import { renderInventory } from "../report/format.js";
import { catalog } from "../scan.js";
import { VERSION } from "../version.js";
import { type GlobalFlags, warningSink, writeOutput } from "./run.js";

interface SbomFlags {
  format: string;
  output?: string;
  platform?: string;
}

export function registerSbom(program: Command, flags: () => GlobalFlags): void {
  program
    .command("sbom")
    .description("list every package in an image (inventory / SBOM)")
    .argument("<target>", "docker-archive:PATH | oci:PATH[:TAG|@DIGEST] | dir:PATH | a bare path")
    .option("-f, --format <format>", "json | cyclonedx | spdx | table", "table")
    .option("-o, --output <file>", "write to FILE instead of stdout")
    .option("--platform <os/arch[/variant]>", "platform to pick from a multi-platform index")
    .action(async (target: string, opts: SbomFlags) => {
      const sink = warningSink(flags());
      // validate the format before the (possibly long) scan
      renderInventory(
        opts.format,
        { schemaVersion: 1, target: { name: "", kind: "dir" }, packages: [] },
        {
          color: false,
          toolVersion: VERSION,
        },
      );
      const inv = await catalog(target, { platform: opts.platform, onWarning: sink.warn });
      const color = !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
      await writeOutput(renderInventory(opts.format, inv, { color, toolVersion: VERSION }), opts.output);
      sink.summary();
    });
}
