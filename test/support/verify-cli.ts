import { registerVerify } from "../../src/cli/verify.js";
import { type CliRun, runCommands } from "./cli-in-process.js";

/** `airbag ARGS…` with the verify/key commands, in-process as main() wires them: exit code and output. */
export function airbagVerifyCli(...args: string[]): Promise<CliRun> {
  return runCommands(registerVerify, args);
}
