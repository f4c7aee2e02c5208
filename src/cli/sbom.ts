import type { Command } from "commander";
import { renderInventory } from "../report/format.js";
import { catalog } from "../scan.js";
import { VERSION } from "../version.js";
import { type GlobalFlags, warningSink, writeOutput } from "./run.js";

interface SbomFlags {
  format: string;
  output?: string;
  platform?: string;
  insecure?: boolean;
  engine?: string;
  cache: boolean;
  cacheDir?: string;
}

export function registerSbom(program: Command, flags: () => GlobalFlags): void {
  program
    .command("sbom")
    .description("list every package in an image (inventory / SBOM)")
    .argument(
      "<target>",
      "registry:REF | engine:REF | docker-archive:PATH | oci:PATH[:TAG|@DIGEST] | dir:PATH | a bare path or image reference",
    )
    .option("-f, --format <format>", "json | cyclonedx | spdx | table", "table")
    .option("-o, --output <file>", "write to FILE instead of stdout")
    .option("--platform <os/arch[/variant]>", "platform to pick from a multi-platform index")
    .option("--insecure", "allow plain HTTP and unverified TLS for the registry")
    .option("--engine <socket>", "Docker / podman API for engine: targets (unix:///PATH.sock)")
    .option("--no-cache", "analyse every layer again (no per-layer result cache)")
    .option("--cache-dir <dir>", "where the layer cache lives (default: beside the vulnerability database)")
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
      const inv = await catalog(target, {
        platform: opts.platform,
        insecure: opts.insecure,
        engine: opts.engine,
        cache: opts.cache ? (opts.cacheDir ?? true) : false,
        onWarning: sink.warn,
      });
      const color = !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
      await writeOutput(renderInventory(opts.format, inv, { color, toolVersion: VERSION }), opts.output);
      sink.summary();
    });
}
