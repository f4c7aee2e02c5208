/**
 * One error type for everything the user can cause. `code` maps to the process exit code
 * (contract: 0 ok, 1 gate tripped, 2 usage/input error); messages name the file/field and what to do.
 */
export type ErrorCode = "INPUT" | "USAGE" | "NETWORK" | "GATE" | "UNSUPPORTED" | "INTERNAL";

export class AirbagError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AirbagError";
    this.code = code;
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof AirbagError) return err.code === "GATE" ? 1 : 2;
  return 2;
}

export const inputError = (message: string, cause?: unknown): AirbagError =>
  new AirbagError("INPUT", message, cause === undefined ? undefined : { cause });
