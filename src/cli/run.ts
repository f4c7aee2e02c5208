import { writeFile } from "node:fs/promises";
import { AirbagError, exitCodeFor, SEVERITIES, type Severity } from "../model/index.js";

/** Shared plumbing for commands: error → one line + exit code, output to stdout or -o FILE. */

export interface GlobalFlags {
  debug?: boolean;
  verbose?: boolean;
}

export function reportError(err: unknown, flags: GlobalFlags): number {
  if (flags.debug) console.error(err);
  else if (err instanceof AirbagError) console.error(`airbag: ${err.message}`);
  else {
    const e = err as NodeJS.ErrnoException;
    const detail = e?.code && e?.path ? `${e.path}: ${e.code}` : (e?.message ?? String(err));
    console.error(`airbag: internal error: ${detail} (run with --debug for details)`);
  }
  return exitCodeFor(err);
}

export async function writeOutput(text: string, file: string | undefined): Promise<void> {
  const body = text.endsWith("\n") ? text : `${text}\n`;
  if (!file || file === "-") {
    await new Promise<void>((res, rej) => process.stdout.write(body, (e) => (e ? rej(e) : res())));
    return;
  }
  try {
    await writeFile(file, body);
  } catch (err) {
    throw new AirbagError("INPUT", `-o ${file}: cannot write (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
}

export function warningSink(flags: GlobalFlags): { warn: (m: string) => void; summary: () => void } {
  let count = 0;
  return {
    warn: (m) => {
      count++;
      if (flags.verbose) console.error(`airbag: warning: ${m}`);
    },
    summary: () => {
      if (count && !flags.verbose)
        console.error(`airbag: ${count} warning(s); rerun with --verbose to see them`);
    },
  };
}

/** `--fail-on SEV` → a severity, or a usage error naming the flag. */
export function parseFailOn(s: string): Severity {
  const v = s.trim().toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(v))
    throw new AirbagError("USAGE", `--fail-on: unknown severity "${s}" (use ${SEVERITIES.join(", ")})`);
  return v as Severity;
}
