#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { registerAlerts } from "./alerts.js";
import { registerApprovals } from "./approvals.js";
import { registerAudit } from "./audit.js";
import { registerBench } from "./bench.js";
import { registerDb } from "./db.js";
import { registerLint } from "./lint.js";
import { registerMonitor } from "./monitor.js";
import { registerPolicy } from "./policy.js";
import { type GlobalFlags, reportError } from "./run.js";
import { registerSbom } from "./sbom.js";
import { registerScan } from "./scan.js";
import { registerServe } from "./serve.js";
import { registerVerify } from "./verify.js";
import { registerWorker } from "./worker.js";

/** `airbag` — argument parsing only; every command calls into the library. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("airbag")
    .description(
      "Container security: image inventory, vulnerabilities, secrets, malware, CIS benchmark, runtime",
    )
    .version(VERSION)
    .option("--debug", "print stack traces")
    .option("-v, --verbose", "print every warning")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const flags = () => program.opts<GlobalFlags>();
  registerScan(program, flags);
  registerSbom(program, flags);
  registerDb(program, flags);
  registerLint(program, flags);
  registerVerify(program, flags);
  registerBench(program, flags);
  registerPolicy(program, flags);
  registerMonitor(program, flags);
  registerApprovals(program, flags);
  registerAlerts(program, flags);
  registerAudit(program, flags);
  registerServe(program, flags);
  registerWorker(program, flags);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; everything else commander rejects is a usage error
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err, flags());
  }
}

// run when executed directly (not when imported by tests)
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : "";
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportError(err, {});
    },
  );
}
