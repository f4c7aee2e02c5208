import { Command, CommanderError } from "commander";
import { vi } from "vitest";
import { reportError } from "../../src/cli/run.js";
import { registerVerify } from "../../src/cli/verify.js";

/** `airbag ARGS…` with the verify/key commands, in-process as main() wires them: exit code and output. */
export async function airbagVerifyCli(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
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
  const program = new Command("airbag")
    .exitOverride()
    .configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
  registerVerify(program, () => ({}));
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
