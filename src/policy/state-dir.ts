import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { inputError } from "../model/index.js";

/**
 * The state directory approvals and interventions share with the humans who answer them:
 * `--state DIR`, else `$XDG_STATE_HOME/airbag`, else `~/.local/state/airbag`. Files in it are
 * written atomically (temp file + fsync + rename), so a reader never sees half a record.
 */

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME?.trim() || join(homedir(), ".local", "state");
  return join(base, "airbag");
}

/** Container and approval ids become file names: only plain id characters, never a path. */
export function safeFileId(id: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id))
    throw inputError(`${what} "${id}": not a valid id (letters, digits, _ . - only)`);
  return id;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
