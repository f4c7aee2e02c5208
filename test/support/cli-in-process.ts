import { Command, CommanderError } from "commander";
import { vi } from "vitest";
import type { GlobalFlags } from "../../src/cli/run.js";
import { reportError } from "../../src/cli/run.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

type Register = (program: Command, flags: () => GlobalFlags) => void;

/**
 * `airbag ARGS…` in-process, with only the commands `register` adds, wired the way main() wires them
 * (exit override, error → one line + exit code): faster than a child process, same exit codes.
 */
export async function runCommands(register: Register, args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string, cb?: (e?: Error) => void) => {
    stdout += chunk;
    cb?.();
    return true;
  }) as typeof process.stdout.write);
  vi.spyOn(console, "error").mockImplementation((...m: unknown[]) => {
    stderr += `${m.join(" ")}\n`;
  });
  const program = new Command("airbag").exitOverride().configureOutput({
    writeErr: (s) => {
      stderr += s;
    },
    writeOut: (s) => {
      stdout += s;
    },
  });
  register(program, () => ({}));
  let code = 0;
  try {
    await program.parseAsync(["node", "airbag", ...args]);
  } catch (err) {
    code = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : reportError(err, {});
  } finally {
    vi.restoreAllMocks();
  }
  return { code, stdout, stderr };
}
