import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AirbagError } from "../model/index.js";
import type { AlertMessage } from "../model/policy.js";
import type { Channel } from "./channels/channel.js";
import { defaultStateDir } from "./state-dir.js";

/**
 * Alerts a channel could not deliver after its retries, kept as JSON lines so nothing is lost while a
 * receiver is down; `airbag alerts replay` sends them again. Delivery is at-least-once: receivers
 * de-duplicate on the alert id (X-Airbag-Delivery).
 */
export interface DeadLetter {
  /** when it first failed */
  time: string;
  channel: string;
  /** the last failure */
  error: string;
  /** replays tried so far (0 = only the original delivery failed) */
  replays: number;
  lastTry?: string;
  alert: AlertMessage;
}

export function defaultDeadLetterPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultStateDir(env), "dead-letter.jsonl");
}

/**
 * The one rule the monitor and `alerts replay` share: flag, else the policy's `deadLetter`, else
 * `<state dir>/dead-letter.jsonl` (`--state`, else the default state dir).
 */
export function deadLetterPath(
  policy: { deadLetter?: string },
  override?: string,
  env: NodeJS.ProcessEnv = process.env,
  stateDir?: string,
): string {
  return (
    override ??
    policy.deadLetter ??
    (stateDir ? join(stateDir, "dead-letter.jsonl") : defaultDeadLetterPath(env))
  );
}

/** One line, one write with O_APPEND: concurrent writers never interleave within a line. */
export async function appendDeadLetter(file: string, entry: DeadLetter): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export type SendResult = { delivered: true } | { delivered: false; error: string };

/** Send; when the channel finally fails, dead-letter the alert instead of throwing. */
export async function sendOrDeadLetter(
  channel: Channel,
  msg: AlertMessage,
  file: string,
  now: () => Date = () => new Date(),
): Promise<SendResult> {
  try {
    await channel.send(msg);
    return { delivered: true };
  } catch (err) {
    const error = (err as Error).message;
    await appendDeadLetter(file, {
      time: now().toISOString(),
      channel: channel.name,
      error,
      replays: 0,
      alert: msg,
    });
    return { delivered: false, error };
  }
}

export interface ReplayResult {
  /** entries found */
  total: number;
  delivered: number;
  /** still undeliverable, written back */
  kept: number;
  /** lines that are not dead letters (kept verbatim, never dropped) */
  unreadable: number;
  /** channel → last error, for channels that still fail */
  errors: Record<string, string>;
}

const WORK_SUFFIX = ".replay-";

/**
 * Send every dead letter again; the file ends up holding only what still fails (plus anything the
 * monitor appended meanwhile). The file is first renamed to a private work file — new failures keep
 * going to a fresh file — so a concurrent append is never overwritten; work files left by a replay
 * that died are picked up next time. Once a channel fails in a replay its later letters are kept
 * untried, so one dead receiver costs one round of retries, not one per letter.
 */
export async function replayDeadLetters(
  file: string,
  channels: ReadonlyMap<string, Channel>,
  now: () => Date = () => new Date(),
): Promise<ReplayResult> {
  const result: ReplayResult = { total: 0, delivered: 0, kept: 0, unreadable: 0, errors: {} };
  const works = await orphanedWorkFiles(file);
  const mine = `${file}${WORK_SUFFIX}${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(file, mine);
    works.push(mine);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw replayError(file, err);
  }
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, "", { mode: 0o600 }); // "emptied", not gone: tools tailing it keep working

  for (const work of works) {
    const text = await readFile(work, "utf8");
    const keep: string[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      const kept = await replayLine(line, channels, result, now);
      if (kept !== undefined) keep.push(kept);
    }
    // a write that opened the file just before the rename lands here: keep it for the next replay
    const late = (await readFile(work, "utf8")).slice(text.length);
    if (late.trim()) keep.push(...late.split("\n").filter((l) => l.trim()));
    if (keep.length > 0) await appendFile(file, `${keep.join("\n")}\n`);
    await rm(work, { force: true });
  }
  return result;
}

/** The line to keep (updated), or undefined when it was delivered. */
async function replayLine(
  line: string,
  channels: ReadonlyMap<string, Channel>,
  result: ReplayResult,
  now: () => Date,
): Promise<string | undefined> {
  const entry = parseDeadLetter(line);
  if (!entry) {
    result.unreadable++;
    return line;
  }
  result.total++;
  const channel = channels.get(entry.channel);
  let error: string | undefined;
  if (!channel) error = `channel ${entry.channel} is not in the policy`;
  else if (result.errors[entry.channel] !== undefined) {
    result.kept++;
    return line; // this channel already failed in this replay: not tried again
  } else {
    try {
      await channel.send(entry.alert);
      result.delivered++;
      return undefined;
    } catch (err) {
      error = (err as Error).message;
    }
  }
  result.errors[entry.channel] = error;
  result.kept++;
  return JSON.stringify({ ...entry, error, replays: entry.replays + 1, lastTry: now().toISOString() });
}

function parseDeadLetter(line: string): DeadLetter | undefined {
  try {
    const v = JSON.parse(line) as Partial<DeadLetter>;
    if (typeof v.channel !== "string" || typeof v.alert !== "object" || v.alert === null) return undefined;
    return { ...v, replays: typeof v.replays === "number" ? v.replays : 0 } as DeadLetter;
  } catch {
    return undefined;
  }
}

/** Work files of replays whose process is gone. */
async function orphanedWorkFiles(file: string): Promise<string[]> {
  const dir = dirname(file);
  const prefix = `${basename(file)}${WORK_SUFFIX}`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix))
    .filter((n) => !alive(Number(n.slice(prefix.length).split("-")[0])))
    .sort()
    .map((n) => join(dir, n));
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function replayError(file: string, err: unknown): AirbagError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new AirbagError("INPUT", `${file}: cannot take the dead-letter file for replay (${code})`, {
    cause: err,
  });
}
